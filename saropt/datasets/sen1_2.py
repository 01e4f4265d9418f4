"""SEN1-2 reader: 8-bit PNG pairs of Sentinel-1 and Sentinel-2 by season and ROI.

Schmitt, Hughes and Zhu, "The SEN1-2 dataset for deep learning in SAR-optical data
fusion", ISPRS Annals 2018: ``ROIs1158_spring/s1_1/ROIs1158_spring_s1_1_p1.png`` (VV, grey)
with ``s2_1/ROIs1158_spring_s2_1_p1.png`` (RGB), 256 x 256, no georeference.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from torch.utils.data import Dataset

from saropt.datasets.common import Sample, partner, require, tensor
from saropt.io.raster import read_raster


class SEN12Pairs(Dataset[Sample]):
    """SEN1-2 pairs: ``sar`` (1, 256, 256) and ``optical`` (3, 256, 256) in [0, 1].

    Args:
        root: Folder holding the ``ROIs*_<season>`` folders.
        seasons: Keep only these seasons (e.g. ``("summer",)``); all when None.
    """

    layout = "ROIs*_<season>/s1_<scene>/ROIs*_<season>_s1_<scene>_p<n>.png (+ s2_<scene>/)"

    def __init__(self, root: str | Path, *, seasons: tuple[str, ...] | None = None) -> None:
        self.root = Path(root)
        found = sorted(self.root.glob("ROIs*_*/s1_*/*_s1_*_p*.png"))
        if seasons:
            found = [p for p in found if p.parent.parent.name.split("_")[-1] in seasons]
        self.s1 = require(found, self.root, "SEN1-2 S1 PNGs", self.layout)

    def __len__(self) -> int:
        return len(self.s1)

    def __getitem__(self, i: int) -> Sample:
        path = self.s1[i]
        s2_path = partner(
            path,
            path.parent.parent
            / path.parent.name.replace("s1_", "s2_", 1)
            / path.name.replace("_s1_", "_s2_"),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PNGs carry no georeference, as published
            sar = read_raster(path).data[:1].astype("float32") / 255.0
            opt = read_raster(s2_path).data[:3].astype("float32") / 255.0
        return {
            "sar": tensor(sar),
            "optical": tensor(opt),
            "id": path.stem.replace("_s1_", "_"),
            "season": path.parent.parent.name.split("_")[-1],
        }
