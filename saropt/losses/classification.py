"""Losses of the cross-modal classifier (Senchugova and Hänsch), as function + module pairs.

* :func:`soft_label_kl` (L_C, Eq. 1): KL divergence from the soft label (the patch's
  class-occurrence histogram) to the predicted class distribution.
* :func:`modality_bce` (L_M): binary cross-entropy of the modality discriminator. The
  paper's Eq. 2, (1/N) sum m log(m^), drops the minus sign and the (1 - m) log(1 - m^)
  term of the other modality; this is the full BCE, -(1/N) sum [m log m^ + (1 - m)
  log(1 - m^)]. Its gradient reaches the encoders through a gradient-reversal layer,
  which is how L = alpha L_T + beta L_C - L_M (Eq. 4) is optimised.
* :func:`cross_modal_triplet` (L_T, Eq. 3): for each anchor of one modality, a positive of
  the other modality with similar class content and the hardest negative of the other
  modality among those with different content. The positive term has no hinge.

The paper leaves "similar" and "different" undefined. Here both come from the histogram
intersection of the soft labels, sum_c min(y_i(c), y_j(c)) in [0, 1]: the positive is the
other-modality sample of the batch with the highest intersection, if it reaches
``similar``; negatives are those at or below ``different``, and of them the one with the
highest cosine similarity in the latent space is taken. Distances are Euclidean between
L2-normalised latent vectors (so the margin lives in [0, 2] whatever the latent's scale),
and each term is averaged over the anchors that have one (the paper sums over the batch).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def soft_label_kl(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of sum_c y(c) log(y(c) / softmax(logits)(c)); 0 log 0 = 0.

    Shape:
        logits (N, C), target (N, C) rows summing to 1 -> scalar.
    """
    return F.kl_div(F.log_softmax(logits, dim=1), target, reduction="batchmean")


def modality_bce(logits: torch.Tensor, is_s2: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the modality discriminator (1 = Sentinel-2), batch mean."""
    return F.binary_cross_entropy_with_logits(logits, is_s2.to(logits.dtype))


def label_intersection(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Histogram intersection sum_c min(a_i(c), b_j(c)) of every pair of soft labels.

    Shape:
        a (Na, C), b (Nb, C) -> (Na, Nb).
    """
    return torch.minimum(a[:, None, :], b[None, :, :]).sum(-1)


def _one_way(
    za: torch.Tensor, ya: torch.Tensor, zb: torch.Tensor, yb: torch.Tensor,
    similar: float, different: float, margin: float, negative_weight: float,
) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    sim = label_intersection(ya, yb)
    dist = torch.cdist(za, zb)
    best, pos_idx = sim.max(dim=1)
    has_pos = best >= similar
    cosine = za @ zb.T  # unit vectors
    cosine = cosine.masked_fill(sim > different, float("-inf"))
    hardest, neg_idx = cosine.max(dim=1)
    has_neg = torch.isfinite(hardest)
    rows = torch.arange(len(za), device=za.device)
    zero = za.sum() * 0.0
    pos = dist[rows, pos_idx][has_pos].mean() if has_pos.any() else zero
    neg_d = dist[rows, neg_idx][has_neg]
    neg = torch.relu(margin - neg_d).mean() if has_neg.any() else zero
    return pos, negative_weight * neg


def cross_modal_triplet(
    z1: torch.Tensor,
    y1: torch.Tensor,
    z2: torch.Tensor,
    y2: torch.Tensor,
    *,
    similar: float = 0.6,
    different: float = 0.2,
    margin: float = 1.0,
    negative_weight: float = 1.0,
) -> torch.Tensor:
    """L_T with anchors of both modalities: S1 anchors against S2 candidates plus S2 anchors
    against S1 candidates (the batches need not be aligned).

    Args:
        z1, y1: Sentinel-1 latent vectors and soft labels.
        z2, y2: Sentinel-2 latent vectors and soft labels.
        similar: Least label intersection of a positive.
        different: Largest label intersection of a negative.
        margin: mu, the distance beyond which a negative costs nothing.
        negative_weight: lambda of Eq. 3, the weight of the negative term.

    Shape:
        z (N, D), y (N, C) -> scalar.
    """
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    p1, n1 = _one_way(z1, y1, z2, y2, similar, different, margin, negative_weight)
    p2, n2 = _one_way(z2, y2, z1, y1, similar, different, margin, negative_weight)
    return 0.5 * (p1 + n1 + p2 + n2)


class SoftLabelKL(nn.Module):
    """Module form of :func:`soft_label_kl`."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return soft_label_kl(logits, target)


class CrossModalTriplet(nn.Module):
    """Module form of :func:`cross_modal_triplet` with its settings."""

    def __init__(
        self, *, similar: float = 0.6, different: float = 0.2, margin: float = 1.0,
        negative_weight: float = 1.0,
    ) -> None:  # fmt: skip
        super().__init__()
        if not 0.0 <= different < similar <= 1.0:
            raise ValueError(f"need 0 <= different < similar <= 1, got {different}, {similar}")
        self.similar, self.different = similar, different
        self.margin, self.negative_weight = margin, negative_weight

    def forward(
        self, z1: torch.Tensor, y1: torch.Tensor, z2: torch.Tensor, y2: torch.Tensor
    ) -> torch.Tensor:
        return cross_modal_triplet(
            z1, y1, z2, y2, similar=self.similar, different=self.different,
            margin=self.margin, negative_weight=self.negative_weight,
        )  # fmt: skip
