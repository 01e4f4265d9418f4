"""Gradient reversal (Ganin and Lempitsky, "Unsupervised domain adaptation by
backpropagation", ICML 2015): the identity going forward, the gradient times -lambda going
back. Placed between a feature extractor and a domain (here: modality) discriminator, it
lets one loss train the discriminator to tell the domains apart while pushing the features
to make that impossible.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lambda_: float) -> torch.Tensor:
        ctx.lambda_ = lambda_
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.lambda_ * grad, None


def gradient_reversal(x: torch.Tensor, lambda_: float = 1.0) -> torch.Tensor:
    """``x`` unchanged; its gradient multiplied by ``-lambda_`` on the way back."""
    out: torch.Tensor = _GradientReversal.apply(x, float(lambda_))
    return out


class GradientReversal(nn.Module):
    """Module form of :func:`gradient_reversal`; ``lambda_`` may be changed between steps
    (Ganin's schedule raises it from 0 to 1 over training, see :func:`ganin_lambda`)."""

    def __init__(self, lambda_: float = 1.0) -> None:
        super().__init__()
        self.lambda_ = float(lambda_)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gradient_reversal(x, self.lambda_)

    def extra_repr(self) -> str:
        return f"lambda_={self.lambda_:g}"


def ganin_lambda(progress: float, gamma: float = 10.0) -> float:
    """Ganin and Lempitsky's reversal weight 2 / (1 + exp(-gamma p)) - 1 at training
    progress ``p`` in [0, 1]: 0 at the start, when the features are still noise, near 1
    at the end."""
    p = min(max(float(progress), 0.0), 1.0)
    return float(2.0 / (1.0 + torch.exp(torch.tensor(-gamma * p))) - 1.0)
