"""Losses of SAR-optical matching."""

from __future__ import annotations

import torch
from torch import nn


def gaussian_shift_target(shifts: torch.Tensor, size: int, sigma: float = 1.0) -> torch.Tensor:
    """Probability maps over the ``size`` x ``size`` shifts, Gaussian around the true ones.

    Shifts are relative to the map's centre (see :func:`saropt.models.matching.peak_shift`).

    Shape:
        shifts (N, 2) as (dy, dx) -> (N, size, size), each summing to 1.
    """
    c = (size - 1) / 2.0
    grid = torch.arange(size, dtype=shifts.dtype, device=shifts.device) - c
    gy = torch.exp(-((grid[None, :] - shifts[:, :1]) ** 2) / (2 * sigma**2))
    gx = torch.exp(-((grid[None, :] - shifts[:, 1:]) ** 2) / (2 * sigma**2))
    q = gy[:, :, None] * gx[:, None, :]
    return q / q.flatten(1).sum(dim=1)[:, None, None]


def smooth_cross_entropy(
    logits: torch.Tensor, shifts: torch.Tensor, sigma: float = 1.0
) -> torch.Tensor:
    """Cross-entropy of score maps against Gaussian-blurred one-hot shift targets.

    Neighbouring shifts of the true one are penalised less than far ones (Merkle et al.).

    Shape:
        logits (N, S, S), shifts (N, 2) -> scalar.
    """
    q = gaussian_shift_target(shifts, logits.shape[-1], sigma)
    logp = torch.log_softmax(logits.flatten(1), dim=1)
    return -(q.flatten(1) * logp).sum(dim=1).mean()


class SmoothCrossEntropy(nn.Module):
    """Module form of :func:`smooth_cross_entropy`."""

    def __init__(self, sigma: float = 1.0) -> None:
        super().__init__()
        self.sigma = sigma

    def forward(self, logits: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
        return smooth_cross_entropy(logits, shifts, self.sigma)


def hardest_triplet_loss(
    optical: torch.Tensor,
    sar: torch.Tensor,
    margin: float = 1.0,
    mined: torch.Tensor | None = None,
) -> torch.Tensor:
    """HardNet's triplet margin loss with the hardest negative in the batch.

    Row ``i`` of both inputs shows the same place. For each pair, the hardest negative is
    the closest non-matching descriptor of either modality; the loss is
    ``mean(max(0, margin + d(a_i, p_i) - d_hardest))``. With ``mined``, the distance of
    pair ``i``'s optical descriptor to a negative mined from the whole dataset competes too:
    the hardest negative is then sought beyond the batch.

    Shape:
        optical (N, D), sar (N, D), mined (N,) -> scalar.
    """
    d = torch.cdist(optical, sar)  # (N, N): optical i against sar j
    pos = d.diagonal()
    eye = torch.eye(len(d), dtype=torch.bool, device=d.device)
    masked = d.masked_fill(eye, float("inf"))
    hardest = torch.minimum(masked.min(dim=1).values, masked.min(dim=0).values)
    if mined is not None:
        hardest = torch.minimum(hardest, mined)
    return torch.relu(margin + pos - hardest).mean()


class HardestTripletLoss(nn.Module):
    """Module form of :func:`hardest_triplet_loss`."""

    def __init__(self, margin: float = 1.0) -> None:
        super().__init__()
        self.margin = margin

    def forward(self, optical: torch.Tensor, sar: torch.Tensor) -> torch.Tensor:
        return hardest_triplet_loss(optical, sar, self.margin)
