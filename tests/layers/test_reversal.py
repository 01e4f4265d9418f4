"""Gradient reversal: identity forward, -lambda times the gradient backward."""

from __future__ import annotations

import pytest
import torch

from saropt.layers import GradientReversal, ganin_lambda, gradient_reversal


def test_forward_is_identity_and_backward_flips() -> None:
    x = torch.randn(4, 3, requires_grad=True)
    y = gradient_reversal(x, 0.5)
    assert torch.equal(y, x)
    (y * torch.arange(3.0)).sum().backward()
    assert torch.allclose(x.grad, -0.5 * torch.arange(3.0).expand(4, 3))


def test_gradcheck_against_the_negated_identity() -> None:
    x = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    # gradcheck compares the analytic gradient with finite differences of the forward
    # (the identity): reversal with lambda = -1 must be the identity's own gradient
    assert torch.autograd.gradcheck(lambda t: gradient_reversal(t, -1.0), (x,))
    assert not torch.autograd.gradcheck(
        lambda t: gradient_reversal(t, 1.0), (x,), raise_exception=False
    )


def test_module_carries_a_changeable_weight() -> None:
    layer = GradientReversal(2.0)
    x = torch.ones(2, requires_grad=True)
    layer(x).sum().backward()
    assert torch.equal(x.grad, torch.full((2,), -2.0))
    layer.lambda_ = 0.0
    x.grad = None
    layer(x).sum().backward()
    assert torch.equal(x.grad, torch.zeros(2))


def test_ganin_schedule() -> None:
    assert ganin_lambda(0.0) == 0.0
    assert ganin_lambda(1.0) == pytest.approx(2 / (1 + torch.exp(torch.tensor(-10.0))) - 1)
    assert ganin_lambda(0.5) == pytest.approx(0.98661, abs=1e-4)
    assert ganin_lambda(2.0) == ganin_lambda(1.0)  # clamped
