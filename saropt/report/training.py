"""Training curves from Lightning's CSV log."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def read_metrics(path: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Lightning ``metrics.csv`` as {metric: [(epoch, value), ...]} (empty cells skipped)."""
    series: dict[str, list[tuple[int, float]]] = {}
    with Path(path).open(newline="") as f:
        for row in csv.DictReader(f):
            epoch = int(float(row.get("epoch") or 0))
            for key, value in row.items():
                if key in ("epoch", "step") or value in ("", None):
                    continue
                series.setdefault(key, []).append((epoch, float(value)))
    return series


def training_curves(
    runs: dict[str, str | Path],
    metrics: Sequence[str] = ("train/l1", "val/rmse_cloudy", "val/sam_cloudy"),
) -> plt.Figure:
    """One panel per metric, one line per run (e.g. SAR-Opt-cGAN against Opt-cGAN)."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.4))
    axes = list(axes) if len(metrics) > 1 else [axes]
    for label, path in runs.items():
        series = read_metrics(path)
        for ax, name in zip(axes, metrics, strict=True):
            if name in series:
                xs, ys = zip(*series[name], strict=True)
                ax.plot(xs, ys, marker=".", label=label)
    for ax, name in zip(axes, metrics, strict=True):
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    return fig
