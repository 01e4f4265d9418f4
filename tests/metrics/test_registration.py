"""Registration scores against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from saropt.metrics.registration import cmr, endpoint_errors, flow_scores


class TestFlowScores:
    def test_hand_values(self) -> None:
        target = np.zeros((2, 4, 4))
        pred = np.zeros((2, 4, 4))
        pred[0, 0, :] = 3.0  # first row: dx off by 3
        pred[:, 1, :] = 4.0  # second row: (4, 4) off -> sqrt(32)
        s = flow_scores(pred, target)
        assert s["epe"] == pytest.approx((4 * 3.0 + 4 * np.sqrt(32)) / 16)
        assert s["under_1"] == pytest.approx(0.5)
        assert s["under_3"] == pytest.approx(0.5)  # 3.0 is not under 3
        assert s["under_5"] == pytest.approx(0.75)
        inner = flow_scores(pred, target, border=1)  # rows 1-2, cols 1-2
        assert inner["epe"] == pytest.approx(np.sqrt(32) / 2)
        assert endpoint_errors(pred, target, 1).shape == (2, 2)

    def test_cmr_and_errors(self) -> None:
        assert cmr([0.5, 1.5, 2.5, 0.9], 1.0) == pytest.approx(0.5)
        with pytest.raises(ValueError, match="no pairs"):
            cmr([], 1.0)
        with pytest.raises(ValueError, match="border"):
            endpoint_errors(np.zeros((2, 4, 4)), np.zeros((2, 4, 4)), border=2)
        with pytest.raises(ValueError, match="one shape"):
            endpoint_errors(np.zeros((2, 4, 4)), np.zeros((2, 4, 5)))
