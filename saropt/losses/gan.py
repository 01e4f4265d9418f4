"""Conditional GAN losses of pix2pix / SAR-Opt-cGAN: adversarial (BCE or least squares)
plus lambda * L1 for the generator."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

GanMode = Literal["bce", "lsgan"]


def gan_loss(logits: torch.Tensor, real: bool, mode: GanMode = "bce") -> torch.Tensor:
    """Adversarial loss of discriminator logits against an all-real or all-fake target.

    "bce": binary cross-entropy on logits (pix2pix); "lsgan": least squares (Mao et al. 2017).
    """
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    if mode == "bce":
        return F.binary_cross_entropy_with_logits(logits, target)
    if mode == "lsgan":
        return F.mse_loss(logits, target)
    raise ValueError(f"unknown GAN loss mode {mode!r}; use 'bce' or 'lsgan'")


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, mode: GanMode = "bce"
) -> torch.Tensor:
    """(loss on real + loss on fake) / 2, the pix2pix halving that slows D down."""
    return 0.5 * (gan_loss(real_logits, True, mode) + gan_loss(fake_logits, False, mode))


def generator_loss(
    fake_logits: torch.Tensor,
    fake: torch.Tensor,
    target: torch.Tensor,
    *,
    l1_weight: float = 100.0,
    mode: GanMode = "bce",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Generator loss: adversarial + ``l1_weight`` * L1 (lambda = 100 in pix2pix and the paper).

    Returns:
        (total, adversarial, l1).
    """
    adv = gan_loss(fake_logits, True, mode)
    l1 = F.l1_loss(fake, target)
    return adv + l1_weight * l1, adv, l1


class GeneratorLoss(nn.Module):
    """Module form of :func:`generator_loss`."""

    def __init__(self, l1_weight: float = 100.0, mode: GanMode = "bce") -> None:
        super().__init__()
        self.l1_weight = l1_weight
        self.mode: GanMode = mode

    def forward(
        self, fake_logits: torch.Tensor, fake: torch.Tensor, target: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return generator_loss(fake_logits, fake, target, l1_weight=self.l1_weight, mode=self.mode)


class DiscriminatorLoss(nn.Module):
    """Module form of :func:`discriminator_loss`."""

    def __init__(self, mode: GanMode = "bce") -> None:
        super().__init__()
        self.mode: GanMode = mode

    def forward(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return discriminator_loss(real_logits, fake_logits, self.mode)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) of a VAE's code, summed over the code and averaged
    over the batch.

    Shape:
        mu, logvar (N, ...) -> scalar.
    """
    return (-0.5 * (1 + logvar - mu**2 - logvar.exp())).flatten(1).sum(dim=1).mean()
