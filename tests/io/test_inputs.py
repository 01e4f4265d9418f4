"""saropt.io.inputs: the one check of every input raster, on small and on sampled rasters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from saropt.errors import AllNodataError, BandCountError, InvalidValueError, ScaleError
from saropt.inference.tiled import TiledOptions, predict_scene
from saropt.io.grid import Grid
from saropt.io.inputs import InputSpec, check_input, clean_window
from saropt.io.raster import Raster
from saropt.io.write import write_raster

BIG = 1100  # above the 1024^2 judged whole: sampled by blocks


def _write(path: Path, data: np.ndarray, nodata: float | None = None) -> Path:
    _, h, w = data.shape
    grid = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 10.0, w, h)
    return write_raster(path, Raster(data, grid, nodata))


def test_small_rasters_are_judged_whole(tmp_path: Path) -> None:
    data = np.full((2, 40, 40), -10.0, np.float32)
    data[0, 1, 1] = np.inf  # one pixel anywhere is found
    with pytest.raises(InvalidValueError, match="1 infinite"):
        check_input(InputSpec(_write(tmp_path / "a.tif", data), "--sar", "sar"))
    data[0, 1, 1] = -20.0
    checked = check_input(InputSpec(_write(tmp_path / "b.tif", data), "--sar", "sar", (2,)))
    assert checked.scale == 1.0 and checked.fill[0] == pytest.approx((-10 * 1599 - 20) / 1600)
    with pytest.raises(BandCountError, match=r"--sar .* has 2 band"):
        check_input(InputSpec(tmp_path / "b.tif", "--sar", "sar", (3,)))


def test_scale_is_detected_or_refused(tmp_path: Path) -> None:
    refl = np.full((4, 32, 32), 0.12, np.float32)
    checked = check_input(InputSpec(_write(tmp_path / "r.tif", refl), "--s2", "optical"))
    assert checked.scale == 10000.0 and checked.fill[0] == pytest.approx(1200.0)
    data, gone = clean_window(refl[None, :, :8, :8], checked, "w")
    assert not gone.any() and data.max() == pytest.approx(1200.0)
    with pytest.raises(ScaleError, match="8-bit"):
        check_input(InputSpec(_write(tmp_path / "u8.tif", refl.astype(np.uint8) + 9), "--s2",
                              "optical"))  # fmt: skip
    aerial = InputSpec(tmp_path / "u8.tif", "--s2", "optical", quantification=255)
    assert check_input(aerial).scale == 1.0  # an 8-bit model takes 8 bits
    with pytest.raises(ScaleError, match="no negative value"):
        check_input(InputSpec(_write(tmp_path / "lin.tif", refl[:2]), "--s1", "sar"))


def test_a_big_raster_is_sampled_and_a_missed_pixel_still_stops_the_run(tmp_path: Path) -> None:
    data = np.ones((1, BIG, BIG), np.float32)
    data[0, 1, 1] = np.nan  # (1, 1): every fourth pixel of a block is sampled, not this one
    src = _write(tmp_path / "big.tif", data)
    check_input(InputSpec(src))  # the sample does not see it
    out = tmp_path / "out.tif"
    with pytest.raises(InvalidValueError, match="1 NaN value"):
        predict_scene([src], out, lambda a: a[0], out_bands=1, out_dtype="float32",
                      options=TiledOptions(256, 0, 4))  # fmt: skip
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_all_nodata_reads_the_whole_file_before_refusing(tmp_path: Path) -> None:
    data = np.zeros((1, BIG, BIG), np.uint16)
    with pytest.raises(AllNodataError, match="every pixel"):
        check_input(InputSpec(_write(tmp_path / "none.tif", data, nodata=0)))
    data[0, BIG - 1, BIG - 1] = 7  # one valid pixel the sample cannot see
    checked = check_input(InputSpec(_write(tmp_path / "one.tif", data, nodata=0)))
    assert checked.fill == (0.0,)  # no valid pixel in the sample: a neutral fill
