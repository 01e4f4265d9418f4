"""Urban-mapping figures: prediction maps coloured against the labels (true positives
white, true negatives black, false positives green, false negatives magenta, as Hafner et
al.'s Fig. 3), the conditional utilisation rates as bars, and d_util over training epochs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

#: Colours of true negatives, true positives, false positives and false negatives.
ERROR_COLOURS: dict[str, tuple[float, float, float]] = {
    "true negative": (0.0, 0.0, 0.0), "true positive": (1.0, 1.0, 1.0),
    "false positive": (0.1, 0.8, 0.1), "false negative": (0.9, 0.0, 0.9),
}  # fmt: skip


def error_map(prob: np.ndarray, label: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """RGB (H, W, 3) of a probability map against 0/1 labels in :data:`ERROR_COLOURS`."""
    pred, truth = prob > threshold, label > 0
    rgb = np.zeros((*prob.shape, 3))
    for mask, name in ((pred & truth, "true positive"), (pred & ~truth, "false positive"),
                       (~pred & truth, "false negative")):  # fmt: skip
        rgb[mask] = ERROR_COLOURS[name]
    return rgb


def busiest_window(label: np.ndarray, size: int) -> tuple[slice, slice]:
    """The ``size`` x ``size`` window (on a half-size grid) with the most built-up pixels."""
    h, w = label.shape
    size = min(size, h, w)
    step = max(1, size // 2)
    best, where = -1.0, (0, 0)
    for r in range(0, h - size + 1, step):
        for c in range(0, w - size + 1, step):
            n = float(label[r : r + size, c : c + size].sum())
            if n > best:
                best, where = n, (r, c)
    return slice(where[0], where[0] + size), slice(where[1], where[1] + size)


def prediction_maps_figure(
    images: dict[str, np.ndarray], label: np.ndarray, maps: dict[str, np.ndarray]
) -> plt.Figure:
    """Input images (grey (H, W) or RGB (H, W, 3)), the labels, then each probability map
    coloured against the labels, in one row."""
    panels = len(images) + 1 + len(maps)
    fig, ax = plt.subplots(1, panels, figsize=(2.6 * panels, 3.2), squeeze=False)
    axes = iter(ax[0])
    for name, img in images.items():
        a = next(axes)
        a.imshow(img, cmap="gray" if img.ndim == 2 else None, interpolation="nearest")
        a.set_title(name, fontsize=9)
    a = next(axes)
    a.imshow(label > 0, cmap="gray", interpolation="nearest")
    a.set_title("built-up (label)", fontsize=9)
    for name, prob in maps.items():
        a = next(axes)
        a.imshow(error_map(prob, label), interpolation="nearest")
        a.set_title(name, fontsize=9)
    for a in ax[0]:
        a.set_axis_off()
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="0.5")
               for c in ERROR_COLOURS.values()]  # fmt: skip
    fig.legend(handles, list(ERROR_COLOURS), loc="lower center", ncol=4, fontsize=8)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _mean_err(v: Any) -> tuple[float, float]:
    return (float(v[0]), float(v[1])) if isinstance(v, list | tuple) else (float(v), 0.0)


def utilisation_figure(utilisation: dict[str, Any], title: str = "") -> plt.Figure:
    """Bars of u(sar|opt), u(opt|sar) and d_util (numbers, or [mean, std, n] with error
    bars)."""
    keys = (("u_sar_given_opt", "u(sar|opt)"), ("u_opt_given_sar", "u(opt|sar)"),
            ("d_util", "d_util"))  # fmt: skip
    means, errs = zip(*(_mean_err(utilisation[k]) for k, _ in keys), strict=True)
    fig, ax = plt.subplots(figsize=(3.8, 3.0))
    yerr = errs if any(errs) else None  # one run: no spread to draw
    ax.bar(range(3), means, yerr=yerr, capsize=4, color=["tab:blue", "tab:orange", "0.5"])
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(3), [name for _, name in keys])
    ax.set_ylabel("conditional utilisation rate")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def d_util_figure(histories: Sequence[Sequence[dict[str, float]]]) -> plt.Figure:
    """d_util and the two rates after each training epoch, one faint line per run."""
    fig, ax = plt.subplots(figsize=(5.0, 3.0))
    styles = (("d_util", "black", "d_util"), ("u_sar_given_opt", "tab:blue", "u(sar|opt)"),
              ("u_opt_given_sar", "tab:orange", "u(opt|sar)"))  # fmt: skip
    for k, history in enumerate(histories):
        epochs = [h["epoch"] for h in history]
        for key, colour, name in styles:
            ax.plot(epochs, [h[key] for h in history], color=colour, alpha=0.8 if k == 0 else 0.35,
                    label=name if k == 0 else None, marker="o", ms=3)  # fmt: skip
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("rate on validation pixels")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
