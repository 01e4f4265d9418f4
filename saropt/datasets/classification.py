"""Patches with soft labels for cross-modal classification, aligned or unpaired.

Every source gives aligned samples ``{"sar", "optical", "label"}`` where ``label`` is the
patch's soft label (:mod:`saropt.datasets.labels`). Training wraps them in
:class:`UnpairedModalities`, which draws the Sentinel-1 and the Sentinel-2 patch of a
sample from different places: the cross-modal model never needs aligned pairs to learn
(the paper's point); aligned pairs serve only to measure homogeneity and retrieval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, Subset

from saropt.datasets.bigearthnet import BigEarthNetMM
from saropt.datasets.common import InMemoryPairs, Sample, tensor
from saropt.datasets.dream import DreamDataset
from saropt.datasets.labels import (
    BIGEARTHNET19,
    DFC_CLASSES,
    IGBP_TO_DFC,
    OSM_CLASSES,
    class_histogram,
)
from saropt.datasets.samplers import random_patches
from saropt.datasets.sen12ms import SEN12MS
from saropt.errors import ConfigError
from saropt.io.sentinel import normalize_s1, normalize_s2


class LabelledPatches(InMemoryPairs):
    """Random aligned patches of a co-registered S2/S1/land-cover triple held in memory.

    Args:
        optical: Sentinel-2 digital numbers (C, H, W).
        sar: Sentinel-1 dB (2, H, W).
        labels: Class codes (H, W).
        classes: The codes of the classes, in label order; other codes are unlabelled.
        size: Patch side.
        length: Samples per epoch.
        seed: Seed of the patch positions.
        min_labelled: Least share of labelled pixels in a patch (positions are redrawn,
            up to 20 times, until one has it).
        augment: Flip each patch left-right and up-down at random (training); the soft
            label does not change.
    """

    def __init__(
        self, optical: np.ndarray, sar: np.ndarray, labels: np.ndarray, *,
        classes: Sequence[int], size: int, length: int, seed: int, min_labelled: float = 0.5,
        augment: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(optical, sar, length=length, seed=seed)
        if labels.shape != optical.shape[1:]:
            raise ConfigError(f"labels {labels.shape} and images {optical.shape[1:]} differ")
        self.norm_optical = normalize_s2(optical.astype(np.float32))
        self.norm_sar = normalize_s1(sar.astype(np.float32))
        self.labels, self.classes = labels, tuple(classes)
        self.size, self.min_labelled = size, min_labelled
        self.labelled = np.isin(labels, self.classes)
        self.augment = augment

    def __getitem__(self, i: int) -> Sample:
        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} of {len(self)}")
        g = self.generator(i)
        h, w = self.labels.shape
        for _ in range(20):
            win = random_patches(h, w, self.size, 1, g)[0]
            if self.labelled[win.slices()].mean() >= self.min_labelled:
                break
        rows, cols = win.slices()
        opt, sar = self.norm_optical[:, rows, cols], self.norm_sar[:, rows, cols]
        if self.augment:
            flips = torch.rand(2, generator=g) < 0.5
            axes = tuple(ax for ax, f in zip((1, 2), flips.tolist(), strict=True) if f)
            opt, sar = np.flip(opt, axes), np.flip(sar, axes)
        return {
            "optical": tensor(opt),
            "sar": tensor(sar),
            "label": tensor(class_histogram(self.labels[rows, cols], self.classes)),
        }


class SoftLabelled(Dataset[Sample]):
    """Another dataset's samples with ``label`` turned into a soft label by ``convert``."""

    def __init__(self, base: Dataset[Sample], convert: Callable[[torch.Tensor], np.ndarray]):
        self.base, self.convert = base, convert

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> Sample:
        sample = dict(self.base[i])
        sample["label"] = tensor(self.convert(sample["label"]))
        return {k: sample[k] for k in ("sar", "optical", "label")}


def sen12ms_patches(
    root: str | Path, classes: Sequence[str], seasons: Sequence[str] | None = ("winter",)
) -> SoftLabelled:
    """SEN12MS patches with soft labels over simplified-IGBP (DFC 2020) ``classes``, from
    the first (IGBP) band of each land-cover patch."""
    unknown = [c for c in classes if c not in DFC_CLASSES]
    if unknown:
        raise ConfigError(f"unknown DFC classes {unknown}; choose from {DFC_CLASSES}")
    codes = [DFC_CLASSES.index(c) + 1 for c in classes]

    def convert(igbp: torch.Tensor) -> np.ndarray:
        return class_histogram(IGBP_TO_DFC[np.clip(igbp.numpy(), 0, 17)], codes)

    return SoftLabelled(SEN12MS(root, seasons=seasons), convert)


def bigearthnet_patches(root: str | Path) -> SoftLabelled:
    """BigEarthNet-MM pairs with their CORINE labels in the 19-class nomenclature, as
    multi-hot vectors scaled to sum to 1."""
    corine = tuple(name for olds in BIGEARTHNET19.values() for name in olds)
    group = torch.zeros(len(corine), len(BIGEARTHNET19))
    k = 0
    for j, olds in enumerate(BIGEARTHNET19.values()):
        group[k : k + len(olds), j] = 1.0
        k += len(olds)

    def convert(hot: torch.Tensor) -> np.ndarray:
        new = ((hot @ group) > 0).float().numpy()
        return new / new.sum() if new.sum() else new

    return SoftLabelled(BigEarthNetMM(root, classes=corine), convert)


def dream_patches(
    root: str | Path, split: str, *, size: int, per_tile: int, seed: int
) -> SoftLabelled:
    """Random patches of a ``saropt db build`` database with soft labels over its OSM
    classes (:data:`~saropt.datasets.labels.OSM_CLASSES`)."""
    base = DreamDataset(
        root, split=split, modalities=("s1", "s2", "osm_classes"),  # type: ignore[arg-type]
        patch_size=size, patches_per_tile=per_tile, seed=seed,
    )  # fmt: skip

    def convert(codes: torch.Tensor) -> np.ndarray:
        return class_histogram(codes.numpy(), range(len(OSM_CLASSES)))

    return SoftLabelled(base, convert)


class UnpairedModalities(Dataset[Sample]):
    """Training samples whose S1 and S2 patches come from different places: sample ``i``
    takes the SAR patch of ``base[i]`` and the optical patch of ``base[perm[i]]`` (a seeded
    permutation), each with its own soft label (``sar_label``, ``optical_label``)."""

    def __init__(self, base: Dataset[Sample], seed: int) -> None:
        self.base = base
        n = len(base)  # type: ignore[arg-type]
        self.perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()

    def __len__(self) -> int:
        return len(self.perm)

    def __getitem__(self, i: int) -> Sample:
        a, b = self.base[i], self.base[self.perm[i]]
        return {
            "sar": a["sar"], "sar_label": a["label"],
            "optical": b["optical"], "optical_label": b["label"],
        }  # fmt: skip


def random_subset(data: Dataset[Any], n: int, seed: int) -> Dataset[Any]:
    """At most ``n`` samples of ``data``, a seeded random choice."""
    total = len(data)  # type: ignore[arg-type]
    if total <= n:
        return data
    keep = torch.randperm(total, generator=torch.Generator().manual_seed(seed))[:n]
    return Subset(data, sorted(keep.tolist()))
