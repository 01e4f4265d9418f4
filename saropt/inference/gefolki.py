"""GeFolki (Plyer, Colin-Koeniguer and Weissgerber, IEEE GRSL 2015; Brigot et al., IEEE JSTARS
2016), the classical dense SAR-optical co-registration method, through the published
``gefolki`` package (PyPI, GPL-3.0; ``pip install 'saropt[gefolki]'``).

gefolki 1.1.0 fails on current numpy and scikit-image: its CLAHE step
(``gefolki.adapthist._clahe``) indexes a lookup table with the image, which
``skimage.exposure.rescale_intensity`` now returns as floats ("arrays used as indices must
be of integer (or boolean) type"). :func:`patched_clahe` wraps that function at run time:
it rounds the image to integers, as older scikit-image returned it, and calls the
original. Installed files are never edited, and the wrapper is in place only during a call.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from saropt.errors import ConfigError

_LOCK = threading.Lock()


def _module() -> Any:
    try:
        import gefolki
        import gefolki.adapthist
    except ImportError as exc:
        raise ConfigError(
            "the GeFolki baseline needs the published gefolki package: "
            "pip install 'saropt[gefolki]' (GPL-3.0)"
        ) from exc
    return gefolki


def integer_clahe(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` (gefolki's ``_clahe``) called on the image rounded to integers."""

    def clahe(image: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        if not np.issubdtype(np.asarray(image).dtype, np.integer):
            image = np.rint(image).astype(np.int64)
        return original(image, *args, **kwargs)

    clahe.__wrapped__ = original  # type: ignore[attr-defined]
    return clahe


@contextmanager
def patched_clahe() -> Iterator[Any]:
    """Within the block, gefolki's CLAHE runs through :func:`integer_clahe`; yields the
    ``gefolki`` module."""
    mod = _module()
    with _LOCK:
        adapthist = mod.adapthist
        original = adapthist._clahe
        adapthist._clahe = integer_clahe(original)
        try:
            yield mod
        finally:
            adapthist._clahe = original


def gefolki_levels(height: int, width: int, radius: int = 32) -> int:
    """Pyramid reductions (GeFolki's ``levels``: 0 is the full resolution only) such that
    the coarsest image still holds the largest local window, 2 * radius + 1 pixels; at
    most 6.

    Lucas-Kanade windows larger than the image make the coarse estimate meaningless, and
    each finer level doubles its error: with as many levels as a rank window allowed (5 on
    a 448 px pair) GeFolki diverged by tens of pixels on every pair we tried.
    """
    side = min(height, width) / (2 * radius + 1)
    return max(0, min(6, math.floor(math.log2(side)) if side >= 1 else 0))


def gefolki_flow(
    fixed: np.ndarray,
    moving: np.ndarray,
    *,
    iterations: int = 2,
    radii: tuple[int, ...] = tuple(range(32, 4, -4)),
    rank: int = 4,
    levels: int | None = None,
) -> np.ndarray:
    """Dense flow from ``fixed`` to ``moving`` by GEFolki, with the parameters of its
    optical-radar example (2 iterations, radii 32 .. 8, rank 4) and as many pyramid levels
    as keep the largest window inside the coarsest image (:func:`gefolki_levels`; at most
    6, the example's). Images are rescaled to [0, 1]; NaN becomes the mean.

    Returns:
        (dx, dy) such that ``moving[y + dy, x + dx]`` lands on ``fixed[y, x]``.

    Shape:
        fixed, moving (H, W) -> (2, H, W) float32.
    """
    if fixed.shape != moving.shape or fixed.ndim != 2:
        raise ValueError(f"need two 2-D images of one shape; got {fixed.shape}, {moving.shape}")

    def unit(x: np.ndarray) -> np.ndarray:
        x = np.where(np.isfinite(x), x, np.nanmean(x)).astype(np.float64)
        lo, hi = float(x.min()), float(x.max())
        return ((x - lo) / (hi - lo if hi > lo else 1.0)).astype(np.float32)

    h, w = fixed.shape
    n = levels if levels is not None else gefolki_levels(h, w, max(radii))
    with patched_clahe() as gf:
        u, v = gf.GEFolki(unit(fixed), unit(moving), iteration=iterations, radius=list(radii),
                          rank=rank, levels=n)  # fmt: skip
    return np.stack([u, v]).astype(np.float32)
