"""saropt.metrics.functional against known shifts and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
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


class TestImageMetrics:
    def test_sam_hand_values(self) -> None:
        from saropt.metrics.functional import sam, sam_map

        a = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
        b = torch.tensor([0.0, 1.0, 0.0]).view(1, 3, 1, 1)
        c = torch.tensor([1.0, 1.0, 0.0]).view(1, 3, 1, 1)
        assert sam(a, a).item() == pytest.approx(0.0, abs=1e-3)
        assert sam(a, 5 * a).item() == pytest.approx(0.0, abs=1e-3)  # brightness-free
        assert sam(a, b).item() == pytest.approx(90.0)
        assert sam(a, c).item() == pytest.approx(45.0, abs=1e-4)
        both = torch.cat([torch.cat([a, a], 3), torch.cat([b, c], 3)], 0)  # (2, 3, 1, 2)
        assert sam_map(both[:1], both[1:]).flatten().tolist() == pytest.approx(
            [90.0, 45.0], abs=1e-4
        )

    def test_rmse_mae_psnr_and_masks(self) -> None:
        from saropt.metrics.functional import mae, psnr, rmse

        target = torch.zeros(1, 2, 2, 2)
        pred = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]], [[3.0, 3.0], [3.0, 3.0]]]])
        # band 1: errors 1,0,0,0; band 2: all 3
        assert rmse(pred, target, per_band=True).tolist() == pytest.approx([0.5, 3.0])
        assert rmse(pred, target).item() == pytest.approx(math.sqrt((1 + 4 * 9) / 8))
        assert mae(pred, target).item() == pytest.approx((1 + 12) / 8)
        mask = torch.tensor([[[True, False], [False, False]]])
        assert rmse(pred, target, mask, per_band=True).tolist() == pytest.approx([1.0, 3.0])
        assert psnr(pred, target, data_range=3.0).item() == pytest.approx(
            10 * math.log10(9 / ((1 + 36) / 8))
        )

    def test_ssim_hand_values(self) -> None:
        from saropt.metrics.functional import ssim

        x = torch.rand(1, 3, 24, 24)
        assert ssim(x, x).item() == pytest.approx(1.0, abs=1e-5)
        a, b = torch.full((1, 1, 16, 16), 0.2), torch.full((1, 1, 16, 16), 0.6)
        c1 = 0.01**2
        expected = (2 * 0.2 * 0.6 + c1) / (0.2**2 + 0.6**2 + c1)  # constant images
        assert ssim(a, b).item() == pytest.approx(expected, rel=1e-4)
        assert ssim(x, 1 - x).item() < 0.0


class TestMatchingMetrics:
    def test_roc_and_auc_hand_values(self) -> None:
        from saropt.metrics.functional import roc_auc, roc_curve

        scores = np.array([0.9, 0.8, 0.7, 0.6])
        labels = np.array([1, 0, 1, 0])
        fpr, tpr, _ = roc_curve(scores, labels)
        np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
        np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
        assert roc_auc(scores, labels) == pytest.approx(0.75)
        assert roc_auc(np.array([1.0, 2.0]), np.array([0, 1])) == 1.0
        assert roc_auc(np.array([1.0, 1.0]), np.array([0, 1])) == 0.5  # a tie counts half
        with pytest.raises(ValueError, match="both"):
            roc_curve(np.ones(3), np.ones(3))

    def test_fpr95_and_recall_at_fpr(self) -> None:
        from saropt.metrics.functional import fpr_at_recall, precision_recall, recall_at_fpr

        # 20 positives scored 10..29, 20 negatives scored 0..19: overlap on 10..19
        scores = np.r_[np.arange(10, 30), np.arange(0, 20)].astype(float)
        labels = np.r_[np.ones(20), np.zeros(20)]
        # 95 % recall = 19 positives: threshold 11 -> negatives 11..19 above it: 9 / 20
        assert fpr_at_recall(scores, labels) == pytest.approx(9 / 20)
        recall, acc, threshold = recall_at_fpr(scores, labels, 0.05)
        # FPR <= 5 %: at most 1 negative (19) above the threshold -> threshold 19
        assert threshold == 19.0 and recall == pytest.approx(11 / 20)
        assert acc == pytest.approx((11 + 19) / 40)
        # at that threshold 11 positives (19..29) and 1 negative (19) are called matches
        precision, rec = precision_recall(scores, labels, threshold)
        assert precision == pytest.approx(11 / 12) and rec == pytest.approx(11 / 20)
        assert precision_recall(scores, labels, 100.0) == (1.0, 0.0)  # nothing called

    def test_shift_errors(self) -> None:
        from saropt.metrics.functional import shift_errors

        true = np.zeros((4, 2))
        est = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 3.0], [4.0, 0.0]])
        s = shift_errors(est, true)
        assert s["mean_px"] == pytest.approx(9 / 4) and s["median_px"] == pytest.approx(2.0)
        assert s["accuracy_px"] == pytest.approx(math.hypot(1.0, 5 / 4))
        assert s["within_1px"] == 0.5 and s["within_3px"] == 0.75
        assert s["precision_px"] == pytest.approx(np.std([1, 1, 3, 4]))
