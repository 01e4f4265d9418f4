"""Matching losses: smooth cross-entropy, hardest triplet loss, Gaussian KL; sub-pixel peaks."""

from __future__ import annotations

import math

import pytest
import torch

from saropt.losses import (
    HardestTripletLoss,
    gaussian_kl,
    gaussian_shift_target,
    hardest_triplet_loss,
    smooth_cross_entropy,
)
from saropt.models import TwoStreamDescriptor, peak_shift


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


class TestTripletLoss:
    def test_hand_values(self) -> None:
        a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        # perfect matches, negatives sqrt(2) away: max(0, 1 + 0 - 1.414) = 0
        assert hardest_triplet_loss(a, a).item() == 0.0
        # swapped: positives sqrt(2) apart, hardest negatives 0 apart: 1 + 1.414 - 0
        assert hardest_triplet_loss(a, a.flip(0)).item() == pytest.approx(1 + 2**0.5)
        assert HardestTripletLoss(0.5)(a, a).item() == 0.0

    def test_descriptors_are_unit_length(self) -> None:
        d = TwoStreamDescriptor(width=4)
        x, y = d(torch.randn(3, 13, 32, 32), torch.randn(3, 2, 32, 32))
        torch.testing.assert_close(x.norm(dim=1), torch.ones(3))
        assert x.shape == y.shape == (3, 128)


def test_gaussian_kl_hand_values() -> None:
    zero = torch.zeros(3, 4, 2, 2)
    assert gaussian_kl(zero, zero).item() == 0.0  # the prior itself
    # per dimension: 0.5 * (mu^2 + e^lv - 1 - lv); mu = 1, lv = 0 -> 0.5; 16 dims -> 8
    assert gaussian_kl(torch.ones(2, 16), torch.zeros(2, 16)).item() == pytest.approx(8.0)
    lv = torch.full((1, 1), math.log(4.0))  # sigma^2 = 4: 0.5 * (4 - 1 - ln 4)
    assert gaussian_kl(torch.zeros(1, 1), lv).item() == pytest.approx(0.5 * (3 - math.log(4)))
