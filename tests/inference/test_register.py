"""Whole-scene registration: the flow convention on GeoTIFFs, nodata and dtypes kept, other
grids and CRSs initialised, flat memory, and named errors that leave nothing behind."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from saropt.errors import BandCountError, ConfigError, GridMismatchError, NoOverlapError
from saropt.inference.register import apply_flow, register_scene
from saropt.io.grid import Grid
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster

GRID = Grid.from_origin("EPSG:32633", 400000.0, 5100000.0, 10.0, 300, 200)


def _smooth(bands: int, grid: Grid = GRID, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = ndimage.gaussian_filter(rng.random((bands, grid.height, grid.width)), (0, 3, 3))
    return (1000 + 20000 * (x - x.min()) / (x.max() - x.min())).astype(np.uint16)


def _flow(path: Path, dx: float, dy: float, grid: Grid = GRID) -> Path:
    f = np.zeros((2, grid.height, grid.width), np.float32)
    f[0], f[1] = dx, dy
    return write_raster(path, Raster(f, grid, None, ("dx", "dy")))


class TestApplyFlow:
    def test_integer_flow_shifts_every_band_exactly_and_keeps_nodata(self, tmp_path: Path) -> None:
        data = _smooth(5)
        data[:, :10, :] = 0  # a nodata strip
        src = write_raster(tmp_path / "m.tif", Raster(data, GRID, 0, tuple("abcde")))
        out = apply_flow(src, _flow(tmp_path / "f.tif", 3, -2), tmp_path / "o.tif")
        got = read_raster(out)
        assert (got.data.dtype, got.nodata, got.descriptions) == (np.uint16, 0, tuple("abcde"))
        assert got.grid == GRID
        # out[y, x] = moving[y - 2, x + 3]
        np.testing.assert_array_equal(got.data[:, 20:, :-3], data[:, 18:-2, 3:])
        assert (got.data[:, :12] == 0).all()  # reads the nodata strip (or beyond the top)
        assert (got.data[:, :, -3:] == 0).all()  # beyond the right edge: nodata

    def test_zero_flow_is_identity_and_half_pixels_interpolate(self, tmp_path: Path) -> None:
        data = _smooth(2).astype(np.float32)
        src = write_raster(tmp_path / "m.tif", Raster(data, GRID, None))
        same = apply_flow(src, _flow(tmp_path / "z.tif", 0, 0), tmp_path / "z_out.tif")
        np.testing.assert_array_equal(read_raster(same).data, data)
        half = read_raster(apply_flow(src, _flow(tmp_path / "h.tif", 0.5, 0), tmp_path / "h_o.tif"))
        np.testing.assert_allclose(half.data[:, :, :-1], (data[:, :, :-1] + data[:, :, 1:]) / 2,
                                   rtol=1e-5)  # fmt: skip
        np.testing.assert_array_equal(half.data[:, :, -1], data[:, :, -1])  # no nodata: edge

    def test_wrong_flow_files_are_named_errors(self, tmp_path: Path) -> None:
        src = write_raster(tmp_path / "m.tif", Raster(_smooth(1), GRID, 0))
        one_band = write_raster(
            tmp_path / "f1.tif", Raster(np.zeros((1, 200, 300), np.float32), GRID, None)
        )
        with pytest.raises(BandCountError, match="two"):
            register_scene(src, src, tmp_path / "o.tif", flow_in=one_band)
        other = Grid.from_origin("EPSG:32633", 400000.0, 5100000.0, 10.0, 200, 200)
        with pytest.raises(GridMismatchError, match="shape differs"):
            register_scene(
                src, src, tmp_path / "o.tif", flow_in=_flow(tmp_path / "f2.tif", 0, 0, other)
            )
        assert not (tmp_path / "o.tif").exists()
        assert not list(tmp_path.glob(".register-*"))


class TestRegisterScene:
    def test_phase_correlation_undoes_a_translation(self, tmp_path: Path) -> None:
        ref = _smooth(3, seed=1)
        fixed = write_raster(tmp_path / "fixed.tif", Raster(ref, GRID, None))
        moved = np.roll(ref, (4, -3), axis=(1, 2))  # moved[y + 4, x - 3] = ref[y, x]
        moving = write_raster(tmp_path / "moving.tif", Raster(moved, GRID, None))
        out = register_scene(fixed, moving, tmp_path / "reg.tif", method="phase",
                             flow_out=tmp_path / "flow.tif", tile=128, overlap=32)  # fmt: skip
        flow = read_raster(tmp_path / "flow.tif").data
        # whitened correlation reads shifts of smooth images a little short (metrics docs)
        np.testing.assert_allclose(np.median(flow[:, 20:-20, 20:-20], (1, 2)), (-3, 4), atol=0.3)
        got = read_raster(out).data.astype(float)[:, 20:-20, 20:-20]
        before = np.abs(moved.astype(float)[:, 20:-20, 20:-20] - ref[:, 20:-20, 20:-20]).mean()
        after = np.abs(got - ref[:, 20:-20, 20:-20]).mean()
        assert after < 0.2 * before, (before, after)

    def test_other_resolution_and_crs_are_resampled_onto_the_fixed_grid(
        self, tmp_path: Path
    ) -> None:
        from saropt.io.warp import reproject_raster

        data = _smooth(1).astype(np.float32)
        fixed = write_raster(tmp_path / "fixed.tif", Raster(data, GRID, None))
        utm32 = Grid.from_origin("EPSG:32632", 863500.0, 5110600.0, 20.0, 250, 180)
        moving = write_raster(tmp_path / "m32.tif",
                              reproject_raster(Raster(data, GRID, None), utm32))  # fmt: skip
        out = read_raster(register_scene(fixed, moving, tmp_path / "o.tif", method="zero"))
        assert out.grid == GRID
        inner = (slice(None), slice(30, -30), slice(30, -30))
        err = np.nanmean(np.abs(out.data[inner] - data[inner]))  # 20 m and back blurs a little
        off_by_2 = np.abs(np.roll(data, 2, axis=2)[inner] - data[inner]).mean()
        assert err < 0.1 * data.std() and err < 0.5 * off_by_2, (err, off_by_2)

    def test_no_overlap_is_refused_without_output(self, tmp_path: Path) -> None:
        fixed = write_raster(tmp_path / "fixed.tif", Raster(_smooth(1), GRID, None))
        far = Grid.from_origin("EPSG:32633", 600000.0, 5100000.0, 10.0, 300, 200)
        moving = write_raster(tmp_path / "far.tif", Raster(_smooth(1, far), far, None))
        with pytest.raises(NoOverlapError, match="do not overlap"):
            register_scene(fixed, moving, tmp_path / "o.tif", method="zero")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["far.tif", "fixed.tif"]

    def test_outputs_that_are_inputs_are_refused(self, tmp_path: Path) -> None:
        fixed = write_raster(tmp_path / "fixed.tif", Raster(_smooth(1), GRID, None))
        moving = write_raster(tmp_path / "moving.tif", Raster(_smooth(1, seed=1), GRID, None))
        kept = {p: p.read_bytes() for p in (fixed, moving)}
        for out, flow in ((fixed, None), (moving, None), (tmp_path / "o.tif", fixed),
                          (tmp_path / "o.tif", tmp_path / "o.tif")):  # fmt: skip
            with pytest.raises(ConfigError, match="is also an input"):
                register_scene(fixed, moving, out, method="zero", flow_out=flow)
        assert {p: p.read_bytes() for p in kept} == kept
        assert sorted(p.name for p in tmp_path.iterdir()) == ["fixed.tif", "moving.tif"]

    def test_peak_memory_is_flat_in_scene_size(self, tmp_path: Path) -> None:
        peaks = {}
        for size in (1024, 4096):
            g = Grid.from_origin("EPSG:32633", 400000.0, 5100000.0, 10.0, size, size)
            img = np.zeros((1, size, size), np.uint16)
            img[0, ::7] = 500
            fixed = write_raster(tmp_path / f"f{size}.tif", Raster(img, g, None))
            del img
            tracemalloc.start()
            register_scene(fixed, fixed, tmp_path / f"o{size}.tif", method="zero")
            peaks[size] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert peaks[4096] < 1.5 * peaks[1024], peaks
