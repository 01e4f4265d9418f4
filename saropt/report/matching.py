"""SAR-optical matching figures: score maps (Hughes et al. 2019, Figure 4), ROC curves, and
correct keypoint matches of the raw and translated pairs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from affine import Affine
from matplotlib.patches import Rectangle

from saropt.inference.tiepoints import TiePoints
from saropt.metrics.functional import roc_curve
from saropt.report.quicklook import save_figure, stretch


def score_maps_figure(
    optical: np.ndarray,
    sar: np.ndarray,
    scores: np.ndarray,
    true: np.ndarray,
    estimated: np.ndarray,
) -> plt.Figure:
    """One row per example: the optical template (visible mean), the SAR search window
    with the true (green) and estimated (red) template positions, and the score map over
    every shift with the same two marks.

    Shape:
        optical (N, Co, T, T), sar (N, Cs, S, S) normalised; scores (N, S-T+1, S-T+1);
        true and estimated (N, 2) as (dy, dx) from the centre.
    """
    n = len(scores)
    t, s = optical.shape[-1], sar.shape[-1]
    c = (s - t) / 2.0
    fig, ax = plt.subplots(n, 3, figsize=(7.5, 2.5 * n), squeeze=False)
    for i in range(n):
        ax[i, 0].imshow(stretch(optical[i, 1:4].mean(axis=0)), cmap="gray")
        ax[i, 1].imshow(stretch(sar[i, 0]), cmap="gray")
        ax[i, 2].imshow(scores[i], cmap="viridis")
        for (dy, dx), colour in ((true[i], "lime"), (estimated[i], "red")):
            ax[i, 1].add_patch(Rectangle((c + dx - 0.5, c + dy - 0.5), t, t, fill=False,
                                         edgecolor=colour, linewidth=1.2))  # fmt: skip
            ax[i, 2].plot(c + dx, c + dy, "+", color=colour, markersize=10, mew=2)
        err = float(np.hypot(*(estimated[i] - true[i])))
        ax[i, 2].set_title(f"error {err:.2f} px", fontsize=9)
    ax[0, 0].set_title("optical template", fontsize=9)
    ax[0, 1].set_title("SAR search window", fontsize=9)
    for a in ax.ravel():
        a.set_xticks([])
        a.set_yticks([])
    fig.suptitle("Score maps: truth green, estimate red", fontsize=10)
    fig.tight_layout()
    return fig


def roc_figure(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], fpr_mark: float = 0.05
) -> plt.Figure:
    """ROC curves of match scores, ``{name: (scores, labels)}``, with the fixed-FPR line."""
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    for name, (scores, labels) in curves.items():
        fpr, tpr, _ = roc_curve(scores, labels)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    ax.axvline(fpr_mark, color="grey", linewidth=0.8)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate (recall)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("SAR-optical pair matching", fontsize=10)
    fig.tight_layout()
    return fig


def keypoint_bars_figure(results: dict[str, dict[str, float]]) -> plt.Figure:
    """Correct matches of each detector on the raw and the translated pair, from
    :func:`saropt.experiments.keypoints.evaluate_translate_match`."""
    detectors = sorted({k.split("/")[0] for k in results})
    x = np.arange(len(detectors))
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    for k, (variant, colour) in enumerate((("raw", "tab:grey"), ("translated", "tab:blue"))):
        vals = [results[f"{d}/{variant}"]["correct"] for d in detectors]
        bars = ax.bar(x + (k - 0.5) * 0.38, vals, 0.38, label=variant, color=colour)
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(x, [d.upper() for d in detectors])
    ax.set_ylabel("correct matches")
    ax.legend(fontsize=8)
    ax.set_title("Optical to SAR: raw pair vs cGAN-translated", fontsize=10)
    fig.tight_layout()
    return fig


def tiepoints_figure(
    sar_db: np.ndarray, sar_transform: Affine, tp: TiePoints, exaggerate: float = 10.0
) -> plt.Figure:
    """Tie points over the SAR image: arrows from where the optical georeference puts each
    template to where the SAR image shows it (lengths times ``exaggerate``); inliers blue,
    confident outliers orange, matches that were not confident grey dots.

    Args:
        sar_db: SAR VV in dB (H, W), the background.
        sar_transform: The SAR grid's transform (pixel -> map).
        tp: Tie points from :func:`saropt.inference.tiepoints.find_tie_points`.
        exaggerate: Arrow length factor.
    """
    inv = ~sar_transform
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(stretch(sar_db), cmap="gray")
    start = np.array([inv @ (float(x), float(y)) for x, y in tp.optical_xy])
    end = np.array([inv @ (float(x), float(y)) for x, y in tp.sar_xy])
    d = (end - start) * exaggerate
    groups = ((tp.inliers, "tab:blue", "inliers"),
              (tp.kept & ~tp.inliers, "tab:orange", "confident outliers"))  # fmt: skip
    for sel, colour, label in groups:
        if sel.any():
            ax.quiver(start[sel, 0], start[sel, 1], d[sel, 0], d[sel, 1], color=colour,
                      angles="xy", scale_units="xy", scale=1, width=0.004, label=label)  # fmt: skip
    if (~tp.kept).any():
        rest = ~tp.kept
        ax.plot(start[rest, 0], start[rest, 1], ".", color="0.6", label="not confident")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"Tie points (moves x{exaggerate:g})", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    return fig


def save_evaluation_figure(ev: Any, out: Path) -> Path:
    """The figure that suits an :class:`~saropt.experiments.evaluation.Evaluation`."""
    if ev.kind == "shift":
        a = ev.arrays
        fig = score_maps_figure(a["optical"], a["sar"], a["score_maps"], a["true"], a["estimated"])
        return save_figure(fig, out / "score_maps.png")
    if ev.kind == "pairs":
        name = next(iter(ev.results))
        fig = roc_figure({name: (ev.arrays["scores"], ev.arrays["labels"])})
        return save_figure(fig, out / "roc.png")
    return save_figure(keypoint_bars_figure(ev.results), out / "keypoints.png")
