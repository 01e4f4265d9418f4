"""Vectorised gradient (Perlin) noise and its fractal sum.

Used for generated terrain and land cover (:mod:`saropt.synth.scene`) and for synthetic
clouds and haze (:mod:`saropt.transforms`). No per-pixel Python loop: each octave is a few
whole-array numpy operations.

Reference: K. Perlin, "Improving noise", SIGGRAPH 2002 (quintic fade curve).
"""

from __future__ import annotations

import numpy as np

from saropt.seeding import Seed, numpy_rng


def _fade(t: np.ndarray) -> np.ndarray:
    return t * t * t * (t * (t * 6.0 - 15.0) + 10.0)


def perlin(shape: tuple[int, int], cells: tuple[int, int], seed: Seed) -> np.ndarray:
    """One octave of 2-D gradient noise.

    Args:
        shape: (height, width) of the output.
        cells: Number of lattice cells along (rows, columns): the noise has about this many
            features across the image.
        seed: Seed or generator.

    Returns:
        float32 noise with values in about [-0.7, 0.7] and zero mean.

    Shape:
        (H, W).
    """
    rng = numpy_rng(seed)
    h, w = shape
    cy, cx = max(1, int(cells[0])), max(1, int(cells[1]))
    angles = rng.uniform(0.0, 2.0 * np.pi, size=(cy + 1, cx + 1))
    gy, gx = np.sin(angles).astype(np.float32), np.cos(angles).astype(np.float32)
    y = (np.arange(h, dtype=np.float32) + 0.5) * (cy / h)
    x = (np.arange(w, dtype=np.float32) + 0.5) * (cx / w)
    iy, ix = y.astype(np.int64), x.astype(np.int64)
    fy, fx = (y - iy)[:, None], (x - ix)[None, :]
    u, v = _fade(fx), _fade(fy)
    # The dot product with a corner's gradient is gx * (fx - ox) + gy * (fy - oy). Its x part
    # and y part are interpolated along x on the (cy + 1) lattice rows only, then whole rows
    # are gathered for every pixel row: two small arrays, four row gathers per octave.
    gx0, gx1 = gx[:, ix], gx[:, ix + 1]
    gy0, gy1 = gy[:, ix], gy[:, ix + 1]
    ax = gx0 * fx + u * (gx1 * (fx - 1.0) - gx0 * fx)  # (cy + 1, W)
    by = gy0 + u * (gy1 - gy0)  # (cy + 1, W)
    top = ax[iy] + by[iy] * fy
    bottom = ax[iy + 1] + by[iy + 1] * (fy - 1.0)
    out: np.ndarray = (top + v * (bottom - top)).astype(np.float32, copy=False)
    return out


def fractal_noise(
    shape: tuple[int, int],
    cells: int | tuple[int, int] = 4,
    seed: Seed = 0,
    *,
    octaves: int = 5,
    persistence: float = 0.5,
    lacunarity: float = 2.0,
) -> np.ndarray:
    """Fractal (fBm) sum of Perlin octaves, standardised to zero mean and unit variance.

    Args:
        shape: (height, width).
        cells: Lattice cells of the coarsest octave (an int for square cells).
        seed: Seed or generator.
        octaves: Number of octaves; octaves finer than 2 pixels per cell are dropped.
        persistence: Amplitude ratio between successive octaves.
        lacunarity: Frequency ratio between successive octaves.

    Returns:
        float32 noise, mean 0 and standard deviation 1.

    Shape:
        (H, W).
    """
    rng = numpy_rng(seed)
    if isinstance(cells, int):
        base = (cells, max(1, round(cells * shape[1] / shape[0])))
    else:
        base = cells
    total = np.zeros(shape, np.float32)
    amplitude = 1.0
    for o in range(octaves):
        c = (round(base[0] * lacunarity**o), round(base[1] * lacunarity**o))
        if o > 0 and (c[0] > shape[0] / 2 or c[1] > shape[1] / 2):
            break
        total += np.float32(amplitude) * perlin(shape, c, rng)
        amplitude *= persistence
    std = float(total.std())
    total -= total.mean()
    if std > 0:
        total /= std
    return total
