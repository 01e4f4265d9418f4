"""Paired optical/SAR patches for image-to-image translation (opt2sar or sar2opt): from
co-registered arrays (generated scenes) or from the tiles of a ``saropt db build``
database, as the DREAM paper trains its pix2pix."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from torch.utils.data import Dataset

from saropt.datasets.common import InMemoryPairs, Sample, tensor
from saropt.datasets.samplers import random_patches
from saropt.errors import ConfigError
from saropt.io.sentinel import (
    S1_BANDS,
    S2_BANDS,
    S2_L2A_BANDS,
    S2_QUANTIFICATION,
    normalize_s1,
    normalize_s2,
    pick_optical,
)

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
            normalize_s2(optical, symmetric=True),
            normalize_s1(sar, symmetric=True),
            length=length,
            seed=seed,
        )
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


class DreamTranslationDataset(Dataset[Sample]):
    """Random co-registered patches of a database's tiles: ``source`` and ``target`` in
    [-1, 1], SAR by :func:`normalize_s1` (the database stores dB), the optical image by the
    database's ``optical_scale``.

    Args:
        root: Database folder (``saropt db build``).
        split: "train", "val" or "test".
        direction: "opt2sar" or "sar2opt".
        bands: Sentinel-2 bands to keep of a 13- or 12-band optical tile; a tile that holds
            another number of bands (an aerial RGB+NIR) is used whole.
        optical: "s2", or "s2_registered" (a database built with ``--register``).
        patch_size: Patch side.
        length: Samples per epoch (patches spread evenly over the split's tiles).
        seed: Sample ``i`` depends only on ``seed`` and ``i``.

    Raises:
        ConfigError: No such split or modality in the database.
    """

    def __init__(
        self,
        root: str | Path,
        split: Literal["train", "val", "test"],
        direction: Direction,
        *,
        bands: Sequence[str],
        optical: Literal["s2", "s2_registered"] = "s2",
        patch_size: int = 64,
        length: int = 256,
        seed: int = 0,
    ) -> None:
        from saropt.datasets.dream import SAMPLE_KEYS, DreamDataset

        self.data = DreamDataset(root, split=split, modalities=("s1", optical),
                                 patch_size=patch_size, seed=seed)  # fmt: skip
        if not self.data.tiles:
            raise ConfigError(
                f"the database at '{root}' has no {split} tiles; build it with "
                "more tiles (a smaller --tile-size) or other split fractions"
            )
        self.data.patches_per_tile = max(1, math.ceil(length / len(self.data.tiles)))
        self.key = SAMPLE_KEYS[optical]
        self.bands, self.direction, self.length = tuple(bands), direction, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> Sample:
        if not 0 <= i < self.length:
            raise IndexError(f"sample {i} of {self.length}")
        s = self.data[i % len(self.data)]
        opt = s[self.key].numpy()
        if len(opt) in (len(S2_BANDS), len(S2_L2A_BANDS)):
            opt = pick_optical(opt, self.bands, f"tile {s['tile']}")
        opt, sar = tensor(opt * 2.0 - 1.0), tensor(s["sar"].numpy() * 2.0 - 1.0)
        if self.direction == "opt2sar":
            return {"source": opt, "target": sar}
        return {"source": sar, "target": opt}


def dream_translation_pair(
    root: str | Path, direction: Direction, lengths: tuple[int, int], seed: int, **kw: Any
) -> tuple[DreamTranslationDataset, DreamTranslationDataset]:
    """(train, val) :class:`DreamTranslationDataset` of a database's train and val tiles,
    ``lengths`` samples each, seeded ``seed`` and ``seed + 1``; ``kw`` as the class takes."""
    return (DreamTranslationDataset(root, "train", direction, length=lengths[0], seed=seed, **kw),
            DreamTranslationDataset(root, "val", direction, length=lengths[1], seed=seed + 1,
                                    **kw))  # fmt: skip


def database_layout(
    root: str | Path, bands: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...], float]:
    """What a translation network trained on a database sees: (optical band names, SAR band
    names, optical scale). The optical bands are ``bands`` of a Sentinel-2 tile, or every
    band of another optical tile (named by its descriptions).

    Raises:
        InputNotFoundError: Not a database.
        ConfigError: A database without built tiles.
    """
    from saropt.datasets.dream import DreamDataset, database_summary
    from saropt.io.raster import read_info

    plan, rows = database_summary(root), DreamDataset(root, split=None).tiles
    if not rows:
        raise ConfigError(f"the database at '{root}' has no built tiles")
    sar = tuple(plan.get("sar_bands", S1_BANDS))
    scale = float(plan.get("optical_scale", S2_QUANTIFICATION))
    opt = read_info(Path(root) / rows[0]["s2"])
    if opt.count in (len(S2_BANDS), len(S2_L2A_BANDS)):
        return tuple(bands), sar, scale
    names = tuple(d or f"band{k + 1}" for k, d in enumerate(opt.descriptions))
    return names or tuple(f"band{k + 1}" for k in range(opt.count)), sar, scale
