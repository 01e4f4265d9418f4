"""Patches of a multimodal database built by ``saropt db build`` (the DREAM layout).

The database's ``index.csv`` lists each built tile: ``id, split, row, col, height, width,
left, bottom, right, top, valid_fraction`` and one relative path per modality (``s2, s1,
s1_single, dem, osm_classes, osm_layers``, and ``s2_registered, flow`` in a database
registered by ``saropt db build --register``). Patches are read window by window, so a
sample costs the memory of the patch, not of the tile.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from saropt.datasets.common import Sample, geo, tensor
from saropt.datasets.samplers import grid_patches, random_patches
from saropt.errors import ConfigError, InputNotFoundError
from saropt.io.grid import PixelWindow
from saropt.io.raster import read_raster
from saropt.io.sentinel import S2_QUANTIFICATION, normalize_s1
from saropt.seeding import sample_generator

#: Modality (asset) name -> sample key.
SAMPLE_KEYS: dict[str, str] = {
    "s2": "optical",
    "s1": "sar",
    "s1_single": "sar_single",
    "dem": "dem",
    "osm_layers": "osm",
    "osm_classes": "label",
    "s2_registered": "optical_registered",
    "flow": "flow",
}


def database_summary(root: str | Path) -> dict[str, Any]:
    """A database's ``database.json`` (empty when the folder has none)."""
    plan = Path(root) / "database.json"
    summary: dict[str, Any] = json.loads(plan.read_text()) if plan.exists() else {}
    return summary


class DreamDataset(Dataset[Sample]):
    """Patches of any subset of a database's modalities.

    Args:
        root: Database folder (holding ``index.csv``).
        split: "train", "val", "test", or None for every tile.
        modalities: Assets to read (keys of :data:`SAMPLE_KEYS`).
        patch_size: Patch side in pixels.
        mode: "random": ``patches_per_tile`` random patches per tile, drawn from a generator
            seeded by ``seed`` and the sample index (same seed, same patches); "grid": every
            patch of a grid with ``stride``.
        patches_per_tile: Random patches per tile and epoch.
        stride: Grid step (``patch_size`` when None).
        seed: Seed of the random patches.
        normalize: Map S1 (dB) and S2 to [0, 1]; DEM and OSM stay as stored. The optical
            image is divided by the database's ``optical_scale`` (``database.json``: 10000
            for Sentinel-2 digital numbers, 255 for 8-bit aerial images).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        split: Literal["train", "val", "test"] | None = "train",
        modalities: Sequence[str] = ("s1", "s2"),
        patch_size: int = 256,
        mode: Literal["random", "grid"] = "random",
        patches_per_tile: int = 4,
        stride: int | None = None,
        seed: int = 0,
        normalize: bool = True,
    ) -> None:
        self.root = Path(root)
        index = self.root / "index.csv"
        if not index.exists():
            raise InputNotFoundError(
                f"'{root}' holds no index.csv; build a database with `saropt db build`"
            )
        unknown = [m for m in modalities if m not in SAMPLE_KEYS]
        if unknown:
            raise ConfigError(f"unknown modalities {unknown}; choose from {list(SAMPLE_KEYS)}")
        with index.open(newline="") as f:
            rows = [r for r in csv.DictReader(f) if split is None or r["split"] == split]
        missing = [m for m in modalities if rows and not rows[0].get(m)]
        if missing:
            raise ConfigError(f"the database at '{root}' was built without {missing}")
        self.tiles = rows
        self.optical_scale = float(database_summary(root).get("optical_scale", S2_QUANTIFICATION))
        self.modalities = tuple(modalities)
        self.patch_size = patch_size
        self.mode = mode
        self.patches_per_tile = patches_per_tile
        self.seed = seed
        self.normalize = normalize
        self._grid: list[tuple[int, PixelWindow]] = []
        if mode == "grid":
            for t, r in enumerate(rows):
                for w in grid_patches(int(r["height"]), int(r["width"]), patch_size, stride):
                    self._grid.append((t, w))

    def __len__(self) -> int:
        if self.mode == "grid":
            return len(self._grid)
        return len(self.tiles) * self.patches_per_tile

    def window(self, i: int) -> tuple[int, PixelWindow]:
        """(tile index, patch window) of sample ``i``."""
        if self.mode == "grid":
            return self._grid[i]
        t = i // self.patches_per_tile
        r = self.tiles[t]
        g = sample_generator(self.seed, i)
        return t, random_patches(int(r["height"]), int(r["width"]), self.patch_size, 1, g)[0]

    def __getitem__(self, i: int) -> Sample:
        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} of {len(self)}")
        t, win = self.window(i)
        tile = self.tiles[t]
        sample: Sample = {"tile": tile["id"], "split": tile["split"]}
        for m in self.modalities:
            raster = read_raster(self.root / tile[m], window=win)
            data = raster.data
            if m == "osm_classes":
                sample["label"] = tensor(data[0], torch.long)
                continue
            x = data.astype(np.float32)
            if self.normalize and m in ("s1", "s1_single"):
                x = normalize_s1(x)
            elif self.normalize and m in ("s2", "s2_registered"):
                x = np.clip(x, 0.0, self.optical_scale) / self.optical_scale
            sample[SAMPLE_KEYS[m]] = tensor(x)
            sample.update(geo(raster))
        return sample
