"""The flow methods behind `saropt register`: GeFolki through the run-time CLAHE wrapper,
windowed phase correlation, zero flow, and the named errors of the method factory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from saropt.errors import ConfigError
from saropt.inference.flow import flow_method, one_band, phase_field, zero_flow
from saropt.inference.gefolki import gefolki_flow, integer_clahe, patched_clahe


def _texture(size: int = 160, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ndimage.gaussian_filter(rng.random((size, size)), 3)


class TestGeFolki:
    def test_the_unwrapped_package_fails_and_the_wrapper_recovers_a_shift(self) -> None:
        import gefolki  # the optional extra; the dev extra installs it

        a = _texture()
        b = np.roll(a, (2, 1), axis=(0, 1))  # b[y + 2, x + 1] = a[y, x]
        with pytest.raises(IndexError, match="integer"):  # why saropt wraps it
            gefolki.GEFolki(a.astype(np.float32), b.astype(np.float32), iteration=2,
                            radius=[16, 8], rank=4, levels=3)  # fmt: skip
        flow = gefolki_flow(a, b)
        np.testing.assert_allclose(flow[:, 20:-20, 20:-20].mean((1, 2)), (1.0, 2.0), atol=0.05)
        import gefolki.adapthist

        assert not hasattr(gefolki.adapthist._clahe, "__wrapped__")  # restored after the call

    def test_wrapper_passes_integers_through_and_rounds_floats(self) -> None:
        seen = []
        wrapped = integer_clahe(lambda image, *a: seen.append(image) or image)
        ints = np.arange(6, dtype=np.uint16).reshape(2, 3)
        wrapped(ints, 8, 8)
        assert seen[-1] is ints
        wrapped(np.array([[1.4, 2.6]]), 8, 8)
        assert seen[-1].dtype.kind == "i" and seen[-1].tolist() == [[1, 3]]
        with patched_clahe() as gf:
            assert gf.adapthist._clahe.__wrapped__ is not None


class TestBaselines:
    def test_phase_field_recovers_a_translation(self) -> None:
        a = _texture(192, 1)
        b = np.roll(a, (-3, 2), axis=(0, 1))  # b[y - 3, x + 2] = a[y, x]: flow (2, -3)
        f = phase_field(a, b)
        assert f.shape == (2, 192, 192)
        np.testing.assert_allclose(np.median(f[:, 32:-32, 32:-32], (1, 2)), (2, -3), atol=0.3)

    def test_one_band_and_zero(self) -> None:
        x = np.stack([np.arange(12.0).reshape(3, 4), 100 * np.arange(12.0).reshape(3, 4)])
        np.testing.assert_allclose(one_band(x), (x[0] - x[0].mean()) / x[0].std())
        assert zero_flow(np.zeros((2, 1, 5, 6)), np.zeros((2, 3, 5, 6))).shape == (2, 2, 5, 6)

    def test_method_errors(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="unknown registration method"):
            flow_method("folki")
        with pytest.raises(ConfigError, match="needs --weights"):
            flow_method("pwc")
        from saropt.models import create_model, save_model

        w = save_model(
            create_model("urban_unet", width=2), tmp_path / "u", "urban_unet", {"width": 2}
        )
        with pytest.raises(ConfigError, match="not a registration network"):
            flow_method("pwc", w)


class TestGefolkiLevels:
    def test_levels_keep_the_largest_window_inside_the_coarsest_image(self) -> None:
        from saropt.inference.gefolki import gefolki_levels

        # coarsest side min(h, w) / 2^levels >= 2 * 32 + 1 = 65 px
        assert [gefolki_levels(s, s) for s in (64, 120, 256, 448, 1024)] == [0, 0, 1, 2, 3]
        assert gefolki_levels(100_000, 200_000) == 6  # the example's cap
        assert gefolki_levels(448, 448, radius=8) == 4

    def test_gefolki_registers_a_generated_sar_optical_pair(self) -> None:
        from saropt.experiments.registration import deformed, generated_test_pairs
        from saropt.inference.flow import gefolki_batch
        from saropt.metrics.registration import flow_scores

        ((sar, moving, truth),) = deformed(generated_test_pairs(1, 256), 3.0, seed=7)
        flow = gefolki_batch(sar[None], moving[None])[0]
        zero = flow_scores(np.zeros_like(truth), truth, 16)["epe"]
        assert flow_scores(flow, truth, 16)["epe"] < 0.5 * zero
