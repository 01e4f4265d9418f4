"""urban_scene and `saropt urban` / `saropt train urban`: bands and grid, per-branch maps,
and named errors with no partial output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from saropt.cli.main import EXIT_BAD_INPUT, app
from saropt.errors import BandCountError, ConfigError
from saropt.inference.runtime import TOLERANCE, Runtime
from saropt.inference.urban import urban_scene
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster
from saropt.models import create_model, save_model
from tests.conftest import utm_grid

runner = CliRunner()


@pytest.fixture
def scene(s1s2_scene: dict[str, Path]) -> dict[str, Path]:
    """The shared generated scene (tests/conftest.py)."""
    return s1s2_scene


def test_probability_binary_and_branch_bands(
    scene: dict[str, Path], urban_run: tuple[Path, Any], tmp_path: Path
) -> None:
    weights = urban_run[0] / "urban.safetensors"
    plain = read_raster(urban_scene(scene["s1"], scene["s2"], weights, tmp_path / "a.tif",
                                    tile=64, overlap=16))  # fmt: skip
    ref = read_raster(scene["s1"])
    assert plain.grid == ref.grid and plain.count == 2 and plain.data.dtype == np.float32
    assert plain.descriptions[:2] == ("urban_probability", "urban")
    np.testing.assert_array_equal(plain.data[1], (plain.data[0] > 0.5).astype(np.float32))
    both = read_raster(urban_scene(scene["s1"], scene["s2_4"], weights, tmp_path / "b.tif",
                                   branches=True, tile=64, overlap=16))  # fmt: skip
    assert both.count == 4 and both.descriptions[2:] == ("p_sar", "p_opt")
    np.testing.assert_allclose(both.data[0], plain.data[0], atol=1e-5)  # 4 bands = 13 bands
    np.testing.assert_allclose(both.data[0], (both.data[2] + both.data[3]) / 2, atol=1e-5)


def test_default_and_onnx_paths_match_the_plain_fp32_path(
    scene: dict[str, Path], urban_run: tuple[Path, Any], tmp_path: Path
) -> None:
    weights = urban_run[0] / "urban.safetensors"
    maps = []
    for k, rt in (("plain", Runtime()), ("default", None), ("onnx", Runtime(backend="onnx"))):
        out = urban_scene(scene["s1"], scene["s2"], weights, tmp_path / f"{k}.tif",
                          tile=64, overlap=16, runtime=rt)  # fmt: skip
        maps.append(read_raster(out).data)
    for other in maps[1:]:
        np.testing.assert_allclose(other[0], maps[0][0], atol=TOLERANCE["fp32"])


def test_named_errors_and_no_partial_output(
    scene: dict[str, Path], urban_run: tuple[Path, Any], tmp_path: Path
) -> None:
    weights = urban_run[0] / "urban.safetensors"
    with pytest.raises(BandCountError):
        urban_scene(scene["s2"], scene["s2"], weights, tmp_path / "x.tif")
    other = save_model(create_model("resnet18", in_channels=2), tmp_path / "r", "resnet18",
                       {"in_channels": 2})  # fmt: skip
    with pytest.raises(ConfigError, match="not an urban network"):
        urban_scene(scene["s1"], scene["s2"], other, tmp_path / "x.tif")
    small = write_raster(tmp_path / "s1_small.tif",
                         Raster(np.zeros((2, 50, 75), np.float32), utm_grid(50, 75)))  # fmt: skip
    for args in (
        ["--s1", str(small), "--s2", str(scene["s2"])],
        ["--s1", str(scene["s1"]), "--s2", str(scene["s2"]), "--weights", str(other)],
    ):
        if "--weights" not in args:
            args += ["--weights", str(weights)]
        res = runner.invoke(app, ["urban", *args, "--out", str(tmp_path / "y.tif")])
        assert res.exit_code == EXIT_BAD_INPUT and "Traceback" not in res.output
    assert not list(tmp_path.glob("*y.tif*"))


def test_train_command_refuses_bad_labels_before_writing(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    grid = utm_grid(80, 64)
    s1 = write_raster(
        tmp_path / "s1.tif", Raster(rng.normal(-12, 3, (2, 80, 64)).astype(np.float32), grid)
    )
    s2 = write_raster(
        tmp_path / "s2.tif", Raster(rng.integers(1, 4000, (13, 80, 64)).astype(np.uint16), grid)
    )
    lab = write_raster(
        tmp_path / "lab.tif", Raster(rng.integers(0, 4, (1, 80, 64)).astype(np.uint8), grid)
    )
    out = tmp_path / "run"
    sets = ["data.source=rasters", f"data.s1={s1}", f"data.s2={s2}", f"data.labels={lab}",
            "data.patch_size=16"]  # fmt: skip
    args = [arg for s in sets for arg in ("--set", s)]
    res = runner.invoke(app, ["train", "urban", "--out", str(out), *args])
    assert res.exit_code == EXIT_BAD_INPUT, res.output
    assert "lab.tif" in res.output and "0 (not built-up)" in res.output
    assert not out.exists()
