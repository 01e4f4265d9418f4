"""Pair matching: the pseudo-siamese binary matcher learns; descriptor loss and pairs."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from saropt.datasets.matching import MatchPairDataset
from saropt.losses import HardestTripletLoss, hardest_triplet_loss
from saropt.models import TwoStreamDescriptor
from saropt.tasks.matching import PairMatchConfig, train_pair_matchers


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


class TestTripletLoss:
    def test_hand_values(self) -> None:
        a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        # perfect matches, negatives sqrt(2) away: max(0, 1 + 0 - 1.414) = 0
        assert hardest_triplet_loss(a, a).item() == 0.0
        # swapped: positives sqrt(2) apart, hardest negatives 0 apart: 1 + 1.414 - 0
        assert hardest_triplet_loss(a, a.flip(0)).item() == pytest.approx(1 + 2**0.5)
        assert HardestTripletLoss(0.5)(a, a).item() == 0.0

    def test_descriptors_are_unit_length(self) -> None:
        d = TwoStreamDescriptor(width=4)
        x, y = d(torch.randn(3, 13, 32, 32), torch.randn(3, 2, 32, 32))
        torch.testing.assert_close(x.norm(dim=1), torch.ones(3))
        assert x.shape == y.shape == (3, 128)


class TestBinaryMatcher:
    def test_learns_well_above_chance(self, tmp_path: Path) -> None:
        warnings.filterwarnings("ignore")
        cfg = PairMatchConfig(models=("binary_matcher",))
        r = train_pair_matchers(cfg, tmp_path)["binary_matcher"]
        assert r["auc"] > 0.85
        assert r["recall_at_5pct_fpr"] > 0.4 and r["fpr_at_95pct_recall"] < 0.5


class TestDescriptor:
    def test_hardest_negative_descriptor_learns_well_above_chance(self, tmp_path: Path) -> None:
        """Batch-standardised descriptors, 3 epochs of random negatives, then hardest-in-batch
        (about 35 s)."""
        warnings.filterwarnings("ignore")
        cfg = PairMatchConfig(models=("descriptor",), descriptor_epochs=30)
        r = train_pair_matchers(cfg, tmp_path)["descriptor"]
        assert r["auc"] > 0.85, r
        assert r["recall_at_5pct_fpr"] > 0.3 and 0 < r["accuracy_at_5pct_fpr"] <= 1
        from saropt.models import load_model

        model, config = load_model(tmp_path / "descriptor" / "model.safetensors")
        assert isinstance(model, TwoStreamDescriptor) and config["size"] == 32
