"""Losses as function + nn.Module pairs."""

from saropt.losses.gan import (
    DiscriminatorLoss,
    GeneratorLoss,
    discriminator_loss,
    gan_loss,
    generator_loss,
)

__all__ = ["DiscriminatorLoss", "GeneratorLoss", "discriminator_loss", "gan_loss", "generator_loss"]
