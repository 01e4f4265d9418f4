"""Dense correlation, NCC, peak refinement, smooth cross-entropy, shift pairs, training."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from saropt.datasets.matching import ShiftPairDataset
from saropt.layers.correlation import (
    DenseCorrelation,
    correlation_loop,
    dense_correlation,
    normalized_cross_correlation,
)
from saropt.losses import gaussian_shift_target, smooth_cross_entropy
from saropt.models import peak_shift
from saropt.tasks.matching import ShiftConfig, train_shift_classifier


class TestCorrelation:
    def test_dense_equals_the_loop_and_the_module(self) -> None:
        s, t = torch.randn(3, 4, 20, 18), torch.randn(3, 4, 7, 5)
        torch.testing.assert_close(
            dense_correlation(s, t), correlation_loop(s, t), atol=1e-4, rtol=1e-4
        )
        torch.testing.assert_close(DenseCorrelation()(s, t), dense_correlation(s, t))

    def test_gradcheck(self) -> None:
        s = torch.randn(2, 2, 6, 6, dtype=torch.float64, requires_grad=True)
        t = torch.randn(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(dense_correlation, (s, t))
        assert torch.autograd.gradcheck(lambda a, b: dense_correlation(a, b, "conv"), (s, t))

    def test_ncc_finds_a_cut_out_template_despite_gain_and_offset(self) -> None:
        s = torch.randn(2, 1, 30, 30)
        t = 3.0 * s[:, :, 9:19, 4:14] + 7.0
        score = normalized_cross_correlation(s, t)
        assert score.shape == (2, 21, 21)
        torch.testing.assert_close(score[:, 9, 4], torch.ones(2), atol=1e-4, rtol=0)
        assert (score.flatten(1).argmax(dim=1) == 9 * 21 + 4).all()
        assert score.max() <= 1.0 + 1e-5 and score.min() >= -1.0 - 1e-5


class TestPeakAndLoss:
    def test_peak_shift_hand_values(self) -> None:
        logits = torch.zeros(1, 17, 17)
        logits[0, 10, 6], logits[0, 10, 7] = 5.0, 4.0  # right neighbour pulls the peak right
        shifts, conf, ratio = peak_shift(logits)
        # parabola through (0, 5, 4): offset 0.5 * (0 - 4) / (0 - 10 + 4) = 1/3
        torch.testing.assert_close(shifts, torch.tensor([[2.0, 6 + 1 / 3 - 8]]))
        assert 0 < conf.item() < 1 and ratio.item() > 100

    def test_gaussian_target_and_smooth_ce(self) -> None:
        shifts = torch.tensor([[0.0, 0.0], [2.0, -3.0]])
        q = gaussian_shift_target(shifts, 9)
        torch.testing.assert_close(q.flatten(1).sum(dim=1), torch.ones(2))
        assert q[1].argmax().item() == (4 + 2) * 9 + (4 - 3)
        good = torch.log(q + 1e-9)
        bad = torch.log(gaussian_shift_target(torch.tensor([[3.0, 3.0], [-2.0, 3.0]]), 9) + 1e-9)
        assert smooth_cross_entropy(good, shifts) < smooth_cross_entropy(bad, shifts)


class TestShiftPairs:
    def test_template_sits_at_its_shift_in_the_search_window(self) -> None:
        rng = np.random.default_rng(0)
        sar = rng.uniform(-25, 0, (1, 80, 80)).astype(np.float32)
        optical = ((sar + 25.0) / 25.0 * 10000.0).astype(np.float32)  # same values once normalised
        ds = ShiftPairDataset(optical, sar, template=16, search=28, length=10, seed=3)
        for i in range(10):
            s = ds[i]
            r, c = (int(v) for v in (s["shift"] + 6.0))  # span 12: centre 6
            np.testing.assert_allclose(
                s["sar"][0, r : r + 16, c : c + 16], s["optical"][0], atol=1e-4
            )


class TestShiftClassifier:
    def test_learns_to_beat_ncc_on_held_out_pairs(self, tmp_path: Path) -> None:
        warnings.filterwarnings("ignore")
        cfg = ShiftConfig(scene_size=256, train_length=256, val_length=96, epochs=5)
        r = train_shift_classifier(cfg, tmp_path)
        assert r["shift_classifier"]["mean_px"] < 0.6 * r["ncc"]["mean_px"]
        assert r["shift_classifier"]["within_1px"] > r["ncc"]["within_1px"]
        assert (tmp_path / "shift_classifier.safetensors").exists()
