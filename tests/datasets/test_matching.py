"""Matching datasets: templates at known shifts, labelled pairs, pairs held as tensors."""

from __future__ import annotations

import numpy as np
import torch

from saropt.datasets.matching import MatchPairDataset, ShiftPairDataset


class TestShiftPairs:
    def test_template_sits_at_its_shift_in_the_search_window(self) -> None:
        rng = np.random.default_rng(0)
        sar = rng.uniform(-25, 0, (1, 80, 80)).astype(np.float32)
        optical = ((sar + 25.0) / 25.0 * 10000.0).astype(np.float32)  # same values once normalised
        ds = ShiftPairDataset(optical, sar, template=16, search=28, length=10, seed=3)
        for i in range(10):
            s = ds[i]
            r, c = (int(v) for v in (s["shift"] + 6.0))  # span 12: centre 6
            np.testing.assert_allclose(
                s["sar"][0, r : r + 16, c : c + 16], s["optical"][0], atol=1e-4
            )


class TestPairs:
    def test_labels_and_positions(self) -> None:
        rng = np.random.default_rng(0)
        sar = rng.uniform(-25, 0, (2, 96, 96)).astype(np.float32)
        opt = ((sar[:1] + 25) / 25 * 1e4).repeat(3, axis=0)
        ds = MatchPairDataset(opt, sar, size=16, positives=20, seed=1)
        assert len(ds) == 40
        for i in range(len(ds)):
            s = ds[i]
            same = torch.allclose(s["optical"][0], s["sar"][0], atol=1e-4)
            assert same == (s["label"].item() == 1.0)
