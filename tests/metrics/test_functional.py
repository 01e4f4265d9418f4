"""saropt.metrics.functional against known shifts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from saropt.metrics.functional import phase_correlation_shift
from saropt.synth.noise import fractal_noise


class TestPhaseCorrelationShift:
    @pytest.mark.parametrize("shift", [(0.0, 0.0), (3.0, -5.0), (0.4, -0.3), (-7.25, 2.5)])
    @pytest.mark.parametrize("whiten", [0.0, 0.5, 1.0])
    def test_exact_fourier_shifts(self, shift: tuple[float, float], whiten: float) -> None:
        a = fractal_noise((128, 128), 8, 0)
        b = np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(a), shift)).real
        est = phase_correlation_shift(a, b, whiten=whiten)
        # the fixed taper shortens large shifts a little, most for plain correlation
        np.testing.assert_allclose(est, shift, atol=0.02 + 0.015 * max(map(abs, shift)))

    @pytest.mark.parametrize(("whiten", "expected"), [(0.0, 0.40), (0.5, 0.36), (1.0, 0.30)])
    def test_interpolated_shift_biases_as_documented(self, whiten: float, expected: float) -> None:
        a = fractal_noise((256, 256), 8, 0)
        b = ndimage.shift(a, (0.4, 0.0), order=3, mode="wrap")
        assert phase_correlation_shift(a, b, whiten=whiten)[0] == pytest.approx(expected, abs=0.02)

    def test_smooth_image_needs_whitening(self) -> None:
        a = ndimage.zoom(fractal_noise((64, 64), 2, 3), 4, order=1)  # smooth, like a DEM
        b = np.roll(a, 1, axis=1)
        assert phase_correlation_shift(a, b, whiten=0.5)[1] == pytest.approx(1.0, abs=0.1)

    def test_shape_mismatch(self) -> None:
        with pytest.raises(ValueError, match="one shape"):
            phase_correlation_shift(np.zeros((4, 4)), np.zeros((4, 5)))
