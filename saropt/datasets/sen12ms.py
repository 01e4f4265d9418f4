"""SEN12MS and SEN12MS-CR readers, on the layouts their archives unpack to.

* SEN12MS (Schmitt et al., "SEN12MS - a curated dataset of georeferenced multi-spectral
  Sentinel-1/2 imagery for deep learning and data fusion", ISPRS Annals 2019):
  ``ROIs1158_spring/s1_1/ROIs1158_spring_s1_1_p30.tif`` with partners in ``s2_1/`` and
  ``lc_1/`` (``_s2_``, ``_lc_`` in the name). S1: VV, VH dB; S2: 13 bands uint16; LC: four
  land-cover schemes, the first IGBP (1-17).
* SEN12MS-CR (Ebel et al., "Multisensor data fusion for cloud removal in global and
  all-season Sentinel-2 imagery", IEEE TGRS 2021): ``ROIs1158_spring_s1/s1_1/...s1_1_p30.tif``,
  ``ROIs1158_spring_s2/s2_1/...s2_1_p30.tif`` (cloud-free) and
  ``ROIs1158_spring_s2_cloudy/s2_cloudy_1/...s2_cloudy_1_p30.tif``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from saropt.datasets.common import Sample, geo, partner, require, tensor
from saropt.errors import ConfigError
from saropt.io.raster import read_raster
from saropt.io.sentinel import S2_QUANTIFICATION, normalize_s1, normalize_s2

#: The seasons of SEN12MS, as its ROI folders end (``ROIs1158_spring``, ``ROIs2017_winter``).
SEASONS: tuple[str, ...] = ("spring", "summer", "fall", "winter")


class SEN12MS(Dataset[Sample]):
    """SEN12MS triplets: ``sar`` (2, 256, 256), ``optical`` (13, ...), ``label`` (IGBP).

    Args:
        root: Folder holding the ``ROIs*_<season>`` folders.
        normalize: Map S1 and S2 to [0, 1] with saropt's sensor conventions; else raw dB
            and digital numbers as float32.
        seasons: Keep only these seasons' folders (``ROIs2017_winter`` is "winter"); every
            season when None.
    """

    layout = "ROIs*_<season>/s1_<scene>/ROIs*_<season>_s1_<scene>_p<n>.tif (+ s2_, lc_)"

    def __init__(
        self,
        root: str | Path,
        *,
        normalize: bool = True,
        seasons: Sequence[str] | None = None,
    ) -> None:
        self.root = Path(root)
        found = sorted(self.root.glob("ROIs*_*/s1_*/*_s1_*_p*.tif"))
        if seasons is not None:
            unknown = set(seasons) - set(SEASONS)
            if unknown:
                raise ConfigError(f"unknown seasons {sorted(unknown)}; choose from {SEASONS}")
            found = [p for p in found if p.parent.parent.name.rsplit("_", 1)[-1] in seasons]
        what = f"SEN12MS S1 patches ({', '.join(seasons)})" if seasons else "SEN12MS S1 patches"
        self.s1 = require(found, self.root, what, self.layout)
        self.normalize = normalize

    def __len__(self) -> int:
        return len(self.s1)

    def _partner(self, path: Path, kind: str) -> Path:
        folder = path.parent.parent / path.parent.name.replace("s1_", f"{kind}_", 1)
        return partner(path, folder / path.name.replace("_s1_", f"_{kind}_"))

    def __getitem__(self, i: int) -> Sample:
        s1 = read_raster(self.s1[i], expect_bands=2)
        s2 = read_raster(self._partner(self.s1[i], "s2"))
        lc = read_raster(self._partner(self.s1[i], "lc"))
        sar, opt = s1.data.astype("float32"), s2.data.astype("float32")
        if self.normalize:
            sar, opt = normalize_s1(sar), normalize_s2(opt)
        return {
            "sar": tensor(sar),
            "optical": tensor(opt),
            "label": tensor(lc.data[0], torch.long),
            "id": self.s1[i].stem.replace("_s1_", "_"),
            **geo(s1),
        }


class SEN12MSCR(Dataset[Sample]):
    """SEN12MS-CR triplets: ``sar``, ``cloudy`` and cloud-free ``target`` (13 bands), and a
    ``mask`` of the pixels where cloudy and clear differ by more than ``mask_threshold``
    reflectance on average over the bands (SEN12MS-CR ships no cloud masks).

    Args:
        root: Folder holding the ``ROIs*_<season>_s1|s2|s2_cloudy`` folders.
        normalize: As in :class:`SEN12MS`.
        symmetric: With ``normalize``, map to [-1, 1] (the cGAN's range) instead of [0, 1].
        mask_threshold: Mean absolute reflectance difference that makes a pixel cloudy.
    """

    layout = (
        "ROIs*_<season>_s1/s1_<scene>/..._s1_<scene>_p<n>.tif, ..._s2/s2_<scene>/, "
        "..._s2_cloudy/s2_cloudy_<scene>/"
    )

    def __init__(
        self,
        root: str | Path,
        *,
        normalize: bool = True,
        symmetric: bool = False,
        mask_threshold: float = 0.03,
    ) -> None:
        self.root = Path(root)
        found = sorted(self.root.glob("ROIs*_s1/s1_*/*_s1_*_p*.tif"))
        self.s1 = require(found, self.root, "SEN12MS-CR S1 patches", self.layout)
        self.normalize = normalize
        self.symmetric = symmetric
        self.mask_threshold = mask_threshold

    def __len__(self) -> int:
        return len(self.s1)

    def _partner(self, path: Path, kind: str) -> Path:
        roi = path.parent.parent.name.removesuffix("_s1") + f"_{kind}"
        scene = path.parent.name.replace("s1_", f"{kind}_", 1)
        return partner(path, self.root / roi / scene / path.name.replace("_s1_", f"_{kind}_"))

    def __getitem__(self, i: int) -> Sample:
        s1 = read_raster(self.s1[i], expect_bands=2)
        clear = read_raster(self._partner(self.s1[i], "s2"))
        cloudy = read_raster(self._partner(self.s1[i], "s2_cloudy"))
        sar = s1.data.astype("float32")
        tgt, cld = clear.data.astype("float32"), cloudy.data.astype("float32")
        mask = np.abs(cld - tgt).mean(axis=0) > self.mask_threshold * S2_QUANTIFICATION
        if self.normalize:
            sym = self.symmetric
            sar = normalize_s1(sar, symmetric=sym)
            tgt, cld = normalize_s2(tgt, symmetric=sym), normalize_s2(cld, symmetric=sym)
        return {
            "sar": tensor(sar),
            "cloudy": tensor(cld),
            "target": tensor(tgt),
            "mask": torch.from_numpy(mask),
            "id": self.s1[i].stem.replace("_s1_", "_"),
            **geo(s1),
        }
