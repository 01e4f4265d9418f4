"""Power Jaccard against hand-computed values."""

from __future__ import annotations

import pytest
import torch

from saropt.losses import PowerJaccard, power_jaccard


def test_power_jaccard_hand_values() -> None:
    p = torch.tensor([1.0, 0.5, 0.0, 0.5])
    y = torch.tensor([1.0, 1.0, 0.0, 0.0])
    # sum(p y) = 1.5; sum(p^2 + y^2) = 2 + 1.25 + 0 + 0.25 = 3.5; 1 - 1.5 / (3.5 - 1.5)
    assert power_jaccard(p, y).item() == pytest.approx(0.25, abs=1e-6)
    valid = torch.tensor([1.0, 1.0, 1.0, 0.0])  # drops the last pixel: 1 - 1.5 / 1.75
    assert PowerJaccard()(p, y, valid).item() == pytest.approx(1 - 1.5 / 1.75, abs=1e-6)
    assert power_jaccard(y, y).item() == pytest.approx(0.0, abs=1e-6)
    assert power_jaccard(torch.zeros(4), torch.zeros(4)).item() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        power_jaccard(p, y[:3])
