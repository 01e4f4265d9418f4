"""Named metric sets that tasks log and experiments report, built on :mod:`functional`."""

from __future__ import annotations

import numpy as np
import torch

from saropt.metrics.functional import (
    fpr_at_recall,
    mae,
    ndvi,
    precision_recall,
    psnr,
    recall_at_fpr,
    rmse,
    roc_auc,
    sam,
    ssim,
)


def image_metrics(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *, overall: bool = True
) -> dict[str, float]:
    """Cloud-removal metrics on reflectance: overall, on cloudy and clear pixels, per band.

    Keys: ``rmse``, ``mae``, ``psnr``, ``ssim`` (left out when not ``overall``: the tasks
    log those through torchmetrics), ``sam`` (degrees); ``rmse_cloudy``, ``sam_cloudy``
    when a pixel is cloudy; ``rmse_clear``, ``sam_clear`` when one is clear;
    ``rmse_bandNN`` for every band.

    Shape:
        pred, target (N, C, H, W) in 0..1; mask (N, H, W) bool, True under cloud.
    """
    out = {"sam": sam(pred, target)}
    if overall:
        out["rmse"] = rmse(pred, target)
        out["mae"] = mae(pred, target)
        out["psnr"] = psnr(pred, target, data_range=1.0)
        out["ssim"] = ssim(pred, target, data_range=1.0)
    if mask.any():
        out["rmse_cloudy"] = rmse(pred, target, mask)
        out["sam_cloudy"] = sam(pred, target, mask)
    if (~mask).any():
        out["rmse_clear"] = rmse(pred, target, ~mask)
        out["sam_clear"] = sam(pred, target, ~mask)
    for b, v in enumerate(rmse(pred, target, per_band=True)):
        out[f"rmse_band{b:02d}"] = v
    return {k: float(v) for k, v in out.items()}


def pair_metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Binary matching: AUC, recall, precision and accuracy at 5 % FPR, FPR at 95 % recall.

    Shape:
        scores, labels (N,); higher scores mean "match", labels are 1 for a match.
    """
    recall, accuracy, threshold = recall_at_fpr(scores, labels, 0.05)
    return {
        "auc": roc_auc(scores, labels),
        "recall_at_5pct_fpr": recall,
        "precision_at_5pct_fpr": precision_recall(scores, labels, threshold)[0],
        "accuracy_at_5pct_fpr": accuracy,
        "fpr_at_95pct_recall": fpr_at_recall(scores, labels, 0.95),
    }


def class_statistics(
    classes: np.ndarray,
    names: dict[int, str],
    sar_db: np.ndarray,
    nir: np.ndarray,
    red: np.ndarray,
) -> list[list[object]]:
    """Per land-cover class: pixel fraction, mean VV and VH backscatter (dB), mean NDVI.

    Classes with no pixel are left out.

    Shape:
        classes (H, W) int; sar_db (2, H, W) as (VV, VH); nir, red (H, W).
    """
    rows: list[list[object]] = []
    for value, name in names.items():
        m = classes == value
        if not m.any():
            continue
        rows.append([
            name,
            float(m.mean()),
            float(sar_db[0][m].mean()),
            float(sar_db[1][m].mean()),
            float(np.mean(ndvi(nir[m], red[m]))),
        ])  # fmt: skip
    return rows
