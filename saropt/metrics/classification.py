"""Metrics of multi-label land-cover classification from either modality (numpy only).

Following Senchugova and Hänsch: a class is *predicted* for a sample when its probability
exceeds 0.3, and *present* when its share in the reference (soft label) is above 0.
Precision, recall and F1 are counted per class over samples; the macro F1 averages the
classes present in the reference at least once, the weighted F1 weighs them by that count
(their support). A class that is never present has no F1 and stays out of both averages.

The homogeneity s (Eq. 5) is the mean over aligned S1/S2 pairs of the intersection of the
two predicted distributions; cross-modal retrieval ranks a gallery of the other modality
by cosine similarity in the shared latent space (the paper does not report it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The paper's decision threshold on class probabilities.
THRESHOLD = 0.3


@dataclass(frozen=True)
class MultiLabelScores:
    """Per-class counts and scores, and their averages.

    Attributes:
        precision, recall, f1: Per class, NaN where undefined (no prediction, no support).
        support: Samples in which each class is present.
        macro_f1: Mean F1 over classes with support.
        weighted_f1: Support-weighted mean F1.
    """

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    macro_f1: float
    weighted_f1: float


def multilabel_scores(
    probabilities: np.ndarray, reference: np.ndarray, threshold: float = THRESHOLD
) -> MultiLabelScores:
    """Per-class precision, recall and F1 of thresholded probabilities against the classes
    present in the reference.

    Shape:
        probabilities (N, C), reference (N, C) shares (soft labels or multi-hot).
    """
    p, r = np.asarray(probabilities), np.asarray(reference)
    if p.shape != r.shape or p.ndim != 2:
        raise ValueError(f"need two (N, C) arrays of one shape, got {p.shape} and {r.shape}")
    pred, true = p > threshold, r > 0
    tp = (pred & true).sum(0).astype(float)
    fp = (pred & ~true).sum(0).astype(float)
    fn = (~pred & true).sum(0).astype(float)
    support = true.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
        f1 = 2 * tp / (2 * tp + fp + fn)
    f1 = np.where(support > 0, f1, np.nan)
    has = support > 0
    macro = float(f1[has].mean()) if has.any() else float("nan")
    weighted = (
        float((f1[has] * support[has]).sum() / support[has].sum()) if has.any() else float("nan")
    )
    return MultiLabelScores(precision, recall, f1, support, macro, weighted)


def homogeneity(p_s1: np.ndarray, p_s2: np.ndarray) -> float:
    """Mean over aligned pairs of sum_c min(p_S1(c), p_S2(c)) (Eq. 5): 1 when both
    modalities predict the same distribution for every place.

    Shape:
        (N, C) and (N, C) -> scalar.
    """
    a, b = np.asarray(p_s1), np.asarray(p_s2)
    if a.shape != b.shape:
        raise ValueError(f"aligned predictions differ in shape: {a.shape} and {b.shape}")
    return float(np.minimum(a, b).sum(1).mean())


def retrieval_recall(
    queries: np.ndarray, gallery: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)
) -> dict[int, float]:
    """Share of queries whose aligned partner (same row of ``gallery``) is among the ``k``
    gallery items nearest by cosine similarity, for each ``k``.

    Shape:
        queries (N, D), gallery (N, D) -> {k: recall}.
    """
    q, g = np.asarray(queries, dtype=np.float64), np.asarray(gallery, dtype=np.float64)
    if q.shape != g.shape:
        raise ValueError(f"queries {q.shape} and gallery {g.shape} are not aligned")
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    sim = q @ g.T
    own = np.diag(sim)
    rank = (sim > own[:, None]).sum(1)  # gallery items strictly closer than the partner
    return {k: float((rank < k).mean()) for k in ks}


def dominant_confusion(probabilities: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Confusion matrix of the dominant class: rows the reference's largest share, columns
    the most probable predicted class.

    Shape:
        (N, C) and (N, C) -> (C, C) counts.
    """
    c = reference.shape[1]
    out = np.zeros((c, c), dtype=np.int64)
    np.add.at(out, (reference.argmax(1), probabilities.argmax(1)), 1)
    return out
