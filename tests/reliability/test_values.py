"""What is masked rather than refused: nodata pixels of any input are nodata in the output,
exactly those, and never spread through the network; 0-1 reflectance comes back as 0-1
reflectance."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from saropt.inference.decloud import decloud_scene
from saropt.inference.tiled import TiledOptions
from saropt.inference.translate import translate_scene
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster

OPT = TiledOptions(64, 8, 4)
HOLE = (slice(40, 50), slice(40, 50))


def _with_hole(src: Path, dst: Path, nodata: float) -> Path:
    r = read_raster(src)
    data = r.data.astype(np.float32)
    data[:, HOLE[0], HOLE[1]] = nodata
    return write_raster(dst, Raster(data, r.grid, nodata, r.descriptions))


def _hole_mask(shape: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[HOLE] = True
    return m


def test_optical_nodata_stays_exactly_where_it_was(good: dict[str, Path], tmp_path: Path) -> None:
    optical = _with_hole(good["s2"], tmp_path / "opt.tif", float("nan"))
    out = read_raster(decloud_scene(optical, good["s1"], good["w_decloud"], tmp_path / "o.tif",
                                    options=OPT))  # fmt: skip
    hole = _hole_mask(out.data.shape[1:])
    assert np.isnan(out.nodata)
    assert np.isnan(out.data[:, hole]).all()
    assert np.isfinite(out.data[:, ~hole]).all()  # before: ~2,100 NaN pixels per band


def test_sar_nodata_masks_the_output_there_only(good: dict[str, Path], tmp_path: Path) -> None:
    sar = _with_hole(good["s1"], tmp_path / "sar.tif", -9999.0)
    out = read_raster(decloud_scene(good["s2"], sar, good["w_decloud"], tmp_path / "o.tif",
                                    options=OPT))  # fmt: skip
    hole = _hole_mask(out.data.shape[1:])
    assert out.nodata == 0 and out.data.dtype == np.uint16
    assert (out.data[:, hole] == 0).all()
    assert (out.data[:, ~hole] > 0).mean() > 0.99
    # the SAR's nodata value (-9999 dB) never reached the network: pixels next to the hole
    # are what the same scene gives with a plausible value there
    filled = _with_hole(good["s1"], tmp_path / "sar_filled.tif", -12.0)
    ref = read_raster(decloud_scene(good["s2"], filled, good["w_decloud"], tmp_path / "r.tif",
                                    options=OPT))  # fmt: skip
    ring = np.zeros_like(hole)
    ring[35:55, 35:55] = True
    ring &= ~hole
    diff = np.abs(out.data[:, ring].astype(float) - ref.data[:, ring].astype(float))
    assert np.median(diff) < 200  # -9999 dB would move them by thousands


def test_translate_marks_nodata_in_its_float_output(good: dict[str, Path], tmp_path: Path) -> None:
    optical = _with_hole(good["s2"], tmp_path / "opt.tif", 0.0)
    out = read_raster(translate_scene(optical, good["w_translate"], tmp_path / "o.tif",
                                      options=OPT))  # fmt: skip
    hole = _hole_mask(out.data.shape[1:])
    assert np.isnan(out.nodata)
    assert np.isnan(out.data[:, hole]).all() and np.isfinite(out.data[:, ~hole]).all()


def test_reflectance_0_1_comes_back_0_1(good: dict[str, Path], tmp_path: Path) -> None:
    dn = read_raster(good["s2"])
    scaled = Raster(dn.data.astype(np.float32) / 10000, dn.grid, 0.0, dn.descriptions)
    refl = write_raster(tmp_path / "refl.tif", scaled)
    a = read_raster(decloud_scene(good["s2"], good["s1"], good["w_decloud"], tmp_path / "a.tif",
                                  options=OPT))  # fmt: skip
    b = read_raster(decloud_scene(refl, good["s1"], good["w_decloud"], tmp_path / "b.tif",
                                  options=OPT))  # fmt: skip
    assert b.data.dtype == np.float32 and float(b.data.max()) < 1.5
    valid = a.data > 0
    np.testing.assert_allclose(b.data[valid] * 10000, a.data[valid], atol=0.51, rtol=1e-5)
