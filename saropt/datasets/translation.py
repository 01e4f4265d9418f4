"""Paired optical/SAR patches for image-to-image translation (opt2sar or sar2opt)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from torch.utils.data import Dataset

from saropt.datasets.common import Sample, check_co_registered, tensor
from saropt.datasets.samplers import random_patches
from saropt.io.sentinel import normalize_s1, normalize_s2
from saropt.seeding import sample_generator

Direction = Literal["opt2sar", "sar2opt"]


class TranslationDataset(Dataset[Sample]):
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
        check_co_registered(optical, sar)
        self.opt = normalize_s2(optical, symmetric=True)
        self.sar = normalize_s1(sar, symmetric=True)
        self.direction = direction
        self.patch_size = patch_size
        self.length = length
        self.seed = seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> Sample:
        g = sample_generator(self.seed, i)
        h, w = self.opt.shape[1:]
        rows, cols = random_patches(h, w, self.patch_size, 1, g)[0].slices()
        opt, sar = tensor(self.opt[:, rows, cols]), tensor(self.sar[:, rows, cols])
        if self.direction == "opt2sar":
            return {"source": opt, "target": sar}
        return {"source": sar, "target": opt}
