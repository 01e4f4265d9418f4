"""Paired optical/SAR patches for image-to-image translation (opt2sar or sar2opt)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from saropt.datasets.common import InMemoryPairs, Sample, tensor
from saropt.datasets.samplers import random_patches
from saropt.io.sentinel import normalize_s1, normalize_s2

Direction = Literal["opt2sar", "sar2opt"]


class TranslationDataset(InMemoryPairs):
    """Random co-registered patches: ``source`` and ``target`` in [-1, 1].

    Args:
        optical: Sentinel-2 digital numbers (C, H, W).
        sar: Sentinel-1 dB (S, H, W) on the same grid.
        direction: "opt2sar" (optical in, SAR out) or "sar2opt".
        patch_size: Patch side.
        length: Samples per epoch.
        seed: Sample ``i`` depends only on ``seed`` and ``i``.
    """

    def __init__(
        self,
        optical: np.ndarray,
        sar: np.ndarray,
        direction: Direction,
        *,
        patch_size: int = 64,
        length: int = 256,
        seed: int = 0,
    ) -> None:
        super().__init__(
            normalize_s2(optical, symmetric=True), normalize_s1(sar, symmetric=True),
            length=length, seed=seed,
        )  # fmt: skip
        self.sar: np.ndarray = self.sar  # always given here
        self.direction = direction
        self.patch_size = patch_size

    def __getitem__(self, i: int) -> Sample:
        g = self.generator(i)
        h, w = self.optical.shape[1:]
        rows, cols = random_patches(h, w, self.patch_size, 1, g)[0].slices()
        opt, sar = tensor(self.optical[:, rows, cols]), tensor(self.sar[:, rows, cols])
        if self.direction == "opt2sar":
            return {"source": opt, "target": sar}
        return {"source": sar, "target": opt}
