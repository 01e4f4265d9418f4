"""BigEarthNet-MM as a torch Dataset: co-registered S1/S2 patches with multi-labels.

Sumbul et al., "BigEarthNet-MM: A large-scale multimodal multilabel benchmark archive for
remote sensing image classification and retrieval", IEEE GRSM 2021.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch.utils.data import Dataset

from saropt.datasets.common import Sample, geo, require, tensor
from saropt.io.bigearthnet import find_bigearthnet_pairs, read_bigearthnet_pair
from saropt.io.sentinel import normalize_s1, normalize_s2


class BigEarthNetMM(Dataset[Sample]):
    """BigEarthNet-MM pairs: ``sar`` (2, 120, 120), ``optical`` (12, 120, 120) on the 10 m
    grid, ``label`` multi-hot over ``classes``.

    Args:
        root: Folder holding the S1 and S2 patch folders (any depth).
        classes: CORINE label names in label order; the sorted labels found when None.
        normalize: Map S1 and S2 to [0, 1] with saropt's sensor conventions.
    """

    def __init__(
        self, root: str | Path, *, classes: Sequence[str] | None = None, normalize: bool = True
    ) -> None:
        self.root = Path(root)
        layout = "<S1 patch>/<S1 patch>_VV.tif ... and <S2 patch>/<S2 patch>_B02.tif ..."
        pairs = find_bigearthnet_pairs(self.root)
        self.pairs = require([s1 for s1, _ in pairs], self.root, "BigEarthNet-MM pairs", layout)
        self._s2 = dict(pairs)
        self.normalize = normalize
        if classes is None:
            found: set[str] = set()
            for s1 in self.pairs:
                found.update(read_bigearthnet_pair(s1, self._s2[s1]).labels)
            classes = sorted(found)
        self.classes = tuple(classes)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> Sample:
        pair = read_bigearthnet_pair(self.pairs[i], self._s2[self.pairs[i]])
        sar, opt = pair.sar.data, pair.optical.data.astype("float32")
        if self.normalize:
            sar, opt = normalize_s1(sar), normalize_s2(opt)
        label = torch.zeros(len(self.classes))
        for name in pair.labels:
            if name in self.classes:
                label[self.classes.index(name)] = 1.0
        return {
            "sar": tensor(sar),
            "optical": tensor(opt),
            "label": label,
            "id": pair.s1_name,
            **geo(pair.sar),
        }
