"""Building blocks of saropt's models (plain torch)."""

from saropt.layers.unet import Down, UNet, Up, norm_layer

__all__ = ["Down", "UNet", "Up", "norm_layer"]
