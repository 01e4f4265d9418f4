"""Losses as function + nn.Module pairs."""

from saropt.losses.gan import (
    DiscriminatorLoss,
    GeneratorLoss,
    discriminator_loss,
    gan_loss,
    gaussian_kl,
    generator_loss,
)
from saropt.losses.matching import (
    HardestTripletLoss,
    SmoothCrossEntropy,
    gaussian_shift_target,
    hardest_triplet_loss,
    smooth_cross_entropy,
)

__all__ = [
    "DiscriminatorLoss",
    "GeneratorLoss",
    "HardestTripletLoss",
    "SmoothCrossEntropy",
    "discriminator_loss",
    "gan_loss",
    "gaussian_kl",
    "gaussian_shift_target",
    "generator_loss",
    "hardest_triplet_loss",
    "smooth_cross_entropy",
]
