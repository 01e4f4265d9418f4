"""One LightningDataModule per capability: what a task trains and validates on.

:class:`PatchDataModule` serves any pair of datasets in batches, shuffled by an epoch-seeded
sampler so that a resumed run sees the same order as an uninterrupted one. The capability
modules build their datasets in :meth:`setup` from generated scenes (the default for demos
and tests) or from a real layout on disk:

* :class:`CloudRemovalDataModule`: clear optical + SAR clouded on the fly, or SEN12MS-CR;
* :class:`TranslationDataModule`: optical <-> SAR patch pairs;
* :class:`ShiftDataModule`: optical templates at known shifts inside SAR windows;
* :class:`PairDataModule`: co-located and non-matching SAR-optical patch pairs;
* :class:`ClassificationDataModule`: soft-labelled patches, unpaired for training, aligned
  for validation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
from torch.utils.data import DataLoader, Dataset, Subset

from saropt.datasets.classification import (
    LabelledPatches,
    UnpairedModalities,
    bigearthnet_patches,
    dream_patches,
    random_subset,
    sen12ms_patches,
)
from saropt.datasets.cloud_removal import SyntheticCloudDataset
from saropt.datasets.common import labelled_rasters
from saropt.datasets.labels import BIGEARTHNET19, DFC_NINE, GENERATED_CLASSES, OSM_CLASSES
from saropt.datasets.matching import MatchPairDataset, ShiftPairDataset
from saropt.datasets.samplers import EpochShuffleSampler
from saropt.datasets.sen12ms import SEN12MSCR
from saropt.datasets.translation import Direction, TranslationDataset, dream_translation_pair
from saropt.errors import ConfigError
from saropt.io.sentinel import S2_BANDS
from saropt.synth import generate_scene, generated_pair

#: The held-out validation scene of a run seeded ``s`` is generated with seed ``s + VAL_SEED``.
VAL_SEED = 1000


class PatchDataModule(L.LightningDataModule):
    """Batches of a training and an optional validation dataset.

    Args:
        train: Training dataset (or None when :meth:`setup` builds it).
        val: Validation dataset; None trains without validation.
        batch_size: Samples per batch.
        seed: Seed of the epoch-seeded shuffle.
    """

    def __init__(
        self,
        train: Dataset[Any] | None = None,
        val: Dataset[Any] | None = None,
        *,
        batch_size: int = 8,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.train: Dataset[Any] | None = train
        self.val: Dataset[Any] | None = val
        self.batch_size = batch_size
        self.seed = seed

    def build(self) -> tuple[Dataset[Any], Dataset[Any] | None]:
        """(train, val) datasets; subclasses make them here."""
        raise ConfigError(f"{type(self).__name__} was given no training dataset")

    def setup(self, stage: str | None = None) -> None:
        """Build the datasets once (Lightning calls this before fitting)."""
        if self.train is None:
            self.train, self.val = self.build()

    def train_dataloader(self) -> DataLoader[Any]:
        self.setup()
        assert self.train is not None  # set by setup
        sampler = EpochShuffleSampler(len(self.train), self.seed)  # type: ignore[arg-type]
        return DataLoader(self.train, batch_size=self.batch_size, sampler=sampler)

    def val_dataloader(self) -> DataLoader[Any] | list[Any]:
        self.setup()
        if self.val is None:
            return []  # no validation batches: Lightning skips the loop
        return DataLoader(self.val, batch_size=self.batch_size)


class _GeneratedScenes(PatchDataModule):
    """A module whose training scene is generated from ``seed`` and whose validation
    scene from ``seed + VAL_SEED``."""

    def __init__(
        self, *, scene_size: int, bands: tuple[str, ...], batch_size: int, seed: int
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        self.scene_size = scene_size
        self.bands = tuple(bands)

    def scenes(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """((optical, SAR) of the training scene, (optical, SAR) of the held-out one)."""
        return (
            generated_pair(self.scene_size, self.seed, self.bands),
            generated_pair(self.scene_size, self.seed + VAL_SEED, self.bands),
        )

    def pair(
        self,
        make: Callable[[np.ndarray, np.ndarray, int, int], Dataset[Any]],
        n: int,
        m: int,
        val_offset: int = 1,
    ) -> tuple[Dataset[Any], Dataset[Any]]:
        """``make(optical, sar, length, seed)`` for the training scene (``n`` samples, seed
        ``seed``) and the held-out scene (``m``, seed ``seed + val_offset``)."""
        (opt, sar), (vopt, vsar) = self.scenes()
        return make(opt, sar, n, self.seed), make(vopt, vsar, m, self.seed + val_offset)


class CloudRemovalDataModule(_GeneratedScenes):
    """Cloud-removal samples (keys ``cloudy``, ``target``, ``sar``, ``mask``).

    Args:
        source: "synthetic": patches of a generated scene clouded on the fly (Perlin clouds
            and haze), validated on a held-out scene; "sen12mscr": real cloudy/clear pairs in
            the SEN12MS-CR layout under ``root``, every tenth patch (by name) held out.
        root: The SEN12MS-CR folder.
        scene_size, patch_size, train_length, val_length, coverage, bands: The generated
            data (see :class:`~saropt.datasets.SyntheticCloudDataset`).
    """

    def __init__(
        self,
        source: Literal["synthetic", "sen12mscr"] = "synthetic",
        root: str | Path | None = None,
        *,
        scene_size: int = 384,
        patch_size: int = 64,
        train_length: int = 256,
        val_length: int = 64,
        coverage: tuple[float, float] = (0.4, 0.9),
        bands: tuple[str, ...] = S2_BANDS,
        batch_size: int = 8,
        seed: int = 0,
    ) -> None:
        super().__init__(scene_size=scene_size, bands=bands, batch_size=batch_size, seed=seed)
        self.source, self.root = source, root
        self.patch_size, self.coverage = patch_size, (float(coverage[0]), float(coverage[1]))
        self.lengths = (train_length, val_length)

    def build(self) -> tuple[Dataset[Any], Dataset[Any]]:
        if self.source == "sen12mscr":
            if not self.root:
                raise ConfigError("data source sen12mscr needs data.root: the SEN12MS-CR folder")
            full = SEN12MSCR(self.root, symmetric=True)
            train_idx = [i for i in range(len(full)) if i % 10]
            if not train_idx:
                raise ConfigError(f"too few SEN12MS-CR patches under {self.root} to split")
            return Subset(full, train_idx), Subset(full, list(range(0, len(full), 10)))

        def make(opt: np.ndarray, sar: np.ndarray, length: int, seed: int) -> Dataset[Any]:
            return SyntheticCloudDataset(
                opt, sar, patch_size=self.patch_size, length=length,
                coverage=self.coverage, bands=self.bands, seed=seed,
            )  # fmt: skip

        return self.pair(make, *self.lengths)


class TranslationDataModule(_GeneratedScenes):
    """Optical <-> SAR patch pairs (keys ``source``, ``target``).

    Args:
        source: "generated" (a generated scene, validated on a held-out one) or "dream"
            (the train and val tiles of a ``saropt db build`` database under ``root``).
        optical: The database's optical asset: "s2", or "s2_registered" after
            ``db build --register``.
    """

    def __init__(
        self,
        direction: Direction = "opt2sar",
        *,
        source: Literal["generated", "dream"] = "generated",
        root: str | Path | None = None,
        optical: Literal["s2", "s2_registered"] = "s2",
        scene_size: int = 384,
        patch_size: int = 64,
        train_length: int = 256,
        val_length: int = 64,
        bands: tuple[str, ...] = S2_BANDS,
        batch_size: int = 8,
        seed: int = 0,
    ) -> None:
        super().__init__(scene_size=scene_size, bands=bands, batch_size=batch_size, seed=seed)
        if source == "dream" and not root:
            raise ConfigError("data source dream needs data.root: the database folder")
        self.direction, self.patch_size = direction, patch_size
        self.source, self.root, self.optical = source, root, optical
        self.lengths = (train_length, val_length)

    def build(self) -> tuple[Dataset[Any], Dataset[Any]]:
        if self.source == "dream":
            assert self.root is not None
            kw = {"bands": self.bands, "optical": self.optical, "patch_size": self.patch_size}
            return dream_translation_pair(self.root, self.direction, self.lengths, self.seed, **kw)

        def make(opt: np.ndarray, sar: np.ndarray, length: int, seed: int) -> Dataset[Any]:
            return TranslationDataset(
                opt, sar, self.direction, patch_size=self.patch_size, length=length, seed=seed
            )

        return self.pair(make, *self.lengths)


class ShiftDataModule(_GeneratedScenes):
    """Optical templates inside SAR search windows at known shifts (key ``shift``)."""

    def __init__(
        self,
        *,
        template: int = 32,
        search: int = 48,
        scene_size: int = 384,
        train_length: int = 512,
        val_length: int = 128,
        bands: tuple[str, ...] = S2_BANDS,
        batch_size: int = 16,
        seed: int = 0,
    ) -> None:
        super().__init__(scene_size=scene_size, bands=bands, batch_size=batch_size, seed=seed)
        self.template, self.search = template, search
        self.lengths = (train_length, val_length)

    def build(self) -> tuple[Dataset[Any], Dataset[Any]]:
        def make(opt: np.ndarray, sar: np.ndarray, length: int, seed: int) -> Dataset[Any]:
            return ShiftPairDataset(
                opt, sar, template=self.template, search=self.search, length=length, seed=seed
            )

        return self.pair(make, *self.lengths, val_offset=VAL_SEED)


class PairDataModule(_GeneratedScenes):
    """Matching (label 1) and non-matching (label 0) SAR-optical pairs.

    Args:
        size: Patch side.
        positives: Positive pairs of the training scene.
        negative_ratio: Random negatives per positive (0: positives only, as the descriptor
            takes its negatives from the batch).
        val_positives: Positive pairs of the held-out scene (one random negative each).
    """

    def __init__(
        self,
        *,
        size: int = 32,
        positives: int = 1024,
        negative_ratio: float = 1.0,
        val_positives: int = 256,
        scene_size: int = 384,
        bands: tuple[str, ...] = S2_BANDS,
        batch_size: int = 32,
        seed: int = 0,
    ) -> None:
        super().__init__(scene_size=scene_size, bands=bands, batch_size=batch_size, seed=seed)
        self.size, self.positives, self.ratio = size, positives, negative_ratio
        self.val_positives = val_positives
        #: The training image pair (optical DN, SAR dB), once built: miners cut from it.
        self.images: tuple[np.ndarray, np.ndarray] | None = None

    def build(self) -> tuple[Dataset[Any], Dataset[Any]]:
        (opt, sar), (vopt, vsar) = self.scenes()
        self.images = (opt, sar)
        train = MatchPairDataset(opt, sar, size=self.size, positives=self.positives,
                                 negative_ratio=self.ratio, seed=self.seed)  # fmt: skip
        val = MatchPairDataset(vopt, vsar, size=self.size, positives=self.val_positives,
                               seed=self.seed + VAL_SEED)  # fmt: skip
        return train, val


ClassificationSource = Literal["generated", "rasters", "dream", "sen12ms", "bigearthnet"]


class ClassificationDataModule(PatchDataModule):
    """Soft-labelled patches: training samples unpaired across modalities
    (:class:`~saropt.datasets.classification.UnpairedModalities`), validation samples
    aligned (keys ``sar``, ``optical``, ``label``).

    Args:
        source: "generated" (a generated scene and its land cover; a held-out scene for
            validation), "rasters" (``s1``, ``s2`` and ``labels`` GeoTIFFs on one grid: the
            top 80 % of rows train, the rest validate), "dream" (a ``saropt db build``
            database under ``root``, OSM classes, its train and val splits), "sen12ms"
            (the SEN12MS layout under ``root``, IGBP simplified to ``classes``, only
            ``seasons``) or "bigearthnet" (BigEarthNet-MM under ``root``, 19 classes). For
            the last two every tenth patch (by name) validates.
        classes: Class names of the rasters (their codes are 1, 2, ...) or the DFC classes
            kept from SEN12MS; each source's own scheme when None.
        scene_size, scenes: Side and number of the generated training scenes (half as many,
            at least one, are held out for validation).
        patch_size: Patch side (generated, rasters, dream).
        train_length: Training patches per epoch (generated, rasters); for the file
            layouts, the most patches kept (a seeded subset).
        val_length: Validation patches (generated, rasters).
    """

    def __init__(
        self,
        source: ClassificationSource = "generated",
        root: str | Path | None = None,
        *,
        s1: str | Path | None = None,
        s2: str | Path | None = None,
        labels: str | Path | None = None,
        classes: tuple[str, ...] | None = None,
        seasons: tuple[str, ...] | None = ("winter",),
        scene_size: int = 384,
        scenes: int = 1,
        patch_size: int = 32,
        train_length: int = 1024,
        val_length: int = 256,
        batch_size: int = 32,
        seed: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        self.source, self.root = source, root
        self.paths = (s1, s2, labels)
        self.seasons, self.scene_size, self.patch_size = seasons, scene_size, patch_size
        self.scenes = scenes
        self.lengths = (train_length, val_length)
        self.class_names: tuple[str, ...] = self._class_names(classes)

    def _class_names(self, classes: tuple[str, ...] | None) -> tuple[str, ...]:
        own = {
            "generated": GENERATED_CLASSES, "rasters": GENERATED_CLASSES, "dream": OSM_CLASSES,
            "sen12ms": DFC_NINE, "bigearthnet": tuple(BIGEARTHNET19),
        }[self.source]  # fmt: skip
        if classes and self.source in ("generated", "dream", "bigearthnet"):
            raise ConfigError(f"data.classes cannot be chosen for source {self.source}")
        return tuple(classes) if classes else own

    def build(self) -> tuple[Dataset[Any], Dataset[Any]]:
        train, val = self.aligned()
        return UnpairedModalities(train, self.seed), val

    def aligned(self) -> tuple[Dataset[Any], Dataset[Any]]:
        """(training, validation) datasets of aligned samples."""
        n, m = self.lengths
        size, seed = self.patch_size, self.seed
        codes = range(1, len(self.class_names) + 1)
        if self.source in ("generated", "rasters"):
            (opt, sar, lab), (vopt, vsar, vlab) = self._arrays()
            make = LabelledPatches
            return (
                make(opt, sar, lab, classes=codes, size=size, length=n, seed=seed, augment=True),
                make(vopt, vsar, vlab, classes=codes, size=size, length=m, seed=seed + 1),
            )
        if not self.root:
            raise ConfigError(f"data source {self.source} needs data.root: its folder")
        if self.source == "dream":
            train = dream_patches(self.root, "train", size=size, per_tile=8, seed=seed)
            val = dream_patches(self.root, "val", size=size, per_tile=8, seed=seed + 1)
            return random_subset(train, n, seed), val
        if self.source == "sen12ms":
            full: Dataset[Any] = sen12ms_patches(self.root, self.class_names, self.seasons)
        else:
            full = bigearthnet_patches(self.root)
        size_all = len(full)  # type: ignore[arg-type]
        train_idx = [i for i in range(size_all) if i % 10]
        if not train_idx:
            raise ConfigError(f"too few patches under {self.root} to hold every tenth out")
        return random_subset(Subset(full, train_idx), n, seed), Subset(full, range(0, size_all, 10))

    def _arrays(self) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        if self.source == "generated":  # scenes side by side: one wide mosaic
            n = self.scene_size

            def mosaic(seeds: range) -> tuple[np.ndarray, ...]:
                scenes = [generate_scene(height=n, width=n, seed=s, dates=1) for s in seeds]
                layers = [(s.optical, s.sar[0], s.landcover) for s in scenes]
                return tuple(np.concatenate(x, axis=-1) for x in zip(*layers, strict=True))

            first = self.seed * self.scenes
            return mosaic(range(first, first + self.scenes)), mosaic(
                range(first + VAL_SEED, first + VAL_SEED + max(1, self.scenes // 2))
            )
        return labelled_rasters(self.paths, self.patch_size)
