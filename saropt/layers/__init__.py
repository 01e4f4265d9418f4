"""Building blocks of saropt's models (plain torch)."""

from saropt.layers.reversal import GradientReversal, ganin_lambda, gradient_reversal
from saropt.layers.unet import Down, UNet, Up, norm_layer

__all__ = [
    "Down",
    "GradientReversal",
    "UNet",
    "Up",
    "ganin_lambda",
    "gradient_reversal",
    "norm_layer",
]
