"""Cloud-removal figures after Grohnfeldt et al. (2018), Figures 3-5: the images, per-pixel
RMSE and SAM maps, and spectral profiles of sample pixels."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from saropt.report.quicklook import rgb, stretch


def _rmse_map(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    return np.sqrt(((pred - target) ** 2).mean(axis=0))


def _sam_map(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    dot = (pred * target).sum(axis=0)
    norm = np.linalg.norm(pred, axis=0) * np.linalg.norm(target, axis=0)
    return np.degrees(np.arccos(np.clip(dot / np.maximum(norm, 1e-12), -1, 1)))


def comparison_figure(
    target: np.ndarray,
    cloudy: np.ndarray,
    sar_db: np.ndarray,
    predictions: dict[str, np.ndarray],
    rgb_bands: Sequence[int] = (3, 2, 1),
) -> plt.Figure:
    """Row 1: cloudy input, SAR, each prediction, the clear truth (true colour, one stretch).
    Rows 2-3: per-pixel RMSE and SAM (degrees) of the cloudy input and each prediction.

    Shape:
        reflectance images (C, H, W); sar_db (2, H, W).
    """
    names = ["cloudy input", *predictions]
    images = [cloudy, *predictions.values()]
    cols = len(names) + 2
    fig, ax = plt.subplots(3, cols, figsize=(2.6 * cols, 8))
    lo, hi = np.percentile(target[list(rgb_bands)], [2, 98])

    def show_rgb(a: plt.Axes, img: np.ndarray, title: str) -> None:
        a.imshow(np.clip((np.moveaxis(img[list(rgb_bands)], 0, -1) - lo) / (hi - lo), 0, 1))
        a.set_title(title, fontsize=9)

    show_rgb(ax[0, 0], cloudy, "cloudy input")
    ax[0, 1].imshow(stretch(sar_db[0]), cmap="gray")
    ax[0, 1].set_title("Sentinel-1 VV", fontsize=9)
    for k, (name, img) in enumerate(predictions.items()):
        show_rgb(ax[0, 2 + k], img, name)
    show_rgb(ax[0, cols - 1], target, "clear truth")
    rmse_max = max(float(np.percentile(_rmse_map(i, target), 99)) for i in images)
    for k, (name, img) in enumerate(zip(names, images, strict=True)):
        r = ax[1, k + 1].imshow(_rmse_map(img, target), cmap="magma", vmin=0, vmax=rmse_max)
        ax[1, k + 1].set_title(f"RMSE: {name}", fontsize=9)
        s = ax[2, k + 1].imshow(_sam_map(img, target), cmap="viridis", vmin=0, vmax=45)
        ax[2, k + 1].set_title(f"SAM (deg): {name}", fontsize=9)
    fig.colorbar(r, ax=ax[1, -1], fraction=0.046)
    fig.colorbar(s, ax=ax[2, -1], fraction=0.046)
    for a in ax.ravel():
        a.set_xticks([])
        a.set_yticks([])
    for a in (ax[1, 0], ax[2, 0], ax[1, -1], ax[2, -1]):
        if not a.images:
            a.axis("off")
    fig.tight_layout()
    return fig


def spectral_profiles_figure(
    wavelengths: Sequence[float] | np.ndarray,
    target: np.ndarray,
    cloudy: np.ndarray,
    predictions: dict[str, np.ndarray],
    pixels: Sequence[tuple[int, int]],
) -> plt.Figure:
    """Spectra of a few (row, col) pixels: truth, cloudy input and each prediction."""
    fig, axes = plt.subplots(1, len(pixels), figsize=(4 * len(pixels), 3.2), squeeze=False)
    for a, (r, c) in zip(axes[0], pixels, strict=True):
        a.plot(wavelengths, target[:, r, c], "k-o", label="clear truth", ms=3)
        a.plot(wavelengths, cloudy[:, r, c], ":", color="grey", label="cloudy input")
        for name, img in predictions.items():
            a.plot(wavelengths, img[:, r, c], "-", label=name)
        a.set_title(f"pixel ({r}, {c})", fontsize=9)
        a.set_xlabel("wavelength (nm)")
    axes[0, 0].set_ylabel("reflectance")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


__all__ = ["comparison_figure", "rgb", "spectral_profiles_figure"]
