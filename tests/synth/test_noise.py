"""saropt.synth.noise against a per-pixel reference implementation."""

from __future__ import annotations

import numpy as np

from saropt.synth.noise import fractal_noise, perlin


def _reference_perlin(shape: tuple[int, int], cells: tuple[int, int], seed: int) -> np.ndarray:
    """Textbook per-pixel Perlin noise with the same lattice draws (slow; tests only)."""
    rng = np.random.default_rng(seed)
    cy, cx = cells
    angles = rng.uniform(0.0, 2.0 * np.pi, size=(cy + 1, cx + 1))
    h, w = shape
    out = np.zeros(shape)

    def fade(t: float) -> float:
        return t * t * t * (t * (t * 6 - 15) + 10)

    for r in range(h):
        for c in range(w):
            y, x = (r + 0.5) * cy / h, (c + 0.5) * cx / w
            iy, ix = int(y), int(x)
            fy, fx = y - iy, x - ix
            dots = {}
            for oy in (0, 1):
                for ox in (0, 1):
                    a = angles[iy + oy, ix + ox]
                    dots[oy, ox] = np.cos(a) * (fx - ox) + np.sin(a) * (fy - oy)
            u, v = fade(fx), fade(fy)
            top = dots[0, 0] + u * (dots[0, 1] - dots[0, 0])
            bottom = dots[1, 0] + u * (dots[1, 1] - dots[1, 0])
            out[r, c] = top + v * (bottom - top)
    return out


class TestPerlin:
    def test_matches_reference(self) -> None:
        fast = perlin((23, 31), (3, 4), 7)
        np.testing.assert_allclose(fast, _reference_perlin((23, 31), (3, 4), 7), atol=1e-5)

    def test_bounded_and_seeded(self) -> None:
        a = perlin((64, 64), (4, 4), 1)
        assert np.abs(a).max() < 1.0
        np.testing.assert_array_equal(a, perlin((64, 64), (4, 4), 1))
        assert not np.array_equal(a, perlin((64, 64), (4, 4), 2))


class TestFractalNoise:
    def test_standardised(self) -> None:
        n = fractal_noise((128, 96), 4, 0)
        assert n.dtype == np.float32 and n.shape == (128, 96)
        assert abs(float(n.mean())) < 1e-5 and float(n.std()) == np.float32(1.0)

    def test_more_cells_more_detail(self) -> None:
        def roughness(x: np.ndarray) -> float:
            return float(np.abs(np.diff(x, axis=1)).mean())

        coarse = fractal_noise((256, 256), 2, 0, octaves=1)
        fine = fractal_noise((256, 256), 16, 0, octaves=1)
        assert roughness(fine) > 4 * roughness(coarse)
