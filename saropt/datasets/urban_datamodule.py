"""The urban-mapping LightningDataModule (kept beside :mod:`saropt.datasets.datamodules`,
which holds the other capabilities' modules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from torch.utils.data import Dataset, Subset

from saropt.datasets.classification import random_subset
from saropt.datasets.common import labelled_rasters
from saropt.datasets.datamodules import VAL_SEED, PatchDataModule
from saropt.datasets.urban import (
    SEN12GUM,
    URBAN_OPTICAL_BANDS,
    DreamUrban,
    UrbanPatches,
    check_labels,
)
from saropt.errors import BandCountError, ConfigError
from saropt.io.features import rasterize
from saropt.io.sentinel import S2_BANDS, band_indices
from saropt.synth import generate_scene

UrbanSource = Literal["generated", "rasters", "dream", "gum"]


def generated_urban(seeds: range, size: int, bands: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """(optical DN, SAR dB, built-up labels) of generated scenes side by side: built-up is
    every pixel a building footprint touches."""
    parts = []
    for s in seeds:
        scene = generate_scene(height=size, width=size, seed=s, dates=1)
        built = rasterize(((b, 1) for b in scene.buildings), scene.grid, all_touched=True)
        parts.append((scene.optical[band_indices(bands)], scene.sar[0], built))
    return tuple(np.concatenate(x, axis=-1) for x in zip(*parts, strict=True))


class UrbanDataModule(PatchDataModule):
    """Built-up labels with S1 and S2 patches (keys ``sar``, ``optical``, ``label``,
    ``valid``; :mod:`saropt.datasets.urban`).

    Args:
        source: "generated" (``scenes`` generated scenes side by side; half as many, at
            least one, held out for validation), "rasters" (``s1``, ``s2``, ``labels``
            GeoTIFFs on one grid; the top 80 % of rows train, the rest validate), "dream"
            (a ``saropt db build`` database under ``root``, its OSM building layer, its
            train and val splits) or "gum" (the SEN12 GUM layout under ``root``:
            ``val_sites`` validate, or every tenth patch when none are named).
        optical_bands: Sentinel-2 bands (saropt's names); the S2 raster of "rasters" holds
            these bands or all 13.
        scene_size, scenes: Generated scenes' side and number.
        patch_size: Patch side (a multiple of 4).
        train_length: Random training patches per epoch (generated, rasters, dream); for
            "gum" the most patches kept.
        batch_size, seed: Batches and the seed of every random choice.
    """

    def __init__(
        self,
        source: UrbanSource = "generated",
        root: str | Path | None = None,
        *,
        s1: str | Path | None = None,
        s2: str | Path | None = None,
        labels: str | Path | None = None,
        val_sites: tuple[str, ...] | None = None,
        optical_bands: tuple[str, ...] = URBAN_OPTICAL_BANDS,
        scene_size: int = 256,
        scenes: int = 2,
        patch_size: int = 64,
        train_length: int = 256,
        batch_size: int = 8,
        seed: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        if patch_size % 4:
            raise ConfigError(f"data.patch_size must be a multiple of 4; got {patch_size}")
        band_indices(optical_bands)  # unknown names fail here, before any data is read
        self.source, self.root, self.paths = source, root, (s1, s2, labels)
        self.val_sites, self.optical_bands = val_sites, tuple(optical_bands)
        self.scene_size, self.scenes, self.patch_size = scene_size, scenes, patch_size
        self.train_length = train_length

    def build(self) -> tuple[Dataset[Any], Dataset[Any]]:
        n, size, seed = self.train_length, self.patch_size, self.seed
        if self.source in ("generated", "rasters"):
            (opt, sar, lab), (vopt, vsar, vlab) = self._arrays()
            return (
                UrbanPatches(opt, sar, lab, size=size, length=n, seed=seed, augment=True),
                UrbanPatches(vopt, vsar, vlab, size=size, length=None, seed=seed + 1),
            )
        if not self.root:
            raise ConfigError(f"data source {self.source} needs data.root: its folder")
        bands = self.optical_bands
        if self.source == "dream":
            train = DreamUrban(self.root, "train", size=size, per_tile=8, seed=seed,
                               optical_bands=bands, augment=True)  # fmt: skip
            val = DreamUrban(self.root, "val", size=size, per_tile=8, seed=seed + 1,
                             optical_bands=bands)  # fmt: skip
            return random_subset(train, n, seed), val
        if self.val_sites:
            every = SEN12GUM(self.root, optical_bands=bands)
            sites = sorted({s for s, _ in every.samples} - set(self.val_sites))
            train_set: Dataset[Any] = SEN12GUM(self.root, sites, optical_bands=bands,
                                               augment=True, seed=seed)  # fmt: skip
            return random_subset(train_set, n, seed), SEN12GUM(self.root, self.val_sites,
                                                               optical_bands=bands)  # fmt: skip
        full = SEN12GUM(self.root, optical_bands=bands, augment=True, seed=seed)
        plain = SEN12GUM(self.root, optical_bands=bands)
        train_idx = [i for i in range(len(full)) if i % 10]
        if not train_idx:
            raise ConfigError(f"too few patches under {self.root} to hold every tenth out")
        every_tenth = Subset(plain, range(0, len(plain), 10))
        return random_subset(Subset(full, train_idx), n, seed), every_tenth

    def _arrays(self) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        if self.source == "generated":
            first, n = self.seed * self.scenes, self.scene_size
            train = generated_urban(range(first, first + self.scenes), n, self.optical_bands)
            v0 = first + VAL_SEED
            val = generated_urban(range(v0, v0 + max(1, self.scenes // 2)), n, self.optical_bands)
            return train, val
        return labelled_rasters(
            self.paths, self.patch_size, labels=check_labels,
            optical=lambda data, name: select_optical(data, self.optical_bands, name),
        )  # fmt: skip


def select_optical(data: np.ndarray, bands: tuple[str, ...], name: str) -> np.ndarray:
    """The ``bands`` of a Sentinel-2 stack holding exactly them or all 13 bands.

    Raises:
        BandCountError: Any other band count.
    """
    if len(data) == len(bands):
        return data
    if len(data) == len(S2_BANDS):
        return data[band_indices(bands)]
    raise BandCountError(
        f"'{name}' has {len(data)} bands; give the {len(bands)} bands {list(bands)} in that "
        f"order, or all {len(S2_BANDS)} Sentinel-2 bands"
    )
