"""Losses of the cross-modal classifier against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from saropt.losses import cross_modal_triplet, label_intersection, modality_bce, soft_label_kl


def test_kl_hand_value_with_zero_shares() -> None:
    logits = torch.log(torch.tensor([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]]))
    target = torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    expected = (math.log(1 / 0.5) + 0.5 * math.log(0.5 / 0.2) + 0.5 * math.log(0.5 / 0.3)) / 2
    assert soft_label_kl(logits, target).item() == pytest.approx(expected, rel=1e-6)
    assert soft_label_kl(torch.log(target + 1e-30), target).item() == pytest.approx(0, abs=1e-6)


def test_modality_bce_has_both_terms() -> None:
    logits = torch.tensor([0.0, 2.0, -1.0])
    is_s2 = torch.tensor([1.0, 0.0, 0.0])
    p = torch.sigmoid(logits)
    expected = -(math.log(p[0]) + math.log(1 - p[1]) + math.log(1 - p[2])) / 3
    assert modality_bce(logits, is_s2).item() == pytest.approx(expected, rel=1e-6)


def test_label_intersection() -> None:
    a = torch.tensor([[0.5, 0.5, 0.0]])
    b = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8], [0.0, 0.0, 1.0]])
    assert torch.allclose(label_intersection(a, b), torch.tensor([[1.0, 0.2, 0.0]]))


def test_triplet_hand_value() -> None:
    # one S1 anchor, three S2 candidates; unit vectors in 2-d
    z1 = torch.tensor([[1.0, 0.0]])
    y1 = torch.tensor([[1.0, 0.0]])
    z2 = torch.tensor([[0.0, 1.0], [0.6, 0.8], [0.8, -0.6]])
    y2 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    # S1 -> S2: positive is candidate 0 (distance sqrt 2, no hinge); negatives 1 and 2, the
    # hardest by cosine is 2 (0.8 > 0.6) at distance sqrt(0.04 + 0.36)
    pos = math.sqrt(2.0)
    neg = max(0.0, 1.5 - math.sqrt(0.4))
    # S2 -> S1: anchor 0 has the positive (distance sqrt 2) and no negative; anchors 1 and
    # 2 have no positive and the only S1 sample as negative (distances sqrt .8, sqrt .4)
    back_pos = math.sqrt(2.0)
    back_neg = (max(0.0, 1.5 - math.sqrt(0.8)) + max(0.0, 1.5 - math.sqrt(0.4))) / 2
    expected = 0.5 * (pos + 2.0 * neg + back_pos + 2.0 * back_neg)
    got = cross_modal_triplet(z1, y1, z2, y2, similar=0.6, different=0.2, margin=1.5,
                              negative_weight=2.0)  # fmt: skip
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_triplet_is_scale_free_and_differentiable() -> None:
    torch.manual_seed(0)
    z1, z2 = torch.randn(6, 4, requires_grad=True), torch.randn(6, 4)
    y = torch.softmax(torch.randn(6, 3) * 3, 1)
    a = cross_modal_triplet(z1, y, z2, y)
    b = cross_modal_triplet(10 * z1, y, z2, y)
    assert a.item() == pytest.approx(b.item(), rel=1e-5)
    a.backward()
    assert torch.isfinite(z1.grad).all() and z1.grad.abs().sum() > 0
