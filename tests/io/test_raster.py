"""saropt.io.raster: round trips, windows, atomic writes, grid checks, statistics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from saropt.errors import (
    AllNodataError,
    BandCountError,
    CorruptRasterError,
    CRSMismatchError,
    GridMismatchError,
    InvalidValueError,
    NotARasterError,
    RasterNotFoundError,
)
from saropt.io.grid import Grid, PixelWindow, check_same_grid, iter_windows
from saropt.io.raster import Raster, read_info, read_raster
from saropt.io.stats import band_statistics
from saropt.io.warp import reproject_raster
from saropt.io.write import RasterWriter, write_raster
from tests.conftest import utm_grid

NODATA = {"uint8": 255, "uint16": 0, "int16": -32768, "float32": math.nan}


def _random(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == "float32":
        return rng.normal(0, 1000, size=shape).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


class TestRoundTrip:
    @pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16", "float32"])
    @pytest.mark.parametrize("count", [1, 2, 13])
    def test_identical_arrays_and_metadata(self, tmp_path: Path, dtype: str, count: int) -> None:
        grid = Grid.from_origin("EPSG:32633", 412345.0, 5098765.0, 10.0, 300, 270)
        data = _random(dtype, (count, 270, 300))
        if dtype == "float32":
            data[0, 5:9, 7:11] = np.nan  # NaN pixels are the declared nodata
        desc = tuple(f"band {i} ({dtype})" for i in range(count))
        src = Raster(data, grid, NODATA[dtype], desc)
        path = write_raster(tmp_path / f"{dtype}_{count}.tif", src)
        back = read_raster(path)
        np.testing.assert_array_equal(back.data, data)
        assert back.data.dtype == np.dtype(dtype)
        assert back.grid == grid
        assert back.descriptions == desc
        if dtype == "float32":
            assert back.nodata is not None and math.isnan(back.nodata)
        else:
            assert back.nodata == NODATA[dtype]
        info = read_info(path)
        assert info.block_shape == (256, 256)  # tiled
        assert info.compression == "deflate"

    def test_wkt_crs_without_epsg_code_survives(self, tmp_path: Path) -> None:
        wkt = (
            'PROJCS["custom tm",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
            '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
            'PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],'
            'PARAMETER["central_meridian",13.5],PARAMETER["scale_factor",0.9996],'
            'PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]'
        )
        grid = Grid.from_origin(wkt, 500000.0, 5000000.0, 5.0, 20, 10)
        path = write_raster(tmp_path / "wkt.tif", Raster(np.ones((1, 10, 20), "uint8"), grid))
        back = read_raster(path)
        check_same_grid(back.grid, grid)  # same CRS, compared as CRS objects


class TestWindows:
    def test_windowed_read_matches_slice(self, tmp_path: Path) -> None:
        data = _random("int16", (3, 100, 90))
        grid = utm_grid(100, 90)
        path = write_raster(tmp_path / "a.tif", Raster(data, grid))
        win = PixelWindow(row=10, col=20, height=30, width=25)
        part = read_raster(path, window=win)
        np.testing.assert_array_equal(part.data, data[:, 10:40, 20:45])
        assert part.grid.transform.c == grid.transform.c + 20 * 10.0
        assert part.grid.transform.f == grid.transform.f - 10 * 10.0
        with pytest.raises(GridMismatchError, match="outside"):
            read_raster(path, window=PixelWindow(90, 0, 20, 10))

    @pytest.mark.parametrize(("size", "overlap"), [(32, 0), (32, 8), (200, 10)])
    def test_iter_windows_cover_everything(self, size: int, overlap: int) -> None:
        seen = np.zeros((100, 77), int)
        for w in iter_windows(100, 77, size, overlap):
            assert w.height <= size and w.width <= size
            seen[w.slices()] += 1
        assert seen.min() >= 1
        if overlap == 0 and size < 77:
            assert seen.max() <= 4  # shifted last windows may overlap their neighbours

    def test_window_by_window_writing_reproduces_the_array(self, tmp_path: Path) -> None:
        data = _random("float32", (2, 130, 70))
        grid = utm_grid(130, 70)
        path = tmp_path / "w.tif"
        with RasterWriter(path, grid, 2, "float32", descriptions=("VV", "VH")) as wr:
            for w in iter_windows(130, 70, 40, 0):
                wr.write(data[(slice(None), *w.slices())], w)
        back = read_raster(path)
        np.testing.assert_array_equal(back.data, data)
        assert back.descriptions == ("VV", "VH")


class TestAtomicWrites:
    def test_failure_leaves_nothing(self, tmp_path: Path) -> None:
        path = tmp_path / "out.tif"
        with pytest.raises(RuntimeError), RasterWriter(path, utm_grid(), 1, "uint8") as wr:
            wr.write(np.zeros((64, 48), np.uint8))
            raise RuntimeError("interrupted")
        assert list(tmp_path.iterdir()) == []

    def test_failure_keeps_previous_file(self, tmp_path: Path) -> None:
        path = write_raster(tmp_path / "out.tif", Raster(np.ones((1, 64, 48), "uint8"), utm_grid()))
        before = path.read_bytes()
        with pytest.raises(BandCountError), RasterWriter(path, utm_grid(), 2, "uint8") as wr:
            wr.write(np.zeros((3, 64, 48), np.uint8))
        assert path.read_bytes() == before
        assert [p.name for p in tmp_path.iterdir()] == ["out.tif"]


class TestErrors:
    def test_missing(self, tmp_path: Path) -> None:
        with pytest.raises(RasterNotFoundError, match="does not exist"):
            read_raster(tmp_path / "nope.tif")

    def test_not_a_raster(self, tmp_path: Path) -> None:
        p = tmp_path / "notes.tif"
        p.write_text("hello")
        with pytest.raises(NotARasterError, match="not a raster"):
            read_raster(p)

    def test_truncated(self, tmp_path: Path) -> None:
        data = _random("uint16", (3, 600, 600))
        p = write_raster(tmp_path / "t.tif", Raster(data, utm_grid(600, 600)))
        raw = p.read_bytes()
        p.write_bytes(raw[: len(raw) // 2])
        with pytest.raises(CorruptRasterError, match="truncated or damaged"):
            read_raster(p)
        with pytest.raises(CorruptRasterError):
            band_statistics(p)

    def test_band_count(self, optical_tif: Path) -> None:
        with pytest.raises(BandCountError, match="has 13 band"):
            read_raster(optical_tif, expect_bands=4)
        with pytest.raises(BandCountError, match="do not exist"):
            read_raster(optical_tif, bands=[14])

    def test_all_nodata(self, tmp_path: Path) -> None:
        p = write_raster(
            tmp_path / "z.tif", Raster(np.zeros((2, 8, 8), "uint16"), utm_grid(8, 8), 0)
        )
        with pytest.raises(AllNodataError, match="every pixel"):
            read_raster(p, require_valid=True)

    def test_nan_not_allowed_unless_nodata(self, tmp_path: Path) -> None:
        data = np.ones((2, 8, 8), np.float32)
        data[1, 3, 3] = np.nan
        p = write_raster(tmp_path / "n.tif", Raster(data, utm_grid(8, 8), None))
        with pytest.raises(InvalidValueError, match="band 2"):
            read_raster(p, allow_nan=False)
        q = write_raster(tmp_path / "m.tif", Raster(data, utm_grid(8, 8), math.nan))
        assert read_raster(q, allow_nan=False).valid_mask().sum() == 63


class TestGridChecks:
    def test_same_grid_passes(self) -> None:
        check_same_grid(utm_grid(), utm_grid())

    def test_crs(self) -> None:
        other = Grid("EPSG:32632", utm_grid().transform, 48, 64)
        with pytest.raises(
            CRSMismatchError, match="CRS differs: s1 is EPSG:32633, s2 is EPSG:32632"
        ):
            check_same_grid(utm_grid(), other, names=("s1", "s2"))

    def test_resolution(self) -> None:
        with pytest.raises(GridMismatchError, match="resolution differs"):
            check_same_grid(utm_grid(res=10.0), utm_grid(res=20.0))

    def test_shape(self) -> None:
        with pytest.raises(GridMismatchError, match="shape differs"):
            check_same_grid(utm_grid(64, 48), utm_grid(64, 47))

    def test_bounds(self) -> None:
        shifted = Grid.from_origin("EPSG:32633", 400005.0, 5100000.0, 10.0, 48, 64)
        with pytest.raises(GridMismatchError, match="bounds differ"):
            check_same_grid(utm_grid(), shifted)


class TestStatistics:
    def test_hand_computed(self, tmp_path: Path) -> None:
        data = np.array([[[1, 2], [3, 0]], [[10, 10], [10, 10]]], np.uint16)
        p = write_raster(tmp_path / "s.tif", Raster(data, utm_grid(2, 2), 0, ("a", "b")))
        a, b = band_statistics(p, rows_per_chunk=1)
        assert (a.valid, a.total, a.minimum, a.maximum) == (3, 4, 1.0, 3.0)
        assert a.mean == pytest.approx(2.0)
        assert a.std == pytest.approx(math.sqrt(2.0 / 3.0))
        assert a.description == "a"
        assert (b.valid, b.mean, b.std) == (4, 10.0, 0.0)


class TestReproject:
    def test_upsampling_a_ramp_keeps_it(self) -> None:
        coarse = utm_grid(20, 20, res=20.0)
        ramp = np.tile(np.arange(20, dtype=np.float32) * 20.0 + 10.0, (20, 1))  # x of centres
        fine = utm_grid(40, 40, res=10.0)
        out = reproject_raster(Raster(ramp, coarse), fine, resampling="bilinear")
        expected = np.arange(40, dtype=np.float32) * 10.0 + 5.0
        np.testing.assert_allclose(out.data[0, 20, 2:-2], expected[2:-2], atol=1e-3)

    def test_other_crs_round_trip(self) -> None:
        grid = utm_grid(50, 50)
        data = np.tile(np.arange(50, dtype=np.float32), (50, 1))[None]
        geo = Grid.from_origin("EPSG:4326", 13.7, 46.05, 0.0001, 80, 60)
        there = reproject_raster(Raster(data, grid, -1.0), geo, resampling="bilinear")
        back = reproject_raster(there, grid, resampling="bilinear")
        ok = (back.data[0] != -1) & (data[0] != -1)
        assert ok.sum() > 0
        assert np.abs(back.data[0][ok] - data[0][ok]).max() < 0.6  # pixels


class TestDecimatedAndOntoGrid:
    def test_decimated_read_averages_blocks(self, tmp_path: Path) -> None:
        from saropt.io.raster import read_decimated

        data = np.arange(64 * 48, dtype=np.float32).reshape(1, 64, 48)
        p = write_raster(tmp_path / "a.tif", Raster(data, utm_grid()))
        small = read_decimated(p, 4)
        assert small.data.shape == (1, 16, 12)
        np.testing.assert_allclose(small.data[0, 0, 0], data[0, :4, :4].mean())
        assert small.grid.res == (40.0, 40.0) and small.grid.bounds == utm_grid().bounds

    def test_read_onto_the_same_grid_is_exact(self, tmp_path: Path) -> None:
        from saropt.io.warp import read_onto_grid

        data = _random("int16", (2, 64, 48))
        p = write_raster(tmp_path / "a.tif", Raster(data, utm_grid(), None, ("x", "y")))
        win = PixelWindow(5, 7, 20, 30)
        out = read_onto_grid(p, utm_grid().window(win), resampling="nearest")
        np.testing.assert_array_equal(out.data, data[(slice(None), *win.slices())])
        assert out.descriptions == ("x", "y")

    def test_merge_first_valid_wins(self, tmp_path: Path) -> None:
        from saropt.io.warp import merge_onto_grid

        g = utm_grid(10, 10)
        a = np.full((1, 10, 10), np.nan, np.float32)
        a[0, :5] = 1.0
        b = np.full((1, 10, 10), 2.0, np.float32)
        pa = write_raster(tmp_path / "a.tif", Raster(a, g, math.nan))
        pb = write_raster(tmp_path / "b.tif", Raster(b, g, math.nan))
        out = merge_onto_grid([pa, pb], g, resampling="nearest").data[0]
        assert (out[:5] == 1.0).all() and (out[5:] == 2.0).all()


def test_cog_output_passes_the_cog_check_and_keeps_pixels(tmp_path: Path) -> None:
    from saropt.io.write import to_cog
    from tests.helpers import cog_problems

    grid = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 10.0, 1300, 1100)
    data = np.random.default_rng(0).integers(1, 5000, (3, 1100, 1300)).astype(np.uint16)
    raster = Raster(data, grid, 0, ("B02", "B03", "B04"))
    plain = write_raster(tmp_path / "plain.tif", raster)
    assert "no GDAL structural metadata block at the start of the file" in cog_problems(plain)
    cog = write_raster(tmp_path / "cog.tif", raster, cog=True)
    assert cog_problems(cog) == []
    back = read_raster(cog)
    np.testing.assert_array_equal(back.data, data)
    assert back.grid == grid and back.nodata == 0 and back.descriptions == raster.descriptions
    import rasterio

    with rasterio.open(cog) as src:
        assert src.overviews(1) == [2, 4] and src.block_shapes[0] == (512, 512)
    to_cog(plain)  # in place
    assert cog_problems(plain) == [] and not list(tmp_path.glob(".*"))


def test_a_failed_final_rename_leaves_no_temporary_file(tmp_path: Path) -> None:
    from saropt.io.atomic import write_text_atomic

    taken = tmp_path / "out.tif"
    taken.mkdir()  # the output path is a directory: the rename fails
    grid = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 10.0, 8, 8)
    with pytest.raises(OSError):
        write_raster(taken, Raster(np.zeros((1, 8, 8), np.float32), grid))
    with pytest.raises(OSError):
        write_text_atomic(taken, "text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif"]
    assert taken.is_dir() and not list(taken.iterdir())


def test_check_output_refuses_inputs_and_directories(tmp_path: Path) -> None:
    import os

    from saropt.errors import ConfigError
    from saropt.io.atomic import check_output

    src = tmp_path / "in.tif"
    src.write_bytes(b"input")
    os.link(src, tmp_path / "linked.tif")
    for out in (src, tmp_path / "sub" / ".." / "in.tif", tmp_path / "linked.tif"):
        with pytest.raises(ConfigError, match="is also an input"):
            check_output(out, [None, src])
    with pytest.raises(ConfigError, match="is a directory"):
        check_output(tmp_path, [src])
    assert check_output(tmp_path / "new.tif", [src, None]) == tmp_path / "new.tif"
    assert src.read_bytes() == b"input"
