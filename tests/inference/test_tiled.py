"""Whole-scene tiled prediction: exact identity, seam blending, flat memory, errors."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from saropt.errors import ConfigError, GridMismatchError
from saropt.inference import TiledOptions, Timings, blend_weights, predict_scene
from saropt.io.grid import Grid
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster


def _scene(
    tmp_path: Path, h: int, w: int, dtype: str, bands: int = 3, name: str = "in.tif"
) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(h * w)
    data = (rng.random((bands, h, w)) * 30000).astype(dtype)
    grid = Grid.from_origin("EPSG:32633", 400000.0, 5100000.0, 10.0, w, h)
    return write_raster(tmp_path / name, Raster(data, grid, None, tuple("abc"[:bands]))), data


def _identity(arrays: list[np.ndarray]) -> np.ndarray:
    return arrays[0]


class TestExactness:
    @pytest.mark.parametrize("dtype", ["uint16", "int16", "float32"])
    @pytest.mark.parametrize(("overlap", "panel"), [(0, 2048), (32, 256), (64, 300)])
    def test_copy_model_returns_a_1000x1300_scene_exactly(
        self, tmp_path: Path, dtype: str, overlap: int, panel: int
    ) -> None:
        src, data = _scene(tmp_path, 1000, 1300, dtype)
        out = predict_scene(
            [src], tmp_path / "out.tif", _identity, out_bands=3, out_dtype=dtype,
            options=TiledOptions(256, overlap, 3, panel), descriptions=("a", "b", "c"),
        )  # fmt: skip
        back = read_raster(out)
        np.testing.assert_array_equal(back.data, data)
        assert back.grid == read_raster(src).grid and back.descriptions == ("a", "b", "c")

    def test_scene_smaller_than_a_tile(self, tmp_path: Path) -> None:
        src, data = _scene(tmp_path, 100, 70, "float32", 2)
        out = predict_scene([src], tmp_path / "o.tif", _identity, out_bands=2, out_dtype="float32")
        np.testing.assert_array_equal(read_raster(out).data, data)


class TestBlending:
    def test_weights(self) -> None:
        w = blend_weights(8, 2)
        assert w.min() > 0 and w[4, 4] == 1.0
        np.testing.assert_allclose(w[0, 4], 1 / 3)
        np.testing.assert_allclose(w[1, 4], 2 / 3)

    def test_seams_are_blended_and_panel_invariant(self, tmp_path: Path) -> None:
        src, _ = _scene(tmp_path, 300, 500, "float32", 1)
        counter = iter(range(10_000))

        def constant_per_tile(arrays: list[np.ndarray]) -> np.ndarray:
            return np.stack([np.full((1, 64, 64), float(next(counter))) for _ in arrays[0]])

        a = predict_scene([src], tmp_path / "a.tif", constant_per_tile, out_bands=1,
                          out_dtype="float32", options=TiledOptions(64, 16, 4, 4096))  # fmt: skip
        row = read_raster(a).data[0, 20]  # row 20 lies in the first strip of tiles only
        # tile 0 (value 0) spans columns 0-63, tile 1 (value 1) columns 48-111
        np.testing.assert_array_equal(row[:48], 0.0)
        ramp = row[48:64]
        assert (ramp > 0).all() and (ramp < 1).all() and (np.diff(ramp) > 0).all()
        np.testing.assert_array_equal(row[64:96], 1.0)

        def tile_mean(arrays: list[np.ndarray]) -> np.ndarray:  # depends on content only
            return np.broadcast_to(
                arrays[0].mean(axis=(1, 2, 3))[:, None, None, None], arrays[0].shape
            )

        wide, narrow = (
            read_raster(predict_scene([src], tmp_path / f"{n}.tif", tile_mean, out_bands=1,
                        out_dtype="float32", options=TiledOptions(64, 16, 4, panel))).data
            for n, panel in (("wide", 4096), ("narrow", 100))
        )  # fmt: skip
        np.testing.assert_array_equal(wide, narrow)  # panels change nothing

    def test_scaling_model(self, tmp_path: Path) -> None:
        src, data = _scene(tmp_path, 200, 260, "int16", 2)
        out = predict_scene(
            [src, src], tmp_path / "o.tif", lambda xs: xs[0] // 2 + xs[1] // 4,
            out_bands=2, out_dtype="int16", options=TiledOptions(64, 16),
        )  # fmt: skip
        np.testing.assert_array_equal(read_raster(out).data, data // 2 + data // 4)


class TestPrefetch:
    def test_same_bytes_with_and_without_reader_and_writer_threads(self, tmp_path: Path) -> None:
        src, data = _scene(tmp_path, 700, 900, "uint16")
        outs = {}
        for on in (True, False):
            timings = Timings()
            out = predict_scene([src], tmp_path / f"{on}.tif", _identity, out_bands=3,
                                out_dtype="uint16", options=TiledOptions(128, 16, 3, 512, on),
                                timings=timings)  # fmt: skip
            outs[on] = out.read_bytes()
            np.testing.assert_array_equal(read_raster(out).data, data)
            steps = {"reading", "predicting", "blending", "writing"}
            assert steps <= set(timings.seconds), timings
            assert ("waiting" in timings.seconds) == on  # only a prefetching run waits
        assert outs[True] == outs[False]

    def test_predictor_time_is_counted(self, tmp_path: Path) -> None:
        src, _ = _scene(tmp_path, 100, 100, "uint16", 1)

        def slow(arrays: list[np.ndarray]) -> np.ndarray:
            time.sleep(0.05)
            return arrays[0]

        timings = Timings()
        predict_scene([src], tmp_path / "o.tif", slow, out_bands=1, out_dtype="uint16",
                      options=TiledOptions(64, 8, 2), timings=timings)  # fmt: skip
        # a 100 px scene in 64 px tiles with 8 overlap: 2 x 2 tiles, 2 batches of 2
        assert 0.1 <= timings.seconds["predicting"] < 0.5

    def test_a_failing_read_ahead_leaves_no_file(self, tmp_path: Path) -> None:
        src, _ = _scene(tmp_path, 300, 300, "uint16", 1)
        calls = iter(range(100))

        def fails_third(arrays: list[np.ndarray]) -> np.ndarray:
            if next(calls) == 2:
                raise RuntimeError("model failed")
            return arrays[0]

        with pytest.raises(RuntimeError, match="model failed"):
            predict_scene([src], tmp_path / "o.tif", fails_third, out_bands=1, out_dtype="uint16",
                          options=TiledOptions(64, 8, 2, prefetch=True))  # fmt: skip
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tif"]


class TestMemoryAndErrors:
    @pytest.mark.parametrize("prefetch", [True, False])
    def test_peak_memory_is_flat_in_scene_size(self, tmp_path: Path, prefetch: bool) -> None:
        peaks = {}
        for size in (1024, 4096):
            src, _ = _scene(tmp_path, size, size, "uint16", 1, f"s{size}.tif")
            tracemalloc.start()
            predict_scene([src], tmp_path / f"o{size}.tif", _identity, out_bands=1,
                          out_dtype="uint16",
                          options=TiledOptions(256, 32, 4, 1024, prefetch))  # fmt: skip
            peaks[size] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert peaks[4096] < 1.5 * peaks[1024], peaks

    def test_inputs_on_other_grids(self, tmp_path: Path) -> None:
        a, _ = _scene(tmp_path, 64, 64, "uint16", 1, "a.tif")
        b, _ = _scene(tmp_path, 64, 80, "uint16", 1, "b.tif")
        with pytest.raises(GridMismatchError, match="shape differs"):
            predict_scene([a, b], tmp_path / "o.tif", _identity, out_bands=1, out_dtype="uint16")
        assert not (tmp_path / "o.tif").exists()

    def test_wrong_predictor_output_leaves_no_file(self, tmp_path: Path) -> None:
        a, _ = _scene(tmp_path, 64, 64, "uint16", 1)
        with pytest.raises(ValueError, match="predictor returned"):
            predict_scene([a], tmp_path / "o.tif", lambda xs: xs[0][:, :, :10], out_bands=1,
                          out_dtype="uint16", options=TiledOptions(32, 8))  # fmt: skip
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tif"]

    def test_bad_options(self) -> None:
        with pytest.raises(ConfigError, match="overlap"):
            TiledOptions(64, 40)
