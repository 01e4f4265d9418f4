"""Approaches 2 and 3: the binary matcher and the descriptor learn well above chance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from saropt.experiments.config import load_config
from saropt.experiments.pairs import BinaryMatchConfig, DescriptorConfig, train_pair_model
from saropt.models import TwoStreamDescriptor


class TestBinaryMatcher:
    def test_learns_well_above_chance(self, tmp_path: Path) -> None:
        r = train_pair_model(BinaryMatchConfig(), tmp_path)["binary_matcher"]
        assert r["auc"] > 0.85
        assert r["recall_at_5pct_fpr"] > 0.4 and r["fpr_at_95pct_recall"] < 0.5


class TestDescriptor:
    def test_hardest_negative_descriptor_learns_well_above_chance(self, tmp_path: Path) -> None:
        """Batch-standardised descriptors, 3 epochs of random negatives, then hardest-in-batch
        (about 35 s)."""
        cfg = load_config(DescriptorConfig, overrides=["trainer.max_epochs=30"])
        r = train_pair_model(cfg, tmp_path)["descriptor"]
        assert r["auc"] > 0.85, r
        assert r["recall_at_5pct_fpr"] > 0.3 and r["accuracy_at_5pct_fpr"] > 0.6
        from saropt.models import load_model

        model, config = load_model(tmp_path / "model.safetensors")
        assert isinstance(model, TwoStreamDescriptor) and config["size"] == 32


class TestDatasetMining:
    def test_miner_returns_the_nearest_far_enough_sar_patch(self) -> None:
        from saropt.datasets.samplers import PairSpec
        from saropt.experiments.pairs import DescriptorMiner
        from saropt.io.grid import PixelWindow

        torch.manual_seed(0)
        model = TwoStreamDescriptor(width=4).eval()
        rng = np.random.default_rng(0)
        opt, sar = rng.uniform(0, 1, (13, 96, 96)), rng.uniform(0, 1, (2, 96, 96))
        opt, sar = opt.astype(np.float32), sar.astype(np.float32)
        miner = DescriptorMiner(model, opt, sar, size=16, stride=8, min_distance=16)
        win = PixelWindow(40, 24, 16, 16)
        neg = miner(PairSpec(0, win, 0, win, 1, "positive"), torch.Generator())
        assert neg is not None and neg.kind == "hard" and neg.label == 0
        # brute force over every candidate 16 px or more away
        with torch.inference_mode():
            a = model.embed(torch.from_numpy(opt[:, 40:56, 24:40])[None], optical=True)
            best, best_d = None, float("inf")
            for w in miner.windows:
                if np.hypot(w.row - 40, w.col - 24) < 16:
                    continue
                b = model.embed(torch.from_numpy(sar[(slice(None), *w.slices())])[None], False)
                d = float((a - b).norm())
                if d < best_d:
                    best, best_d = w, d
        assert neg.sar == best
        assert np.hypot(neg.sar.row - 40, neg.sar.col - 24) >= 16

    def test_triplets_keep_their_positives_whatever_the_miner(self) -> None:
        from saropt.datasets.matching import MinedTriplets
        from saropt.experiments.pairs import DescriptorMiner

        rng = np.random.default_rng(1)
        sar = rng.uniform(-25, 0, (2, 96, 96)).astype(np.float32)
        opt = rng.integers(0, 10000, (13, 96, 96)).astype(np.uint16)
        normed = (opt.astype(np.float32) / 1e4, (sar + 25) / 25)
        sets = []
        for seed in (0, 1):  # two differently initialised models mine different negatives
            torch.manual_seed(seed)
            miner = DescriptorMiner(TwoStreamDescriptor(width=4).eval(), *normed, size=16,
                                    stride=8, min_distance=16)  # fmt: skip
            sets.append(MinedTriplets(opt, sar, miner, size=16, positives=12, seed=3))
        assert len(sets[0]) == 12
        for i in range(12):
            a, b = sets[0][i], sets[1][i]
            torch.testing.assert_close(a["optical"], b["optical"])
            torch.testing.assert_close(a["sar"], b["sar"])
        assert any(
            not torch.equal(sets[0][i]["sar_negative"], sets[1][i]["sar_negative"])
            for i in range(12)
        )
