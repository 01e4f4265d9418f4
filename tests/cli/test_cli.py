"""The saropt command: help, info, synth, clouds, demo, and one test per bad input."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from click.testing import Result
from typer.testing import CliRunner

from saropt.cli.main import EXIT_BAD_INPUT, app
from saropt.io.grid import Grid
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster
from tests.conftest import utm_grid

runner = CliRunner()


def _run(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


class TestCommands:
    def test_help_lists_commands(self) -> None:
        res = _run("--help")
        assert res.exit_code == 0
        for cmd in ("info", "synth", "clouds", "demo"):
            assert cmd in res.output

    def test_info(self, optical_tif: Path) -> None:
        res = _run("info", optical_tif)
        assert res.exit_code == 0, res.output
        assert "EPSG:32633" in res.output and "uint16" in res.output
        assert "48 x 64 pixels, 13 band(s)" in res.output
        assert "B8A" in res.output
        data = read_raster(optical_tif).data
        assert f"{data[0].min()}" in res.output  # band 1 minimum

    def test_synth(self, tmp_path: Path) -> None:
        res = _run("synth", "--out", tmp_path / "s", "--size", "96", "--seed", "4", "--dates", "3")
        assert res.exit_code == 0, res.output
        assert "wrote 11 rasters" in res.output  # 3 dates x (speckled, clean) + 5 layers
        names = {p.name for p in (tmp_path / "s").iterdir()}
        assert {"s2.tif", "dem.tif", "manifest.json", "buildings.geojson"} <= names
        assert len([n for n in names if n.startswith("s1_2")]) == 3

    def test_clouds_keep_georeference_and_dtype(self, optical_tif: Path, tmp_path: Path) -> None:
        out, mask = tmp_path / "cloudy.tif", tmp_path / "mask.tif"
        res = _run("clouds", optical_tif, out, "--coverage", "0.4", "--mask", mask)
        assert res.exit_code == 0, res.output
        src, dst, m = read_raster(optical_tif), read_raster(out), read_raster(mask)
        assert dst.grid == src.grid and dst.data.dtype == src.data.dtype
        assert dst.nodata == src.nodata and dst.descriptions == src.descriptions
        assert m.data.mean() == pytest.approx(0.4, abs=0.05)
        assert dst.data[:, m.data[0] == 1].mean() > src.data[:, m.data[0] == 1].mean()

    def test_clouds_from_probability_raster(self, optical_tif: Path, tmp_path: Path) -> None:
        prob = np.zeros((1, 64, 48), np.float32)
        prob[0, :32] = 0.95
        write_raster(tmp_path / "p.tif", Raster(prob, utm_grid()))
        res = _run("clouds", optical_tif, tmp_path / "c.tif", "--probability", tmp_path / "p.tif")
        assert res.exit_code == 0, res.output
        assert "50.0 % cloud" in res.output

    def test_demo_writes_report(self, tmp_path: Path) -> None:
        res = _run("demo", "--out", tmp_path / "d", "--size", "128")
        assert res.exit_code == 0, res.output
        html = (tmp_path / "d" / "report.html").read_text()
        srcs = ("img/s2_truecolour.png", "img/s2_cloudy.png", "img/class_profiles.png",
                "img/score_maps.png", "img/tiepoints.png", "img/keypoints.png")  # fmt: skip
        for src in srcs:
            assert src in html and (tmp_path / "d" / src).stat().st_size > 500
        assert "Requested coverage 0.30" in html
        assert (tmp_path / "d" / "scene" / "manifest.json").exists()
        assert "SAR-optical matching" in html
        assert (tmp_path / "d" / "matching" / "tiepoints" / "corrected.tif").exists()
        assert "Urban mapping" in html and (tmp_path / "d" / "img" / "urban_maps.png").exists()
        urban = read_raster(tmp_path / "d" / "urban" / "urban_scene.tif")
        assert urban.count == 4 and urban.grid.shape == (128, 128)
        for head in ("SAR head", "optical head", "fusion (mean)"):  # scores on the demo scene
            assert f"{head}, demo scene" in html
        assert "Dense SAR-optical registration" in html
        for src in ("img/registration_flows.png", "img/registration_checker.png"):
            assert src in html and (tmp_path / "d" / src).stat().st_size > 500
        for method in ("zero", "phase", "gefolki", "pwc"):
            assert f"<tr><td>{method}</td>" in html


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


class TestBadInput:
    """Each bad input: named error in the message, exit code 2, no output left behind."""

    def _check(self, args: list[object], out: Path, error: str, fragment: str) -> None:
        res = _run(*args)
        assert res.exit_code == EXIT_BAD_INPUT, res.output
        assert error in res.output and fragment in res.output
        assert "Traceback" not in res.output
        assert not out.exists()
        assert _leftovers(out.parent) == []

    def test_missing_file(self, tmp_path: Path) -> None:
        out = tmp_path / "o.tif"
        self._check(
            ["clouds", tmp_path / "nope.tif", out], out, "RasterNotFoundError", "does not exist"
        )

    def test_not_a_raster(self, tmp_path: Path) -> None:
        txt = tmp_path / "readme.tif"
        txt.write_text("not an image")
        out = tmp_path / "o.tif"
        self._check(["clouds", txt, out], out, "NotARasterError", "not a raster")

    def test_truncated_tiff(self, tmp_path: Path) -> None:
        rng = np.random.default_rng(0)
        data = rng.integers(1, 4000, (13, 600, 600)).astype(np.uint16)
        p = write_raster(tmp_path / "t.tif", Raster(data, utm_grid(600, 600)))
        raw = p.read_bytes()
        p.write_bytes(raw[: len(raw) // 2])
        out = tmp_path / "o.tif"
        self._check(["clouds", p, out], out, "CorruptRasterError", "truncated")

    def test_wrong_band_count(self, optical_tif: Path, tmp_path: Path) -> None:
        out = tmp_path / "o.tif"
        self._check(
            ["clouds", optical_tif, out, "--bands", "B02,B03,B04,B08"],
            out,
            "BandCountError",
            "has 13 band(s) but 4 are needed",
        )

    def test_crs_mismatch(self, optical_tif: Path, tmp_path: Path) -> None:
        g = utm_grid()
        other = Grid("EPSG:32632", g.transform, g.width, g.height)
        write_raster(tmp_path / "p.tif", Raster(np.zeros((1, 64, 48), np.float32), other))
        out = tmp_path / "o.tif"
        self._check(
            ["clouds", optical_tif, out, "--probability", tmp_path / "p.tif"],
            out,
            "CRSMismatchError",
            "CRS differs",
        )

    def test_grid_mismatch(self, optical_tif: Path, tmp_path: Path) -> None:
        write_raster(
            tmp_path / "p.tif", Raster(np.zeros((1, 32, 24), np.float32), utm_grid(32, 24, 20.0))
        )
        out = tmp_path / "o.tif"
        self._check(
            ["clouds", optical_tif, out, "--probability", tmp_path / "p.tif"],
            out,
            "GridMismatchError",
            "resolution differs",
        )

    def test_all_nodata(self, tmp_path: Path) -> None:
        p = write_raster(
            tmp_path / "z.tif", Raster(np.zeros((13, 16, 16), np.uint16), utm_grid(16, 16), 0)
        )
        out = tmp_path / "o.tif"
        self._check(["clouds", p, out], out, "AllNodataError", "every pixel")

    def test_nan_values(self, tmp_path: Path) -> None:
        data = np.full((4, 16, 16), 0.05, np.float32)
        data[2, 4, 4] = math.nan
        p = write_raster(tmp_path / "n.tif", Raster(data, utm_grid(16, 16)))
        out = tmp_path / "o.tif"
        self._check(["clouds", p, out], out, "InvalidValueError", "NaN")

    @pytest.mark.parametrize(
        ("study", "good"), [("urban-study", "mmtm"), ("classification-study", "CTM")]
    )
    def test_unknown_study_setting(self, tmp_path: Path, study: str, good: str) -> None:
        out = tmp_path / "study"
        self._check(
            ["train", study, "--out", out, "--settings", f"{good},bogus"],
            out,
            "ConfigError",
            "--settings: unknown ['bogus']; choose from",
        )
        self._check(["train", study, "--out", out, "--settings", ","], out, "ConfigError",
                    "choose from")  # fmt: skip

    def test_console_script_prints_no_traceback(self, tmp_path: Path) -> None:
        env = {**os.environ, "COLUMNS": "200"}
        proc = subprocess.run(
            [sys.executable, "-m", "saropt", "info", str(tmp_path / "missing.tif")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert proc.returncode == EXIT_BAD_INPUT
        assert "RasterNotFoundError" in proc.stderr and "does not exist" in proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout


class TestDatabaseCommands:
    def test_build_and_info(self, tmp_path: Path) -> None:
        scene = tmp_path / "scene"
        assert _run("synth", "--out", scene, "--size", "96", "--dates", "2").exit_code == 0
        s1 = sorted(p for p in scene.glob("s1_2*.tif"))
        args = ["db", "build", "--out", tmp_path / "db", "--s2", scene / "s2.tif"]
        for p in s1:
            args += ["--s1", p]
        args += ["--dem", scene / "dem.tif", "--osm", scene / "buildings.geojson"]
        args += ["--osm", scene / "roads.geojson", "--tile-size", "48", "--split-block", "1"]
        res = _run(*args)
        assert res.exit_code == 0, res.output
        assert "4 tiles built, 0 skipped" in res.output
        res = _run("db", "info", tmp_path / "db")
        assert res.exit_code == 0, res.output
        assert "96 x 96 px, EPSG:32633, 10 m" in res.output
        assert "osm_layers" in res.output
        assert (tmp_path / "db" / "quicklook.png").stat().st_size > 500

    def test_info_on_a_folder_that_is_no_database(self, tmp_path: Path) -> None:
        res = _run("db", "info", tmp_path)
        assert res.exit_code == EXIT_BAD_INPUT
        assert "InputNotFoundError" in res.output and "saropt db build" in res.output


class TestPauliDatabaseCommand:
    def test_pauli_site_builds_registers_and_shows_in_colour(self, tmp_path: Path) -> None:
        site = tmp_path / "site"
        res = _run("synth", "--out", site, "--size", "96", "--dates", "2", "--layout", "pauli")
        assert res.exit_code == 0, res.output
        args = ["db", "build", "--out", tmp_path / "db", "--s2", site / "aerial.tif"]
        for p in sorted(site.glob("pauli_*.tif")):
            args += ["--s1", p]
        args += ["--sar-units", "amplitude", "--tile-size", "48", "--register-method", "zero"]
        res = _run(*args)
        assert res.exit_code == 0, res.output
        assert "4 tiles built" in res.output and "mean displacement 0.00 px" in res.output
        res = _run("db", "info", tmp_path / "db")
        assert res.exit_code == 0, res.output
        assert "96 x 96 px, EPSG:32633, 5 m" in res.output and "flow" in res.output
        img = plt.imread(tmp_path / "db" / "quicklook.png")[..., :3]
        red, green, _ = img.reshape(-1, 3).mean(0)
        assert red < green  # red, green, blue by name (NIR as red would make fields red)
        bad = _run("synth", "--out", tmp_path / "x", "--size", "96", "--layout", "uavsar")
        assert bad.exit_code == EXIT_BAD_INPUT and "unknown layout" in bad.output
