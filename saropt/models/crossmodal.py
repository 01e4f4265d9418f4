"""The cross-modal classifier of Senchugova and Hänsch ("Cross-modal learning for
classification of optical and SAR imagery"), after Wang et al.'s adversarial cross-modal
retrieval (ACM MM 2017).

Per modality a feature extractor f^m (a ResNet; weights not shared) and a projection g^m of
three fully connected layers map an image into one shared latent space z. One task
classifier, shared by both modalities, predicts the class distribution from z; a modality
discriminator behind a gradient-reversal layer tells from z which sensor it came from.
Either modality alone is enough at inference.
"""

from __future__ import annotations

import itertools
from typing import Literal

import torch
from torch import nn

from saropt.layers.reversal import gradient_reversal
from saropt.models.registry import register
from saropt.models.resnet import BACKBONES, Stem

Modality = Literal["s1", "s2"]
MODALITIES: tuple[Modality, Modality] = ("s1", "s2")


def _mlp(sizes: list[int], *, last_activation: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or last_activation:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


@register("cross_modal_classifier")
class CrossModalClassifier(nn.Module):
    """Modality-specific extractors and projections into one latent space, one classifier.

    Args:
        classes: Number of classes C.
        s1_channels: Sentinel-1 bands (VV, VH: 2).
        s2_channels: Sentinel-2 bands.
        backbone: "resnet50" (the paper's) or "resnet18".
        width: Backbone width (64 standard).
        stem: Backbone stem ("small" for 32-64 px patches, see :mod:`saropt.models.resnet`).
        latent: Size of the shared latent space (the paper: 1024).

    The projection g^m is three fully connected layers, features -> 2 latent -> 2 latent
    -> latent with ReLU between them (the paper gives the end sizes, 2048 -> 1024, not the
    middle ones; these are ours); the task classifier and the modality discriminator are
    latent -> latent / 2 -> C (or 1).
    """

    def __init__(
        self,
        classes: int,
        s1_channels: int = 2,
        s2_channels: int = 13,
        *,
        backbone: Literal["resnet18", "resnet50"] = "resnet50",
        width: int = 64,
        stem: Stem = "imagenet",
        latent: int = 1024,
    ) -> None:
        super().__init__()
        if classes < 2 or latent < 2:
            raise ValueError(f"need classes >= 2 and latent >= 2, got {classes}, {latent}")
        make = BACKBONES[backbone]
        self.classes, self.latent = classes, latent
        self.channels = {"s1": s1_channels, "s2": s2_channels}
        self.extract = nn.ModuleDict(
            {m: make(c, width=width, stem=stem) for m, c in self.channels.items()}
        )
        features = int(self.extract["s1"].features)  # type: ignore[arg-type]
        self.project = nn.ModuleDict(
            {m: _mlp([features, 2 * latent, 2 * latent, latent]) for m in MODALITIES}
        )
        self.classifier = _mlp([latent, latent // 2, classes])
        self.discriminator = _mlp([latent, latent // 2, 1])

    def embed(self, x: torch.Tensor, modality: Modality) -> torch.Tensor:
        """The shared latent vector z = g^m(f^m(x)) of images of one modality.

        Shape:
            (N, channels[modality], H, W) -> (N, latent).
        """
        if x.shape[1] != self.channels[modality]:
            raise ValueError(
                f"{modality} input has {x.shape[1]} bands; the model takes "
                f"{self.channels[modality]}"
            )
        z: torch.Tensor = self.project[modality](self.extract[modality](x))
        return z

    def classify(self, z: torch.Tensor) -> torch.Tensor:
        """Class logits from latent vectors; softmax gives the class distribution."""
        logits: torch.Tensor = self.classifier(z)
        return logits

    def modality_logit(self, z: torch.Tensor, reversal: float = 1.0) -> torch.Tensor:
        """Logit that z came from Sentinel-2, through a gradient reversal of weight
        ``reversal``: the discriminator learns to tell, the upstream layers not to let it.

        Shape:
            (N, latent) -> (N,).
        """
        logit: torch.Tensor = self.discriminator(gradient_reversal(z, reversal))
        return logit[:, 0]

    def forward(self, x: torch.Tensor, modality: Modality) -> torch.Tensor:
        """Class logits of images of one modality."""
        return self.classify(self.embed(x, modality))

    @torch.no_grad()
    def predict(self, x: torch.Tensor, modality: Modality) -> torch.Tensor:
        """Class probabilities (softmax) of images of one modality."""
        return torch.softmax(self(x, modality), dim=1)
