"""Dense registration scores: end-point error, shares of pixels within 1, 3 and 5 px, and
the correct matching rate CMR@T over pairs.

The end-point error (EPE) of a pixel is the Euclidean distance between the estimated and
the true flow vectors; a pair's EPE is its mean over the pixels at least ``border`` pixels
from the edge (where the deformed image had to be padded). CMR@T is the share of pairs whose
mean EPE is below T pixels. numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Pixel thresholds of the "share under" scores.
THRESHOLDS: tuple[float, ...] = (1.0, 3.0, 5.0)


def endpoint_errors(pred: np.ndarray, target: np.ndarray, border: int = 0) -> np.ndarray:
    """Per-pixel end-point errors away from the border.

    Shape:
        pred, target (..., 2, H, W) -> (..., H - 2 border, W - 2 border).
    """
    pred, target = np.asarray(pred, np.float64), np.asarray(target, np.float64)
    if pred.shape != target.shape or pred.ndim < 3 or pred.shape[-3] != 2:
        raise ValueError(f"need two (..., 2, H, W) flows of one shape; got {pred.shape}, "
                         f"{target.shape}")  # fmt: skip
    h, w = pred.shape[-2:]
    if not 0 <= 2 * border < min(h, w):
        raise ValueError(f"border {border} leaves no pixel of a {h}x{w} flow")
    err = np.sqrt(((pred - target) ** 2).sum(axis=-3))
    return err[..., border : h - border, border : w - border]


def flow_scores(
    pred: np.ndarray, target: np.ndarray, border: int = 0,
    thresholds: Sequence[float] = THRESHOLDS,
) -> dict[str, float]:  # fmt: skip
    """Mean EPE and the share of pixels whose EPE is below each threshold, for one pair or
    pooled over a batch of pairs.

    Returns:
        ``{"epe": ..., "under_1": ..., "under_3": ..., "under_5": ...}`` (threshold names
        without a trailing ".0").

    Shape:
        pred, target (2, H, W) or (N, 2, H, W).
    """
    err = endpoint_errors(pred, target, border)
    out = {"epe": float(err.mean())}
    for t in thresholds:
        out[f"under_{t:g}"] = float((err < t).mean())
    return out


def cmr(pair_epes: Sequence[float], threshold: float) -> float:
    """CMR@T: the share of pairs whose mean EPE is below ``threshold`` pixels."""
    values = np.asarray(pair_epes, dtype=np.float64)
    if values.size == 0:
        raise ValueError("CMR of no pairs")
    return float((values < threshold).mean())
