"""Pure torch.nn models and their registry: ``create_model(name, **kw)``, ``list_models()``."""

from saropt.models import cgan as _cgan  # noqa: F401  (registers the cGAN models)
from saropt.models import crossmodal as _crossmodal  # noqa: F401  (registers the classifier)
from saropt.models import matching as _matching  # noqa: F401  (registers matching models)
from saropt.models import registration as _registration  # noqa: F401  (registers pwc_multimodal)
from saropt.models import resnet as _resnet  # noqa: F401  (registers resnet18, resnet50)
from saropt.models import urban as _urban  # noqa: F401  (registers the urban U-Nets)
from saropt.models import vaegan as _vaegan  # noqa: F401  (registers the VAE-GAN)
from saropt.models.cgan import CloudRemovalGenerator, PatchGANDiscriminator, TranslationGenerator
from saropt.models.crossmodal import MODALITIES, CrossModalClassifier, Modality
from saropt.models.matching import (
    PseudoSiameseMatcher,
    ShiftClassifier,
    TwoStreamDescriptor,
    ncc_shifts,
    peak_shift,
)
from saropt.models.registration import PWCMultimodal, multiscale_epe_loss
from saropt.models.registry import create_model, list_models, register
from saropt.models.resnet import ResNet, resnet18, resnet50
from saropt.models.urban import DualStreamUNet, UrbanUNet, fused_probability
from saropt.models.vaegan import VariationalSARGenerator
from saropt.models.weights import check_weights, load_model, read_config, save_model

__all__ = [
    "MODALITIES",
    "CloudRemovalGenerator",
    "CrossModalClassifier",
    "DualStreamUNet",
    "Modality",
    "PWCMultimodal",
    "PatchGANDiscriminator",
    "PseudoSiameseMatcher",
    "ResNet",
    "ShiftClassifier",
    "TranslationGenerator",
    "TwoStreamDescriptor",
    "UrbanUNet",
    "VariationalSARGenerator",
    "check_weights",
    "create_model",
    "fused_probability",
    "list_models",
    "load_model",
    "multiscale_epe_loss",
    "ncc_shifts",
    "peak_shift",
    "read_config",
    "register",
    "resnet18",
    "resnet50",
    "save_model",
]
