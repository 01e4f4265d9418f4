"""Co-registered optical/SAR arrays of a generated scene, the input of every training run."""

from __future__ import annotations

import numpy as np

from saropt.io.sentinel import S2_BANDS
from saropt.synth.scene import generate_scene


def generated_pair(
    size: int, seed: int, bands: tuple[str, ...] = S2_BANDS
) -> tuple[np.ndarray, np.ndarray]:
    """Optical (the named bands) and first-date SAR of a square generated scene.

    Shape:
        returns (len(bands), size, size) uint16 digital numbers and (2, size, size)
        float32 dB.
    """
    scene = generate_scene(height=size, width=size, seed=seed, dates=1)
    return scene.optical[[S2_BANDS.index(b) for b in bands]], scene.sar[0]
