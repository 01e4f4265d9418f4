"""Cloud-removal training samples: clear optical + SAR patches, clouded on the fly.

Each sample is a random patch of a co-registered clear optical image and SAR image, with
Perlin clouds and haze (:func:`saropt.transforms.add_clouds`) or a given cloud-probability
map applied to the optical patch. Sample ``i`` is the same for the same seed (patch and
clouds both come from a generator seeded by ``seed`` and ``i``). Values are in the
generator's range [-1, 1] (``normalize_*(..., symmetric=True)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from saropt.datasets.common import InMemoryPairs, Sample, tensor
from saropt.datasets.samplers import random_patches
from saropt.io.sentinel import normalize_s1, normalize_s2
from saropt.transforms import add_clouds, apply_cloud_probability


class SyntheticCloudDataset(InMemoryPairs):
    """Patches of clear S2 (+ S1) with synthetic or real-probability clouds.

    Args:
        optical: Clear Sentinel-2 digital numbers (x10000), (C, H, W).
        sar: Sentinel-1 dB, (S, H, W) on the same grid, or None.
        patch_size: Patch side.
        length: Samples per epoch.
        coverage: Range of cloud coverage drawn per sample.
        bands: Sentinel-2 names of the optical bands (for the cloud spectrum).
        probabilities: Optional real cloud-probability maps (K, H', W') in [0, 1]; when
            given, each sample uses one of them (resized to the image) instead of Perlin
            clouds, on the same patch.
        seed: Seed; sample ``i`` depends only on ``seed`` and ``i``.

    Sample keys: ``cloudy``, ``target`` (C, P, P), ``sar`` (S, P, P) when SAR is given,
    ``mask`` (P, P) bool cloud mask.
    """

    def __init__(
        self,
        optical: np.ndarray,
        sar: np.ndarray | None,
        *,
        patch_size: int = 128,
        length: int = 256,
        coverage: tuple[float, float] = (0.2, 0.6),
        bands: Sequence[str] | None = None,
        probabilities: np.ndarray | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(optical, sar, length=length, seed=seed)
        self.patch_size = patch_size
        self.coverage = coverage
        self.bands = bands
        self.probabilities = probabilities

    def __getitem__(self, i: int) -> Sample:
        g = self.generator(i)
        h, w = self.optical.shape[1:]
        win = random_patches(h, w, self.patch_size, 1, g)[0]
        rows, cols = win.slices()
        clear = self.optical[:, rows, cols]
        if self.probabilities is not None:
            k = int(torch.randint(0, len(self.probabilities), (1,), generator=g))
            prob = self.probabilities[k]
            if prob.shape != self.optical.shape[1:]:
                t = torch.from_numpy(prob.astype(np.float32))[None, None]
                prob = torch.nn.functional.interpolate(
                    t, size=(h, w), mode="bilinear", align_corners=False
                )[0, 0].numpy()
            cloudy, mask = apply_cloud_probability(clear, prob[rows, cols], bands=self.bands)
        else:
            lo, hi = self.coverage
            cov = lo + (hi - lo) * float(torch.rand((), generator=g))
            cloudy, mask = add_clouds(clear, cov, g, bands=self.bands)
        sample: Sample = {
            "cloudy": tensor(normalize_s2(cloudy, symmetric=True)),
            "target": tensor(normalize_s2(clear, symmetric=True)),
            "mask": torch.from_numpy(np.ascontiguousarray(mask)),
        }
        if self.sar is not None:
            sample["sar"] = tensor(normalize_s1(self.sar[:, rows, cols], symmetric=True))
        return sample
