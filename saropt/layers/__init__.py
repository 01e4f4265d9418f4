"""Building blocks of saropt's models (plain torch)."""

from saropt.layers.mmtm import MMTM, mmtm
from saropt.layers.reversal import GradientReversal, ganin_lambda, gradient_reversal
from saropt.layers.unet import Down, UNet, Up, norm_layer

__all__ = [
    "MMTM",
    "Down",
    "GradientReversal",
    "UNet",
    "Up",
    "ganin_lambda",
    "gradient_reversal",
    "mmtm",
    "norm_layer",
]
