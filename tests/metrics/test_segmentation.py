"""Pooled binary scores and utilisation rates against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from saropt.metrics.segmentation import BinaryCounts, binary_counts, utilisation_rates


def test_asymmetric_case_catches_swapped_precision_and_recall() -> None:
    prob = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    y = np.array([1, 0, 0, 1, 0])
    c = binary_counts(prob, y)
    assert (c.tp, c.fp, c.fn, c.tn) == (1, 2, 1, 1)
    assert c.precision == pytest.approx(1 / 3)  # TP / (TP + FP)
    assert c.recall == pytest.approx(1 / 2)  # TP / (TP + FN)
    assert c.f1 == pytest.approx(0.4)
    assert c.iou == pytest.approx(0.25)


def test_counts_pool_over_sets_and_skip_invalid_pixels() -> None:
    a = binary_counts(np.array([0.6, 0.4]), np.array([1, 1]))
    b = binary_counts(np.array([0.6, 0.6, 0.9]), np.array([0, 1, 1]), valid=np.array([1, 1, 0]))
    pooled = a + b
    assert (pooled.tp, pooled.fp, pooled.fn, pooled.tn) == (2, 1, 1, 0)
    assert pooled.f1 == pytest.approx(2 / 3)
    assert BinaryCounts().f1 == 0.0 and BinaryCounts().precision == 0.0
    assert binary_counts(np.array([0.5]), np.array([1])).tp == 0  # 0.5 is not above 0.5


def test_utilisation_rates_hand_values() -> None:
    u = utilisation_rates(f1_sar=0.6, f1_sar_cut=0.54, f1_opt=0.8, f1_opt_cut=0.5)
    assert u["u_sar_given_opt"] == pytest.approx(0.375)  # (0.8 - 0.5) / 0.8
    assert u["u_opt_given_sar"] == pytest.approx(0.1)  # (0.6 - 0.54) / 0.6
    assert u["d_util"] == pytest.approx(0.275)
    assert utilisation_rates(0.0, 0.0, 0.0, 0.0)["d_util"] == 0.0
