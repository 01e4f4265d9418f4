"""Urban (built-up) masks with co-registered Sentinel-1 and Sentinel-2 patches.

Every source gives samples ``{"sar", "optical", "label", "valid"}``: SAR and optical in the
network range [0, 1], ``label`` 1 where built-up, ``valid`` 0 where the label is nodata
(each (C or 1, H, W)). Sources:

* generated scenes: building footprints burnt onto the scene's grid, every pixel a
  footprint touches built-up (as SEN12 GUM's labels count any building in a 10 m pixel);
* ``rasters``: an S1, an S2 and a label GeoTIFF on one grid, labels 0, 1 or nodata;
* a DREAM database built by ``saropt db build``: its OSM building layer;
* the SEN12 Global Urban Mapping layout (Hafner et al. 2022) read by :class:`SEN12GUM`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from saropt.datasets.common import InMemoryPairs, Sample, partner, require, tensor
from saropt.datasets.dream import DreamDataset
from saropt.datasets.samplers import grid_patches, random_patches
from saropt.errors import ConfigError, InvalidValueError
from saropt.io.raster import read_raster
from saropt.io.sentinel import S2_BANDS, band_indices, normalize_s1, normalize_s2

#: Optical bands of the paper (10 m bands B2, B3, B4, B8).
URBAN_OPTICAL_BANDS: tuple[str, ...] = ("B02", "B03", "B04", "B08")
#: Sentinel-2 bands of SEN12 GUM files, in file order (saropt's names).
GUM_S2_BANDS: tuple[str, ...] = ("B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A",
                                 "B11", "B12")  # fmt: skip
#: Label value of nodata pixels in label arrays.
NODATA_LABEL = 255


def check_labels(labels: np.ndarray, nodata: float | None, name: str) -> np.ndarray:
    """Labels as uint8 0/1 with :data:`NODATA_LABEL` where nodata.

    Raises:
        InvalidValueError: A value other than 0, 1 or the nodata value.
    """
    values = np.unique(labels)
    allowed = {0.0, 1.0} | ({float(nodata)} if nodata is not None else set())
    bad = [v for v in values.tolist() if float(v) not in allowed]
    if bad:
        shown = ", ".join(str(v) for v in bad[:5])
        raise InvalidValueError(
            f"label raster '{name}' holds {shown}{' ...' if len(bad) > 5 else ''}; urban labels "
            "must be 0 (not built-up), 1 (built-up) or the raster's nodata value"
        )
    out = (labels == 1).astype(np.uint8)
    if nodata is not None:
        out[labels == nodata] = NODATA_LABEL
    return out


def flip_rotate(arrays: Sequence[np.ndarray], g: torch.Generator) -> list[np.ndarray]:
    """The same random flips (left-right, up-down) and k x 90 degree rotation of (C, H, W)
    arrays."""
    flips = (torch.rand(2, generator=g) < 0.5).tolist()
    k = int(torch.randint(0, 4, (1,), generator=g))
    out = []
    for a in arrays:
        if flips[0]:
            a = a[:, :, ::-1]
        if flips[1]:
            a = a[:, ::-1, :]
        out.append(np.rot90(a, k, axes=(1, 2)))
    return out


def _sample(sar: np.ndarray, opt: np.ndarray, lab: np.ndarray) -> Sample:
    """A sample from (S, h, w) SAR, (C, h, w) optical in [0, 1] and (1, h, w) labels."""
    return {
        "sar": tensor(sar), "optical": tensor(opt),
        "label": tensor(lab == 1), "valid": tensor(lab != NODATA_LABEL),
    }  # fmt: skip


class UrbanPatches(InMemoryPairs):
    """Patches of a co-registered S2/S1/urban-label triple held in memory.

    Args:
        optical: Sentinel-2 digital numbers (C, H, W) of the bands used.
        sar: Sentinel-1 dB (2, H, W).
        labels: 0/1 with :data:`NODATA_LABEL` (H, W).
        size: Patch side.
        length: Random patches per epoch; None: every patch of a grid (validation; the
            arrays are cropped to whole patches so no pixel counts twice).
        seed: Seed of positions and augmentation.
        augment: Random flips and 90-degree rotations (training).
        positive_share: Share of random patches redrawn (up to 20 times) until they hold a
            built-up pixel: built-up land is rare, as in any real scene.
    """

    def __init__(
        self, optical: np.ndarray, sar: np.ndarray, labels: np.ndarray, *, size: int,
        length: int | None, seed: int, augment: bool = False, positive_share: float = 0.5,
    ) -> None:  # fmt: skip
        h, w = labels.shape
        if min(h, w) < size:
            raise ConfigError(f"patch of {size} px does not fit an image of {h}x{w}")
        self.windows = None if length else grid_patches(h - h % size, w - w % size, size)
        super().__init__(optical, sar, length=length or len(self.windows or []), seed=seed)
        if labels.shape != optical.shape[1:]:
            raise ConfigError(f"labels {labels.shape} and images {optical.shape[1:]} differ")
        self.norm_optical = normalize_s2(optical.astype(np.float32))
        self.norm_sar = normalize_s1(sar.astype(np.float32))
        self.labels, self.size = labels, size
        self.augment, self.positive_share = augment, positive_share

    def __getitem__(self, i: int) -> Sample:
        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} of {len(self)}")
        g = self.generator(i)
        if self.windows is not None:
            win = self.windows[i]
        else:
            h, w = self.labels.shape
            want = float(torch.rand(1, generator=g)) < self.positive_share
            for _ in range(20):
                win = random_patches(h, w, self.size, 1, g)[0]
                if not want or (self.labels[win.slices()] == 1).any():
                    break
        rows, cols = win.slices()
        arrays = [self.norm_sar[:, rows, cols], self.norm_optical[:, rows, cols],
                  self.labels[None, rows, cols]]  # fmt: skip
        if self.augment:
            arrays = flip_rotate(arrays, g)
        return _sample(*arrays)


class DreamUrban(Dataset[Sample]):
    """Patches of a ``saropt db build`` database labelled by its OSM building layer."""

    def __init__(
        self, root: str | Path, split: str, *, size: int, per_tile: int, seed: int,
        optical_bands: Sequence[str] = URBAN_OPTICAL_BANDS, augment: bool = False,
    ) -> None:  # fmt: skip
        self.base = DreamDataset(
            root, split=split, modalities=("s1", "s2", "osm_layers"),  # type: ignore[arg-type]
            patch_size=size, patches_per_tile=per_tile, seed=seed,
        )  # fmt: skip
        self.bands = band_indices(optical_bands)
        self.seed, self.augment = seed, augment

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> Sample:
        s = self.base[i]
        optical = s["optical"].numpy()
        if len(optical) != len(S2_BANDS):
            raise ConfigError(f"database Sentinel-2 tiles have {len(optical)} bands; "
                              f"expected the {len(S2_BANDS)} of {S2_BANDS}")  # fmt: skip
        arrays = [s["sar"].numpy(), optical[self.bands],
                  s["osm"].numpy()[:1].astype(np.uint8)]  # fmt: skip
        if self.augment:
            arrays = flip_rotate(arrays, torch.Generator().manual_seed(self.seed * 7919 + i))
        return _sample(*arrays)


class SEN12GUM(Dataset[Sample]):
    """The SEN12 Global Urban Mapping layout (Hafner, Ban and Nascetti 2022).

    Layout: ``root/<site>/samples.json`` (``{"samples": [{"site", "patch_id"}, ...]}``),
    ``root/<site>/sentinel1/sentinel1_<site>_<patch_id>.tif`` (mean VV, VH),
    ``root/<site>/sentinel2/sentinel2_<site>_<patch_id>.tif`` (median of the ten bands of
    :data:`GUM_S2_BANDS`) and ``root/<site>/buildings/buildings_<site>_<patch_id>.tif``
    (built-up where > 0). The images are stored in the network range [0, 1] (the
    authors' loader feeds them unchanged), so they are only cleared of NaN here.

    Args:
        root: Dataset folder.
        sites: Sites to read; every folder with a ``samples.json`` when None.
        optical_bands: Sentinel-2 bands to keep, saropt's names.
        augment: Random flips and rotations, seeded by ``seed`` and the index.
    """

    LAYOUT = "<root>/<site>/{samples.json, sentinel1/, sentinel2/, buildings/}"

    def __init__(
        self, root: str | Path, sites: Sequence[str] | None = None, *,
        optical_bands: Sequence[str] = URBAN_OPTICAL_BANDS, augment: bool = False, seed: int = 0,
    ) -> None:  # fmt: skip
        self.root = Path(root)
        found = sorted(p.parent.name for p in self.root.glob("*/samples.json"))
        require([self.root / s for s in found], self.root, "SEN12 GUM sites", self.LAYOUT)
        chosen = list(sites) if sites else found
        missing = [s for s in chosen if s not in found]
        if missing:
            raise ConfigError(f"sites {missing} are not under '{self.root}'; found {found}")
        self.samples: list[tuple[str, str]] = []
        for site in chosen:
            meta = json.loads((self.root / site / "samples.json").read_text())
            self.samples += [(site, str(s["patch_id"])) for s in meta["samples"]]
        self.bands = band_indices(optical_bands, GUM_S2_BANDS)
        self.augment, self.seed = augment, seed

    def __len__(self) -> int:
        return len(self.samples)

    def _path(self, site: str, patch: str, kind: str) -> Path:
        p = self.root / site / kind / f"{kind}_{site}_{patch}.tif"
        return partner(self.root / site / "samples.json", p)

    def __getitem__(self, i: int) -> Sample:
        site, patch = self.samples[i]
        sar = read_raster(self._path(site, patch, "sentinel1"), expect_bands=2).data
        opt = read_raster(self._path(site, patch, "sentinel2"), expect_bands=len(GUM_S2_BANDS))
        lab = read_raster(self._path(site, patch, "buildings"), expect_bands=1).data
        arrays = [np.nan_to_num(sar.astype(np.float32)),
                  np.nan_to_num(opt.data[self.bands].astype(np.float32)),
                  (np.nan_to_num(lab) > 0).astype(np.uint8)]  # fmt: skip
        if self.augment:
            arrays = flip_rotate(arrays, torch.Generator().manual_seed(self.seed * 7919 + i))
        return _sample(*arrays)
