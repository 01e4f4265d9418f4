"""Transform objects that act on saropt sample dicts (see ARCHITECTURE.md, data model)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from saropt.transforms.functional import add_clouds

Sample = dict[str, Any]


class SyntheticClouds:
    """Cloud a sample's clear ``optical`` image on the fly.

    Sets ``cloudy`` (the clouded image), ``mask`` (bool cloud mask) and ``target`` (the
    clear image) and leaves ``optical`` as it was. Coverage is drawn uniformly from
    ``coverage`` (a range) for each call.

    Args:
        coverage: (low, high) range of cloud coverage, or one value.
        haze: Largest haze opacity at 443 nm.
        bands: Sentinel-2 band names of the optical bands.
        scale: Digital number of reflectance 1.0 (see :func:`add_clouds`).
        seed: Seed of the transform's own generator, used when a call passes none.
    """

    def __init__(
        self,
        coverage: float | tuple[float, float] = (0.1, 0.6),
        *,
        haze: float = 0.15,
        bands: Sequence[str] | None = None,
        scale: float | None = None,
        seed: int = 0,
    ) -> None:
        self.coverage = (coverage, coverage) if isinstance(coverage, float | int) else coverage
        self.haze = haze
        self.bands = bands
        self.scale = scale
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, sample: Sample, generator: torch.Generator | None = None) -> Sample:
        """Return a new sample dict with ``cloudy``, ``mask`` and ``target`` added."""
        g = generator if generator is not None else self.generator
        lo, hi = self.coverage
        cov = lo + (hi - lo) * float(torch.rand((), generator=g))
        clear = sample["optical"]
        cloudy, mask = add_clouds(clear, cov, g, haze=self.haze, bands=self.bands, scale=self.scale)
        return {**sample, "cloudy": cloudy, "mask": mask, "target": clear}
