"""Training pairs of learned registration: a co-registered SAR-optical patch whose optical
image is deformed by a random smooth field, with that field as the target (the DREAM
paper's recipe, Colin Koeniguer et al., IGARSS 2021, section 3.1), and the DataModule that
serves them from generated scenes, BigEarthNet-MM pairs, SEN1-2 or a DREAM database.

A patch is cut ``pad`` pixels wider than asked on every side, its optical image deformed,
and the result cropped back, so no sample holds pixels pulled in from beyond its border.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from saropt.datasets.common import Sample, tensor
from saropt.datasets.datamodules import VAL_SEED, PatchDataModule
from saropt.datasets.samplers import random_patches
from saropt.errors import ConfigError
from saropt.io.sentinel import S1_BANDS, band_indices, pick_optical
from saropt.seeding import sample_generator
from saropt.synth import generated_pair
from saropt.transforms.flow import deform, random_flow

RegistrationSource = Literal["generated", "bigearthnet", "sen1_2", "dream"]

#: The optical bands a registration network sees by default: the 10 m bands.
REGISTRATION_OPTICAL_BANDS: tuple[str, ...] = ("B02", "B03", "B04", "B08")


class ArrayPairs(Dataset[Sample]):
    """Co-registered (SAR, optical) arrays held in memory, one sample each."""

    def __init__(self, pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        if not pairs:
            raise ConfigError("no SAR-optical pairs to draw from")
        for sar, opt in pairs:
            if sar.shape[1:] != opt.shape[1:]:
                raise ConfigError(f"SAR {sar.shape} and optical {opt.shape} differ in size")
        self.pairs = list(pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> Sample:
        sar, opt = self.pairs[i]
        return {"sar": tensor(sar), "optical": tensor(opt)}


class DeformedPairs(Dataset[Sample]):
    """Deformed patches cut from a dataset of co-registered pairs.

    Sample ``i`` takes a pair chosen by a generator seeded with ``seed`` and ``i``, a random
    window of ``size + 2 pad`` pixels, a random field (:func:`random_flow`, largest
    displacement up to ``max_shift``, or exactly it with ``exact``), deforms the optical
    window so that the field registers it back onto the SAR window, and crops ``pad``.

    Returns ``sar`` (fixed), ``optical`` (moving, deformed) and ``target`` (the flow,
    (dx, dy) in pixels; :mod:`saropt.transforms.flow`'s convention).

    Args:
        pairs: Dataset whose samples hold ``sar`` and ``optical`` (C, H, W) on one grid.
        size: Patch side.
        max_shift: Largest displacement in pixels.
        length: Samples per epoch.
        seed: Seed of every random choice.
        exact: Every field's largest displacement is exactly ``max_shift``.
        spacing: Control-point spacing of the smooth part (pixels).
    """

    def __init__(
        self, pairs: Dataset[Sample], *, size: int, max_shift: float = 8.0, length: int = 256,
        seed: int = 0, exact: bool = False, spacing: float = 64.0,
    ) -> None:  # fmt: skip
        self.pairs, self.size, self.max_shift = pairs, size, max_shift
        self.length, self.seed, self.exact, self.spacing = length, seed, exact, spacing
        self.pad = math.ceil(max_shift) + 2

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> Sample:
        if not 0 <= i < self.length:
            raise IndexError(f"sample {i} of {self.length}")
        g = sample_generator(self.seed, i)
        n = len(self.pairs)  # type: ignore[arg-type]
        pair = self.pairs[int(torch.randint(n, (1,), generator=g))]
        sar, opt = pair["sar"], pair["optical"]
        side = self.size + 2 * self.pad
        h, w = sar.shape[-2:]
        if h < side or w < side:
            raise ConfigError(f"pairs of {h}x{w} px are too small for {self.size} px patches "
                              f"with {self.pad} px of margin; lower data.patch_size")  # fmt: skip
        rows, cols = random_patches(h, w, side, 1, g)[0].slices()
        flow = random_flow(side, side, self.max_shift, g, spacing=self.spacing, exact=self.exact)
        moved = deform(opt[None, :, rows, cols].float(), flow[None])[0]
        p = slice(self.pad, self.pad + self.size)
        return {"sar": sar[:, rows, cols][:, p, p].float(), "optical": moved[:, p, p],
                "target": flow[:, p, p]}  # fmt: skip


def generated_pairs(seeds: range, size: int, bands: Sequence[str]) -> ArrayPairs:
    """(SAR dB, optical DN) of generated scenes."""
    made = (generated_pair(size, s, tuple(bands)) for s in seeds)
    return ArrayPairs([(sar, opt.astype(np.float32)) for opt, sar in made])


class RegistrationDataModule(PatchDataModule):
    """Deformed SAR-optical patches for ``saropt train registration``.

    Args:
        source: "generated" (``scenes`` generated scenes of ``scene_size`` px; half as many,
            at least one, held out), "bigearthnet" (every BigEarthNet-MM pair under
            ``root``; every fifth pair validates), "sen1_2" (the SEN1-2 layout under
            ``root``: VV against RGB; every tenth pair validates) or "dream" (a
            ``saropt db build`` database: its train and val splits).
        optical_bands: Sentinel-2 bands of the moving image (not for "sen1_2": RGB).
        patch_size: Patch side (a multiple of the network's 2^levels is fastest).
        max_shift: Largest displacement of the training fields in pixels.
        train_length, val_length: Patches per epoch.
    """

    def __init__(
        self,
        source: RegistrationSource = "generated",
        root: str | Path | None = None,
        *,
        optical_bands: tuple[str, ...] = REGISTRATION_OPTICAL_BANDS,
        scene_size: int = 256,
        scenes: int = 2,
        patch_size: int = 128,
        max_shift: float = 8.0,
        train_length: int = 256,
        val_length: int = 32,
        batch_size: int = 8,
        seed: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        band_indices(optical_bands)  # unknown names fail here
        if source != "generated" and not root:
            raise ConfigError(f"data source {source} needs data.root: its folder")
        self.source, self.root, self.optical_bands = source, root, tuple(optical_bands)
        self.scene_size, self.scenes, self.patch_size = scene_size, scenes, patch_size
        self.max_shift, self.train_length, self.val_length = max_shift, train_length, val_length

    @property
    def fixed_bands(self) -> tuple[str, ...]:
        """The SAR bands of this source: VV for SEN1-2, the database's SAR bands for a DREAM
        database (a Pauli SAR has three), VV, VH otherwise."""
        if self.source == "sen1_2":
            return ("VV",)
        if self.source == "dream":
            from saropt.datasets.dream import database_summary

            return tuple(database_summary(str(self.root)).get("sar_bands", S1_BANDS))
        return S1_BANDS

    @property
    def channels(self) -> tuple[int, int]:
        """(fixed, moving) bands the network takes for this source."""
        moving = 3 if self.source == "sen1_2" else len(self.optical_bands)
        return len(self.fixed_bands), moving

    def build(self) -> tuple[Dataset[Any], Dataset[Any]]:
        train, val = self._pairs()
        size, shift = self.patch_size, self.max_shift
        return (DeformedPairs(train, size=size, max_shift=shift, length=self.train_length,
                              seed=self.seed),
                DeformedPairs(val, size=size, max_shift=shift, length=self.val_length,
                              seed=self.seed + 1))  # fmt: skip

    def _pairs(self) -> tuple[Dataset[Sample], Dataset[Sample]]:
        bands = self.optical_bands
        if self.source == "generated":
            first = self.seed * self.scenes
            v0 = first + VAL_SEED
            return (generated_pairs(range(first, first + self.scenes), self.scene_size, bands),
                    generated_pairs(range(v0, v0 + max(1, self.scenes // 2)), self.scene_size,
                                    bands))  # fmt: skip
        assert self.root is not None
        if self.source == "bigearthnet":
            from saropt.datasets.bigearthnet import BigEarthNetMM

            ben = BigEarthNetMM(self.root, normalize=False)
            pairs = []
            for k in range(len(ben)):
                s = ben[k]
                pairs.append((s["sar"].numpy(), pick_optical(s["optical"].numpy(), bands,
                                                             str(ben.pairs[k]))))  # fmt: skip
            return _split_every(ArrayPairs(pairs), 5)
        if self.source == "sen1_2":
            from saropt.datasets.sen1_2 import SEN12Pairs

            return _split_every(SEN12Pairs(self.root), 10)
        from saropt.datasets.dream import DreamDataset

        side = self.patch_size + 2 * (math.ceil(self.max_shift) + 2)
        made = [DreamDataset(self.root, split=split, patch_size=side, normalize=False,
                             seed=self.seed) for split in ("train", "val")]  # fmt: skip
        return _Bands(made[0], bands), _Bands(made[1], bands)


class _Bands(Dataset[Sample]):
    """A dataset's samples with only the optical ``bands`` kept."""

    def __init__(self, data: Dataset[Sample], bands: tuple[str, ...]) -> None:
        self.data, self.bands = data, bands

    def __len__(self) -> int:
        return len(self.data)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> Sample:
        s = dict(self.data[i])
        s["optical"] = tensor(pick_optical(s["optical"].numpy(), self.bands, f"sample {i}"))
        return s


def _split_every(data: Dataset[Sample], k: int) -> tuple[Dataset[Sample], Dataset[Sample]]:
    """(every sample but each k-th, each k-th); both the whole set when it has one sample."""
    from torch.utils.data import Subset

    n = len(data)  # type: ignore[arg-type]
    held = list(range(0, n, k))
    kept = [i for i in range(n) if i % k]
    if not kept:
        return data, data
    return Subset(data, kept), Subset(data, held)
