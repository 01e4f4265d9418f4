"""Multi-label F1, homogeneity and retrieval against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from saropt.metrics.classification import (
    dominant_confusion,
    homogeneity,
    multilabel_scores,
    retrieval_recall,
)


def test_multilabel_scores_by_hand() -> None:
    # classes a, b, c; predicted when p > 0.3, present when the share is > 0
    p = np.array([[0.6, 0.4, 0.0], [0.9, 0.05, 0.05], [0.2, 0.2, 0.6], [0.5, 0.25, 0.25]])
    y = np.array([[1.0, 0.0, 0.0], [0.7, 0.3, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    s = multilabel_scores(p, y)
    # a: predicted in 0, 1, 3; present in 0, 1, 3 -> tp 3, fp 0, fn 0
    # b: predicted in 0; present in 1, 2 -> tp 0, fp 1, fn 2
    # c: predicted in 2; present in 2, 3 -> tp 1, fp 0, fn 1
    assert s.precision.tolist() == pytest.approx([1.0, 0.0, 1.0])
    assert s.recall.tolist() == pytest.approx([1.0, 0.0, 0.5])
    assert s.f1.tolist() == pytest.approx([1.0, 0.0, 2 / 3])
    assert s.support.tolist() == [3, 2, 2]
    assert s.macro_f1 == pytest.approx((1 + 0 + 2 / 3) / 3)
    assert s.weighted_f1 == pytest.approx((3 * 1 + 2 * 0 + 2 * 2 / 3) / 7)


def test_a_class_never_present_stays_out_of_the_averages() -> None:
    p = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    s = multilabel_scores(p, y)
    assert np.isnan(s.f1[2])
    assert s.macro_f1 == s.weighted_f1 == 1.0


def test_homogeneity_by_hand() -> None:
    a = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    b = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    assert homogeneity(a, b) == pytest.approx((0.5 + 1.0) / 2)
    assert homogeneity(a, a) == pytest.approx(1.0)


def test_retrieval_recall_by_hand() -> None:
    q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    g = np.array([[1.0, 0.1], [1.0, 0.0], [-1.0, -1.0]])
    # query 0: gallery 1 (cos 1) beats its partner 0 (cos ~.995) -> rank 1
    # query 1: partner 1 has cos 0, gallery 0 has cos ~.0995 -> rank 1
    # query 2: partner 2 has cos -1: last of three -> rank 2
    assert retrieval_recall(q, g, ks=(1, 2, 3)) == {1: 0.0, 2: pytest.approx(2 / 3), 3: 1.0}
    assert retrieval_recall(g, g, ks=(1,)) == {1: 1.0}


def test_dominant_confusion() -> None:
    y = np.array([[0.6, 0.4], [0.2, 0.8], [0.9, 0.1]])
    p = np.array([[0.4, 0.6], [0.1, 0.9], [0.7, 0.3]])
    assert dominant_confusion(p, y).tolist() == [[1, 1], [0, 1]]
