"""Binary segmentation scores pooled over pixels, and conditional utilisation rates.

Precision, recall, F1 and IoU are computed from true positive, false positive and false
negative counts pooled over every valid pixel of a set (not averaged per image), at
probability threshold 0.5, as Hafner, Ban and Nascetti report them:
P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2 P R / (P + R), IoU = TP / (TP + FP + FN).
A ratio whose denominator is 0 is 0.

Conditional utilisation rates (Wu et al., ICML 2022, as used by Hafner et al.):
u(sar|opt) = (F1(p_opt) - F1(p'_opt)) / F1(p_opt), where p'_opt is the optical head with the
SAR information cut off; u(opt|sar) likewise; d_util = u(sar|opt) - u(opt|sar).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: Probability above which a pixel is called urban.
THRESHOLD = 0.5


@dataclass
class BinaryCounts:
    """Pooled pixel counts; add sets with ``+``."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: BinaryCounts) -> BinaryCounts:
        return BinaryCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn,
                            self.tn + other.tn)  # fmt: skip

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    @property
    def iou(self) -> float:
        return _ratio(self.tp, self.tp + self.fp + self.fn)

    def scores(self) -> dict[str, Any]:
        """Counts and the four scores as a JSON-able dict."""
        return {**asdict(self), "precision": self.precision, "recall": self.recall,
                "f1": self.f1, "iou": self.iou}  # fmt: skip


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def binary_counts(
    prob: np.ndarray, target: np.ndarray, valid: np.ndarray | None = None,
    threshold: float = THRESHOLD,
) -> BinaryCounts:  # fmt: skip
    """Counts of a probability map against 0/1 labels; ``valid`` selects the pixels."""
    prob, target = np.asarray(prob), np.asarray(target)
    if prob.shape != target.shape:
        raise ValueError(f"prediction {prob.shape} and target {target.shape} differ")
    keep = np.ones(prob.shape, bool) if valid is None else np.asarray(valid, bool)
    pred, truth = (prob > threshold) & keep, (target > 0.5) & keep
    tp = int(np.count_nonzero(pred & truth))
    fp = int(np.count_nonzero(pred & ~truth))
    fn = int(np.count_nonzero(~pred & truth))
    return BinaryCounts(tp, fp, fn, int(np.count_nonzero(keep)) - tp - fp - fn)


def utilisation(f1_both: float, f1_cut: float) -> float:
    """(F1 with both modalities - F1 with one cut off) / F1 with both; 0 when F1 is 0."""
    return (f1_both - f1_cut) / f1_both if f1_both > 0 else 0.0


def utilisation_rates(
    f1_sar: float, f1_sar_cut: float, f1_opt: float, f1_opt_cut: float
) -> dict[str, float]:
    """u(sar|opt), u(opt|sar) and d_util from the two heads' F1 with and without cut-off.

    Args:
        f1_sar, f1_sar_cut: F1 of the SAR head (p_sar) and with the optical cut off (p'_sar).
        f1_opt, f1_opt_cut: F1 of the optical head (p_opt) and with SAR cut off (p'_opt).
    """
    u_sar = utilisation(f1_opt, f1_opt_cut)
    u_opt = utilisation(f1_sar, f1_sar_cut)
    return {"u_sar_given_opt": u_sar, "u_opt_given_sar": u_opt, "d_util": u_sar - u_opt}
