"""Approaches 2 and 3: the binary matcher and the descriptor learn well above chance."""

from __future__ import annotations

from pathlib import Path

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
