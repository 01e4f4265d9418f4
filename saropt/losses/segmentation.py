"""Segmentation losses, as function + module pairs.

:func:`power_jaccard` is the Power Jaccard loss of Duque-Arias et al. (VISAPP 2021) with
power 2, which Hafner, Ban and Nascetti train their urban-mapping network with:

    1 - sum(p y) / (sum(p^2 + y^2) - sum(p y) + eps),

pooled over every valid pixel of the batch (not averaged per image), as their code does.
"""

from __future__ import annotations

import torch
from torch import nn


def power_jaccard(
    prob: torch.Tensor,
    target: torch.Tensor,
    valid: torch.Tensor | None = None,
    *,
    eps: float = 1e-6,
) -> torch.Tensor:
    """Power Jaccard loss of probabilities against a binary target.

    Args:
        prob: Probabilities in [0, 1], any shape.
        target: 0/1 labels, the same shape.
        valid: Pixels that count (same shape), or None for all of them.
        eps: Keeps an empty target with an empty prediction finite (loss 1).

    Returns:
        A scalar in [0, 1]: 0 for a perfect prediction.
    """
    if prob.shape != target.shape:
        raise ValueError(f"prediction {tuple(prob.shape)} and target {tuple(target.shape)} differ")
    p, y = prob.float(), target.float()
    if valid is not None:
        w = valid.float()
        p, y = p * w, y * w
    inter = (p * y).sum()
    union = (p * p + y * y).sum() - inter
    return 1.0 - inter / (union + eps)


class PowerJaccard(nn.Module):
    """Module form of :func:`power_jaccard`."""

    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps

    def forward(
        self, prob: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None = None
    ) -> torch.Tensor:
        return power_jaccard(prob, target, valid, eps=self.eps)
