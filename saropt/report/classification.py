"""Cross-modal classification figures: the dominant-class confusion matrix, per-class F1 of
both modalities, class maps of a scene from S1 alone and S2 alone, and weighted F1 against
training-set size (Senchugova and Hänsch, Fig. 3)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from saropt.metrics.classification import dominant_confusion

#: Colours of classes 1..C in class maps (tab10 order).
CLASS_COLOURS: tuple[tuple[float, float, float], ...] = tuple(
    tuple(c[:3]) for c in plt.get_cmap("tab10")(np.arange(10))
)


def confusion_figure(
    probabilities: np.ndarray, reference: np.ndarray, classes: Sequence[str], title: str
) -> plt.Figure:
    """Row-normalised confusion matrix of the dominant class (reference rows, predicted
    columns), counts in the cells."""
    cm = dominant_confusion(probabilities, reference)
    share = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * len(classes), 0.8 + 0.55 * len(classes)))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i, j in np.ndindex(cm.shape):
        ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                color="white" if share[i, j] > 0.5 else "black")  # fmt: skip
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    ax.set_xlabel("predicted (most probable)")
    ax.set_ylabel("reference (largest share)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def per_class_f1_figure(
    f1: dict[str, Sequence[float | None]], classes: Sequence[str]
) -> plt.Figure:
    """Grouped bars of each class's F1, one colour per modality (missing: no support)."""
    fig, ax = plt.subplots(figsize=(1.5 + 0.7 * len(classes), 3.2))
    width = 0.8 / max(1, len(f1))
    x = np.arange(len(classes))
    for k, (name, values) in enumerate(f1.items()):
        v = np.array([np.nan if y is None else y for y in values], dtype=float)
        ax.bar(x + (k - (len(f1) - 1) / 2) * width, v, width, label=name)
    ax.set_xticks(x, classes, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1 (p > 0.3)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def class_maps_figure(
    maps: dict[str, np.ndarray], classes: Sequence[str], reference: np.ndarray | None = None
) -> plt.Figure:
    """Class maps (codes 1..C, 0 none) side by side, e.g. from S1 alone and from S2 alone,
    after the reference land cover when given."""
    panels = ({"reference": reference} if reference is not None else {}) | maps
    cmap = ListedColormap([(1, 1, 1), *CLASS_COLOURS[: len(classes)]])
    fig, ax = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.6), squeeze=False)
    for a, (name, m) in zip(ax[0], panels.items(), strict=True):
        a.imshow(m, cmap=cmap, vmin=-0.5, vmax=len(classes) + 0.5, interpolation="nearest")
        a.set_title(name, fontsize=10)
        a.set_axis_off()
    handles = [plt.Rectangle((0, 0), 1, 1, color=CLASS_COLOURS[k]) for k in range(len(classes))]
    fig.legend(handles, classes, loc="lower center", ncol=min(len(classes), 5), fontsize=8)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def f1_size_figure(runs: dict[str, Any]) -> plt.Figure:
    """Weighted F1 (mean over seeds) against training patches, per setting and modality:
    S1 dashed, S2 solid, as in the paper's Fig. 3."""
    curves: dict[tuple[str, str], dict[int, list[float]]] = {}
    for r in runs.values():
        for m in ("s1", "s2"):
            per_size = curves.setdefault((r["setting"], m), {})
            per_size.setdefault(int(r["train_length"]), []).append(r[m]["weighted_f1"])
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    settings = sorted({s for s, _ in curves})
    for k, setting in enumerate(settings):
        for m, style in (("s1", "--"), ("s2", "-")):
            pts = sorted(curves.get((setting, m), {}).items())
            if pts:
                ax.plot([n for n, _ in pts], [np.mean(v) for _, v in pts], style, marker="o",
                        color=f"C{k}", label=f"{setting} {m.upper()}")  # fmt: skip
    ax.set_xscale("log", base=2)
    ax.set_xlabel("training patches")
    ax.set_ylabel("weighted F1")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
