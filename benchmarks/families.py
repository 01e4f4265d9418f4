"""saropt's network families at full size, with inputs of the size they run on, for the
speed table and the profiler (random weights: speed does not depend on them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from saropt.models import CrossModalClassifier, create_model


class ClassifierBranch(nn.Module):
    """The Sentinel-2 path of the cross-modal classifier, as ``saropt classify`` runs it."""

    def __init__(self) -> None:
        super().__init__()
        self.model = CrossModalClassifier(9, 2, 13)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.predict(x, "s2")


@dataclass(frozen=True)
class Family:
    """A network, its inputs for a batch, and what one sample counts for.

    Attributes:
        build: The network at full size.
        inputs: Inputs for a batch of ``n``.
        batch: Samples per call.
        pixels: Output pixels per sample (0: throughput in samples/s, else Mpx/s).
    """

    build: Callable[[], nn.Module]
    inputs: Callable[[int], tuple[torch.Tensor, ...]]
    batch: int
    pixels: int = 0


def _rand(n: int, c: int, side: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(n * 1000 + c * 10 + side)
    return torch.rand(n, c, side, side, generator=g) * 2 - 1


FAMILIES: dict[str, Family] = {
    "cloud-removal generator": Family(
        lambda: create_model("sar_opt_cgan_generator", optical_channels=10, sar_channels=2),
        lambda n: (_rand(n, 10, 256), _rand(n, 2, 256)),
        batch=8,
        pixels=256 * 256,
    ),
    "urban dual-stream U-Net": Family(
        lambda: create_model("dual_stream_unet"),
        lambda n: (_rand(n, 2, 256), _rand(n, 4, 256)),
        batch=8,
        pixels=256 * 256,
    ),
    "registration PWC": Family(
        lambda: create_model("pwc_multimodal", width=16),
        lambda n: (_rand(n, 2, 256), _rand(n, 4, 256)),
        batch=4,
        pixels=256 * 256,
    ),
    "classification ResNet-50 (S2)": Family(
        ClassifierBranch, lambda n: (_rand(n, 13, 128),), batch=8
    ),
    "shift matcher (201 in 221)": Family(
        lambda: create_model("shift_classifier"),
        lambda n: (_rand(n, 13, 201), _rand(n, 2, 221)),
        batch=8,
    ),
    "pseudo-siamese matcher": Family(
        lambda: create_model("pseudo_siamese_matcher"),
        lambda n: (_rand(n, 13, 64), _rand(n, 2, 64)),
        batch=64,
    ),
}
