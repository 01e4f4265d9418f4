"""Lee speckle filter: flat areas smoothed, edges kept, NaN kept."""

from __future__ import annotations

import numpy as np
import pytest

from saropt.errors import ConfigError
from saropt.transforms import lee_filter


def _enl(x: np.ndarray) -> float:
    return float(x.mean() ** 2 / x.var())


class TestLeeFilter:
    def test_flat_area_gains_looks_and_keeps_its_mean(self) -> None:
        rng = np.random.default_rng(0)
        clean = np.full((200, 200), 0.1)
        noisy = clean * rng.gamma(4.4, 1 / 4.4, size=clean.shape)
        out = lee_filter(noisy, 7, 4.4)
        assert _enl(noisy) == pytest.approx(4.4, rel=0.1)
        assert _enl(out) > 10 * _enl(noisy)
        assert out.mean() == pytest.approx(noisy.mean(), rel=0.01)

    def test_edge_is_kept_sharper_than_a_box_filter(self) -> None:
        from scipy import ndimage

        rng = np.random.default_rng(1)
        clean = np.ones((100, 100))
        clean[:, 50:] = 20.0
        noisy = clean * rng.gamma(4.4, 1 / 4.4, size=clean.shape)
        lee = lee_filter(noisy, 7, 4.4)
        box = ndimage.uniform_filter(noisy, 7)
        # error right at the edge (two columns either side), against the clean step
        edge = slice(48, 52)
        assert (
            np.abs(lee[:, edge] - clean[:, edge]).mean()
            < 0.6 * np.abs(box[:, edge] - clean[:, edge]).mean()
        )

    def test_nan_stays_nan_and_batch_axes(self) -> None:
        x = np.ones((2, 3, 20, 20))
        x[0, 1, 5, 5] = np.nan
        out = lee_filter(x, 3)
        assert out.shape == x.shape
        assert np.isnan(out[0, 1, 5, 5]) and np.isfinite(out).sum() == x.size - 1
        np.testing.assert_allclose(out[np.isfinite(out)], 1.0)

    def test_bad_window(self) -> None:
        with pytest.raises(ConfigError, match="odd"):
            lee_filter(np.ones((8, 8)), 4)
