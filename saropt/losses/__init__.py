"""Losses as function + nn.Module pairs."""

from saropt.losses.classification import (
    CrossModalTriplet,
    SoftLabelKL,
    cross_modal_triplet,
    label_intersection,
    modality_bce,
    soft_label_kl,
)
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
from saropt.losses.segmentation import PowerJaccard, power_jaccard

__all__ = [
    "CrossModalTriplet",
    "DiscriminatorLoss",
    "GeneratorLoss",
    "HardestTripletLoss",
    "PowerJaccard",
    "SmoothCrossEntropy",
    "SoftLabelKL",
    "cross_modal_triplet",
    "discriminator_loss",
    "gan_loss",
    "gaussian_kl",
    "gaussian_shift_target",
    "generator_loss",
    "hardest_triplet_loss",
    "label_intersection",
    "modality_bce",
    "power_jaccard",
    "smooth_cross_entropy",
    "soft_label_kl",
]
