"""Losses as function + nn.Module pairs."""

from saropt.losses.gan import (
    DiscriminatorLoss,
    GeneratorLoss,
    discriminator_loss,
    gan_loss,
    generator_loss,
)
from saropt.losses.matching import SmoothCrossEntropy, gaussian_shift_target, smooth_cross_entropy

__all__ = [
    "DiscriminatorLoss",
    "GeneratorLoss",
    "SmoothCrossEntropy",
    "discriminator_loss",
    "gan_loss",
    "gaussian_shift_target",
    "generator_loss",
    "smooth_cross_entropy",
]
