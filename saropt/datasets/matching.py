"""SAR-optical pairs for shift estimation: an optical template inside a SAR search window."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from saropt.datasets.common import InMemoryPairs, Sample, check_co_registered, tensor
from saropt.datasets.samplers import HardNegativeHook, PairSampler, random_patches
from saropt.errors import ConfigError
from saropt.io.sentinel import normalize_s1, normalize_s2


class ShiftPairDataset(InMemoryPairs):
    """Optical templates at known shifts inside larger SAR search windows.

    Sample ``i`` (same for the same seed): a ``search`` x ``search`` SAR window and the
    ``template`` x ``template`` optical patch whose true position inside the window is
    offset by ``shift`` = (dy, dx) pixels from the centre.

    Args:
        optical: Sentinel-2 digital numbers (C, H, W), co-registered with ``sar``.
        sar: Sentinel-1 dB (S, H, W).
        template: Template side.
        search: Search-window side (larger than ``template``).
        length: Samples per epoch.
        seed: Seed.

    Sample keys: ``optical`` (C, T, T) and ``sar`` (S, W, W) in [0, 1], ``shift`` (2,).
    """

    def __init__(
        self,
        optical: np.ndarray,
        sar: np.ndarray,
        *,
        template: int = 32,
        search: int = 48,
        length: int = 256,
        seed: int = 0,
    ) -> None:
        if search <= template:
            raise ConfigError(
                f"search window ({search}) must be larger than the template ({template})"
            )
        super().__init__(normalize_s2(optical), normalize_s1(sar), length=length, seed=seed)
        self.sar: np.ndarray = self.sar  # always given here
        self.template = template
        self.search = search

    def __getitem__(self, i: int) -> Sample:
        g = self.generator(i)
        h, w = self.sar.shape[1:]
        win = random_patches(h, w, self.search, 1, g)[0]
        span = self.search - self.template
        r, c = (int(v) for v in torch.randint(0, span + 1, (2,), generator=g))
        opt = self.optical[
            :, win.row + r : win.row + r + self.template, win.col + c : win.col + c + self.template
        ]
        sar = self.sar[:, win.row : win.row + self.search, win.col : win.col + self.search]
        shift = torch.tensor([r - span / 2.0, c - span / 2.0])
        return {"optical": tensor(opt), "sar": tensor(sar), "shift": shift}


class MatchPairDataset(InMemoryPairs):
    """Co-located (label 1) and non-matching (label 0) SAR-optical patch pairs.

    The pairs come from a :class:`~saropt.datasets.samplers.PairSampler` over one
    co-registered image pair, drawn once from ``seed``.

    Sample keys: ``optical`` (C, P, P), ``sar`` (S, P, P) in [0, 1], ``label`` (float).
    A ``hard_negatives`` hook (:data:`~saropt.datasets.samplers.HardNegativeHook`) may
    supply ``hard_fraction`` of the negatives, e.g. ones mined with a model.
    """

    def __init__(
        self,
        optical: np.ndarray,
        sar: np.ndarray,
        *,
        size: int = 32,
        positives: int = 256,
        negative_ratio: float = 1.0,
        min_distance: int | None = None,
        hard_negatives: HardNegativeHook | None = None,
        hard_fraction: float = 0.5,
        seed: int = 0,
    ) -> None:
        check_co_registered(optical, sar)
        sampler = PairSampler(
            [sar.shape[1:]], size, min_distance=min_distance, negative_ratio=negative_ratio,
            hard_negatives=hard_negatives, hard_fraction=hard_fraction,
        )  # fmt: skip
        self.pairs = sampler.sample(positives, torch.Generator().manual_seed(seed))
        super().__init__(
            normalize_s2(optical), normalize_s1(sar), length=len(self.pairs), seed=seed
        )
        self.sar: np.ndarray = self.sar  # always given here

    def __getitem__(self, i: int) -> Sample:
        p = self.pairs[i]
        return {
            "optical": tensor(self.optical[(slice(None), *p.optical.slices())]),
            "sar": tensor(self.sar[(slice(None), *p.sar.slices())]),
            "label": torch.tensor(float(p.label)),
        }


class PairTensors(Dataset[Sample]):
    """Labelled SAR-optical pairs held as tensors (e.g. generated hard negatives).

    Sample keys as :class:`MatchPairDataset`: ``optical``, ``sar``, ``label``.
    """

    def __init__(self, optical: torch.Tensor, sar: torch.Tensor, label: torch.Tensor) -> None:
        if not len(optical) == len(sar) == len(label):
            raise ValueError(
                f"optical, sar and label differ in length: {len(optical)}, {len(sar)}, {len(label)}"
            )
        self.optical, self.sar, self.label = optical, sar, label.float()

    def __len__(self) -> int:
        return len(self.label)

    def __getitem__(self, i: int) -> Sample:
        return {"optical": self.optical[i], "sar": self.sar[i], "label": self.label[i]}


class MinedTriplets(MatchPairDataset):
    """Positive pairs, each with one hard negative SAR patch from a hook (mined from the
    whole image by a model, say): triplets for a descriptor's triplet loss.

    Args:
        optical, sar: Co-registered images (C, H, W) and (S, H, W).
        hard_negatives: The hook; it must answer every positive.
        size, positives, min_distance, seed: As :class:`MatchPairDataset`; the same seed
            gives the same positives whatever the hook answers.

    Sample keys: ``optical``, ``sar`` (the positive), ``sar_negative``, ``label`` (1).
    """

    def __init__(
        self,
        optical: np.ndarray,
        sar: np.ndarray,
        hard_negatives: HardNegativeHook,
        *,
        size: int = 32,
        positives: int = 256,
        min_distance: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            optical, sar, size=size, positives=positives, negative_ratio=1.0,
            min_distance=min_distance, hard_negatives=hard_negatives, hard_fraction=1.0,
            seed=seed,
        )  # fmt: skip
        if any(p.kind == "random" for p in self.pairs[1::2]):
            raise ConfigError("the hard-negative hook left a positive without a negative")
        self.length = positives

    def __getitem__(self, i: int) -> Sample:
        pos, neg = self.pairs[2 * i], self.pairs[2 * i + 1]
        return {
            "optical": tensor(self.optical[(slice(None), *pos.optical.slices())]),
            "sar": tensor(self.sar[(slice(None), *pos.sar.slices())]),
            "sar_negative": tensor(self.sar[(slice(None), *neg.sar.slices())]),
            "label": torch.tensor(1.0),
        }
