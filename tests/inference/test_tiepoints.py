"""Whole-scene tie points correct an optical image's georeference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from affine import Affine

from tests.helpers import misplaced_pair


class TestTiePoints:
    def test_known_georeference_error_is_corrected_within_5_m(
        self, trained: tuple[Path, dict[str, dict[str, float]]], tmp_path: Path
    ) -> None:
        from saropt.inference.tiepoints import correct_georeference
        from saropt.io.raster import read_raster

        out, _ = trained
        # the optical image claims to be 23 m east and 17 m south of where it is
        sar, opt, sc = misplaced_pair(tmp_path, 320, 21, Affine.translation(-23.0, 17.0))
        g = sc.grid
        tp = correct_georeference(opt, sar, out / "shift_classifier.safetensors", tmp_path / "fix")
        assert tp.inliers.sum() >= 5
        fixed = read_raster(tmp_path / "fix" / "corrected.tif")
        err = np.hypot(
            fixed.grid.transform.c - g.transform.c, fixed.grid.transform.f - g.transform.f
        )
        assert err < 5.0, (tp.offset, err)
        np.testing.assert_array_equal(fixed.data, sc.optical)  # pixels untouched
        assert (tmp_path / "fix" / "tiepoints.geojson").exists()

    def test_affine_model_fixes_a_rotated_and_scaled_georeference(
        self, trained: tuple[Path, dict[str, dict[str, float]]], tmp_path: Path
    ) -> None:
        from saropt.inference.tiepoints import correct_georeference
        from saropt.io.raster import read_raster

        out, _ = trained
        # the correction the optical image needs: 0.4 degrees, 0.4 % scale, (23, -17) m
        needed = Affine.translation(23.0, -17.0) @ Affine.rotation(0.4) @ Affine.scale(1.004)
        sar, opt, sc = misplaced_pair(tmp_path, 320, 23, needed)
        g = sc.grid
        corners = [(0, 0), (320, 0), (0, 320), (320, 320), (160, 160)]

        def worst(model: str) -> float:
            fix = tmp_path / model
            correct_georeference(opt, sar, out / "shift_classifier.safetensors", fix,
                                 step=32, model=model)  # fmt: skip
            t = read_raster(fix / "corrected.tif").grid.transform
            return max(float(np.hypot(*np.subtract(t @ p, g.transform @ p))) for p in corners)

        # the rotation alone moves the corners by 0.4 deg * 226 px * 10 m = 16 m, the scale 9 m
        affine, translation = worst("affine"), worst("translation")
        assert affine < 5.0 and translation > 2 * affine, (affine, translation)

    def test_memory_follows_the_batch_not_the_scene(self, tmp_path: Path) -> None:
        import tracemalloc

        from saropt.inference.tiepoints import find_tie_points
        from saropt.io.grid import Grid
        from saropt.io.raster import Raster
        from saropt.io.write import write_raster
        from saropt.models import ShiftClassifier, save_model

        torch.manual_seed(0)
        kw = {"optical_channels": 13, "sar_channels": 2, "width": 4, "layers": 1}
        weights = save_model(ShiftClassifier(**kw), tmp_path / "w", "shift_classifier", kw,
                             template=32, search=48)  # fmt: skip
        rng = np.random.default_rng(0)
        peaks = {}
        for size in (512, 1536):
            g = Grid.from_origin("EPSG:32633", 500000.0, 5000000.0, 10.0, size, size)
            sar = rng.uniform(-25, 0, (2, size, size)).astype(np.float32)
            opt = rng.integers(0, 5000, (13, size, size)).astype(np.uint16)
            write_raster(tmp_path / f"s1_{size}.tif", Raster(sar, g))
            write_raster(tmp_path / f"s2_{size}.tif", Raster(opt, g, 0))
            del sar, opt
            tracemalloc.start()
            find_tie_points(tmp_path / f"s2_{size}.tif", tmp_path / f"s1_{size}.tif", weights,
                            step=96, min_confidence=0, min_peak_ratio=0)  # fmt: skip
            peaks[size] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        # 9x the pixels; reading the whole optical image alone would take 117 MB at 1536^2
        assert peaks[1536] < 1.5 * peaks[512], peaks  # measured: 37.5 and 45.0 MB
        assert peaks[1536] < 60e6, peaks


class TestOffsetUnits:
    def test_projected_offset_in_pixels_and_metres(self) -> None:
        from saropt.inference.tiepoints import offset_in_pixels_and_metres
        from saropt.io.grid import Grid

        g = Grid.from_origin("EPSG:32633", 500000.0, 5000000.0, 10.0, 100, 100)
        px, m = offset_in_pixels_and_metres((23.0, -17.0), g)
        assert px == pytest.approx((2.3, 1.7))  # 17 m south is 1.7 rows down
        assert m == pytest.approx((23.0, -17.0))

    def test_geographic_offset_in_metres_on_the_ellipsoid(self) -> None:
        from saropt.inference.tiepoints import offset_in_pixels_and_metres
        from saropt.io.grid import Grid

        # a 0.0002 degree grid centred on 60 N: one degree of longitude there is 55,800 m,
        # one of latitude 111,412 m (WGS84 series: 111412.84 cos 60 - 93.5 cos 180, and
        # 111132.92 - 559.82 cos 120 + 1.175 cos 240)
        g = Grid.from_origin("EPSG:4326", 10.0 - 0.01, 60.0 + 0.01, 0.0002, 100, 100)
        px, m = offset_in_pixels_and_metres((0.0001, -0.0001), g)
        assert px == pytest.approx((0.5, 0.5))
        assert m[0] == pytest.approx(5.580, rel=2e-3)
        assert m[1] == pytest.approx(-11.141, rel=2e-3)
