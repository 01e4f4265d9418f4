"""`saropt batch`: many scenes, here or on Dask, outputs equal to single runs, a corrupt
scene failing alone, reruns that skip what is done, STAC lists and COG outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from saropt.cli.main import app
from saropt.errors import ConfigError, InputNotFoundError
from saropt.inference.batch import BatchSettings, read_scenes, run_batch
from saropt.io.grid import Grid
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster
from saropt.models import create_model, save_model
from tests.helpers import cog_problems

runner = CliRunner()
BANDS = ("B02", "B03", "B04", "B08")


def _scene(folder: Path, seed: int, size: int = 96) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    grid = Grid.from_origin("EPSG:32633", 400000.0 + 1000 * seed, 5100000.0, 10.0, size, size)
    opt = rng.integers(200, 4000, (4, size, size)).astype(np.uint16)
    sar = rng.uniform(-25, 0, (2, size, size)).astype(np.float32)
    return (
        write_raster(folder / f"s2_{seed}.tif", Raster(opt, grid, 0, BANDS)),
        write_raster(folder / f"s1_{seed}.tif", Raster(sar, grid, None, ("VV", "VH"))),
    )


@pytest.fixture
def batch(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "scenes"
    d.mkdir()
    rows = []
    for i in range(6):
        opt, sar = _scene(d, i, size=96 + 16 * i)
        rows.append({"id": f"scene{i}", "optical": opt.name, "sar": sar.name})
    with (d / "scenes.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, ["id", "optical", "sar"])
        w.writeheader()
        w.writerows(rows)
    kw = {"optical_channels": 4, "sar_channels": 2, "width": 4, "depth": 3}
    torch_model = create_model("sar_opt_cgan_generator", **kw)
    weights = save_model(torch_model, tmp_path / "g", "sar_opt_cgan_generator", kw,
                         bands=list(BANDS))  # fmt: skip
    return {"dir": d, "csv": d / "scenes.csv", "weights": weights}


def _single(batch: dict[str, Path], i: int, out: Path) -> np.ndarray:
    d = batch["dir"]
    res = runner.invoke(app, ["decloud", "--optical", str(d / f"s2_{i}.tif"), "--sar",
                              str(d / f"s1_{i}.tif"), "--weights", str(batch["weights"]),
                              "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    return read_raster(out).data


def test_dask_batch_equals_single_runs_and_a_corrupt_scene_fails_alone(
    batch: dict[str, Path], tmp_path: Path
) -> None:
    corrupt = batch["dir"] / "s2_3.tif"
    good = corrupt.read_bytes()
    corrupt.write_bytes(good[: len(good) // 2])  # truncated mid-file
    out = tmp_path / "out"
    args = ["batch", "decloud", "--scenes", str(batch["csv"]), "--weights",
            str(batch["weights"]), "--out", str(out), "--scheduler", "local:2"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output
    assert "5 scenes done, 0 already done, 1 failed" in res.output
    manifest = json.loads((out / "manifest.json").read_text())["scenes"]
    assert manifest["scene3"]["status"] == "failed"
    assert "scene3" in res.output and manifest["scene3"]["error"].startswith("CorruptRasterError")
    assert sorted(p.name for p in out.glob("*.tif")) == [f"scene{i}.tif" for i in (0, 1, 2, 4, 5)]
    assert not list(out.glob(".*"))  # no temporary file left
    # the input mended, a rerun runs only scene3
    corrupt.write_bytes(good)
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "1 scenes done, 5 already done, 0 failed" in res.output
    for i in range(6):
        single = _single(batch, i, tmp_path / f"single{i}.tif")
        np.testing.assert_array_equal(read_raster(out / f"scene{i}.tif").data, single)
    done = json.loads((out / "manifest.json").read_text())["scenes"]
    assert {v["status"] for v in done.values()} == {"done"}
    assert done["scene5"]["pixels"] == 176 * 176


def test_stac_list_cog_outputs_and_a_changed_output_is_redone(
    batch: dict[str, Path], tmp_path: Path
) -> None:
    import pystac

    items = []
    for i in (0, 1):
        item = pystac.Item(f"tile-{i}", None, None, pystac.utils.str_to_datetime(
            "2021-06-01T00:00:00Z"), {})  # fmt: skip
        item.add_asset("s2", pystac.Asset(f"scenes/s2_{i}.tif"))  # relative to the file
        item.add_asset("s1", pystac.Asset(f"scenes/s1_{i}.tif"))
        items.append(item)
    stac = tmp_path / "items.json"
    stac.write_text(json.dumps(pystac.ItemCollection(items).to_dict(transform_hrefs=False)))
    scenes = read_scenes(stac, "decloud")
    assert [s.id for s in scenes] == ["tile-0", "tile-1"]
    assert scenes[0].inputs["sar"] == batch["dir"] / "s1_0.tif"
    settings = BatchSettings(batch["weights"], tile=64, overlap=8, batch_size=2, cog=True)
    summary = run_batch("decloud", scenes, tmp_path / "out", settings)
    assert summary.done == ["tile-0", "tile-1"] and not summary.failed
    for s in scenes:
        assert cog_problems(tmp_path / "out" / f"{s.id}.tif") == []
    # an output changed after the run no longer matches its recorded checksum: redone
    (tmp_path / "out" / "tile-1.tif").write_bytes(b"not the output")
    again = run_batch("decloud", scenes, tmp_path / "out", settings)
    assert again.skipped == ["tile-0"] and again.done == ["tile-1"]
    assert cog_problems(tmp_path / "out" / "tile-1.tif") == []


def test_bad_scene_lists_are_named(batch: dict[str, Path], tmp_path: Path) -> None:
    def listing(text: str) -> Path:
        p = batch["dir"] / "bad.csv"
        p.write_text(text)
        return p

    with pytest.raises(InputNotFoundError):
        read_scenes(tmp_path / "none.csv", "decloud")
    with pytest.raises(ConfigError, match="needs an 'id' column"):
        read_scenes(listing("optical\ns2_0.tif\n"), "decloud")
    with pytest.raises(ConfigError, match="appears twice"):
        read_scenes(listing("id,optical\na,s2_0.tif\na,s2_1.tif\n"), "decloud")
    with pytest.raises(ConfigError, match="line 2: scene 'a' has no optical"):
        read_scenes(listing("id,sar\na,s1_0.tif\n"), "decloud")
    with pytest.raises(ConfigError, match="cannot name an output"):
        read_scenes(listing("id,optical\n../x,s2_0.tif\n"), "decloud")
    with pytest.raises(ConfigError, match="has no s1 or s2"):
        read_scenes(listing("id,mask\na,m.tif\n"), "classify")
    with pytest.raises(ConfigError, match="must be one of"):
        read_scenes(batch["csv"], "segment")
    res = runner.invoke(app, ["batch", "decloud", "--scenes", str(batch["csv"]), "--weights",
                              str(batch["weights"]), "--out", str(tmp_path / "o"),
                              "--scheduler", "local"])  # fmt: skip
    assert res.exit_code == 2 and "--scheduler must be local:N" in res.output


def test_classify_urban_and_register_batches_equal_their_single_commands(
    s1s2_scene: dict[str, Path],
    classifier_run: tuple[Path, Any],
    urban_run: tuple[Path, Any],
    tmp_path: Path,
) -> None:
    from saropt.inference.classify import classify_scene
    from saropt.inference.register import register_scene
    from saropt.inference.urban import urban_scene

    s1, s2 = s1s2_scene["s1"], s1s2_scene["s2"]
    listing = tmp_path / "scenes.csv"
    listing.write_text(f"id,sar,optical\na,{s1},{s2}\n")  # aliases of s1/s2, fixed/moving
    cls_w = classifier_run[0] / "classifier.safetensors"
    urb_w = urban_run[0] / "urban.safetensors"
    runs = {
        "classify": (BatchSettings(cls_w), lambda o: classify_scene(s1, s2, cls_w, o)),
        "urban": (BatchSettings(urb_w, tile=64, overlap=16, batch_size=4),
                  lambda o: urban_scene(s1, s2, urb_w, o, tile=64, overlap=16)),
        "register": (BatchSettings(method="phase"),
                     lambda o: register_scene(s1, s2, o, method="phase")),
    }  # fmt: skip
    for command, (settings, single) in runs.items():
        summary = run_batch(command, read_scenes(listing, command), tmp_path / command, settings)
        assert summary.done == ["a"], summary
        want = read_raster(single(tmp_path / f"{command}_single.tif"))
        got = read_raster(tmp_path / command / "a.tif")
        assert got.grid == want.grid and got.descriptions == want.descriptions
        np.testing.assert_allclose(got.data, want.data, atol=1e-6, equal_nan=True)
