"""Quicklook images: percentile-stretched RGB and single-band PNGs, and small figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from saropt.io.atomic import atomic_output


def stretch(band: np.ndarray, low: float = 2.0, high: float = 98.0) -> np.ndarray:
    """Linear percentile stretch of one band to [0, 1] (NaNs ignored, then set to 0).

    Shape:
        (H, W) -> (H, W) float32.
    """
    x = band.astype(np.float32)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return np.zeros_like(x)
    lo, hi = np.percentile(finite, [low, high])
    out = np.clip((x - lo) / max(float(hi - lo), 1e-12), 0.0, 1.0)
    return np.nan_to_num(out, nan=0.0).astype(np.float32)


def rgb(image: np.ndarray, bands: Sequence[int], *, common: bool = True) -> np.ndarray:
    """Compose three bands of a (C, H, W) image into an (H, W, 3) float RGB in [0, 1].

    With ``common`` one stretch is shared by the three bands (true colour stays neutral).
    """
    sel = image[list(bands)].astype(np.float32)
    if common:
        lo, hi = np.percentile(sel[np.isfinite(sel)], [2.0, 98.0])
        out = np.clip((sel - lo) / max(float(hi - lo), 1e-12), 0.0, 1.0)
    else:
        out = np.stack([stretch(b) for b in sel])
    return np.moveaxis(np.nan_to_num(out), 0, -1)


def save_png(path: str | Path, image: np.ndarray, *, cmap: str | None = None) -> Path:
    """Save an (H, W) or (H, W, 3) array in [0, 1] (or class codes with a cmap) as PNG."""
    with atomic_output(path) as tmp:
        plt.imsave(tmp, image, cmap=cmap, format="png")
    return Path(path)


def save_figure(fig: plt.Figure, path: str | Path) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def class_profiles_figure(
    wavelengths: Sequence[float] | np.ndarray,
    spectra: Mapping[str, np.ndarray],
    backscatter: Mapping[str, np.ndarray],
) -> plt.Figure:
    """Mean optical spectrum per class and the distribution of VV backscatter per class.

    Args:
        wavelengths: Band centres in nm.
        spectra: class name -> mean reflectance per band.
        backscatter: class name -> VV samples in dB.
    """
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for name, spec in spectra.items():
        a.plot(wavelengths, spec, marker="o", label=name)
    a.set_xlabel("wavelength (nm)")
    a.set_ylabel("reflectance")
    a.set_title("Sentinel-2: mean spectrum per class")
    a.legend(fontsize=8)
    names = list(backscatter)
    b.boxplot([backscatter[n] for n in names], showfliers=False)
    b.set_xticks(range(1, len(names) + 1), names, rotation=20)
    b.set_ylabel("VV backscatter (dB)")
    b.set_title("Sentinel-1: VV per class")
    fig.tight_layout()
    return fig
