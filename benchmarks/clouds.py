"""Speed of synthetic clouds and haze on a 1024 x 1024 x 13 uint16 image.

Prints the median time of `add_clouds` and two ratios measured in the same process:
against touching every value once (a float32 copy: the floor for any per-band operation),
and against a per-pixel Python loop of one Perlin octave (what vectorisation avoids).

    python benchmarks/clouds.py [--size 1024] [--repeats 5]
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import median_time

from saropt.synth.noise import perlin
from saropt.transforms import add_clouds


def perlin_loop(shape: tuple[int, int], cells: tuple[int, int], seed: int) -> np.ndarray:
    """One Perlin octave, one pixel at a time (the baseline)."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(0.0, 2.0 * np.pi, size=(cells[0] + 1, cells[1] + 1))
    h, w = shape
    out = np.empty(shape, np.float32)
    for r in range(h):
        for c in range(w):
            y, x = (r + 0.5) * cells[0] / h, (c + 0.5) * cells[1] / w
            iy, ix = int(y), int(x)
            fy, fx = y - iy, x - ix
            d = [
                np.cos(angles[iy + oy, ix + ox]) * (fx - ox)
                + np.sin(angles[iy + oy, ix + ox]) * (fy - oy)
                for oy in (0, 1)
                for ox in (0, 1)
            ]
            u = fx**3 * (fx * (fx * 6 - 15) + 10)
            v = fy**3 * (fy * (fy * 6 - 15) + 10)
            top, bottom = d[0] + u * (d[1] - d[0]), d[2] + u * (d[3] - d[2])
            out[r, c] = top + v * (bottom - top)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    n = args.size
    rng = np.random.default_rng(0)
    image = rng.integers(100, 4000, size=(13, n, n)).astype(np.uint16)

    t_clouds = median_time(lambda: add_clouds(image, 0.3, 0), args.repeats)
    t_copy = median_time(lambda: image.astype(np.float32), args.repeats)
    small = (128, 128)
    t_vec = median_time(lambda: perlin(small, (4, 4), 0), args.repeats)
    t_loop = median_time(lambda: perlin_loop(small, (4, 4), 0), 1)

    print(f"add_clouds {n}x{n}x13 uint16: {t_clouds:.3f} s (median of {args.repeats})")
    print(f"  vs one float32 copy of the image ({t_copy:.3f} s): {t_clouds / t_copy:.1f}x")
    print(
        f"perlin octave 128x128: vectorised {t_vec * 1e3:.2f} ms, per-pixel loop "
        f"{t_loop * 1e3:.0f} ms: {t_loop / t_vec:.0f}x faster"
    )


if __name__ == "__main__":
    main()
