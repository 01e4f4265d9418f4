"""Approach 5: generated hard negatives join training and their effect is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from saropt.experiments.config import load_config
from saropt.experiments.hard_negatives import HardNegativeConfig, train_generated_negatives


def test_the_vaegan_learns_hard_novel_negatives_that_join_training(tmp_path: Path) -> None:
    """The fast version (about 25 s): a small scene, 8 VAE-GAN epochs, one matcher epoch."""
    cfg = load_config(
        HardNegativeConfig,
        overrides=["data.positives=256", "data.scene_size=256",
                   "generator.trainer.max_epochs=8", "matcher.trainer.max_epochs=1"],
    )  # fmt: skip
    results = train_generated_negatives(cfg, tmp_path)
    # one generated negative per positive, and both training sets equally long
    assert results["generated_negatives"] == cfg.data.positives
    sizes = results["train_pairs"]
    assert sizes["random_and_generated"] == sizes["random_negatives"]
    assert sizes["random_negatives"] == pytest.approx(3 * cfg.data.positives, rel=0.1)
    # the VAE-GAN learnt the patches: a generated patch is nearer its source than another
    # SAR patch is (hard), yet not a copy (novel)
    h = results["hardness"]
    assert 0.01 < h["generated_to_source"] < 0.85 * h["random_to_source"]
    assert json.loads((tmp_path / "results.json").read_text())["hardness"] == h
    resolved = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert resolved["generator"]["trainer"]["max_epochs"] == 8
    assert (tmp_path / "vaegan" / "generator.safetensors").is_file()


@pytest.mark.slow
def test_both_matchers_learn_and_their_fpr_is_reported(tmp_path: Path) -> None:
    """The README's setup, smaller (about 90 s): whatever the generated negatives do to the
    FPR (on generated scenes it gets worse: see the README), both matchers learn."""
    cfg = load_config(
        HardNegativeConfig,
        overrides=["data.positives=512", "generator.trainer.max_epochs=12",
                   "matcher.trainer.max_epochs=10"],
    )  # fmt: skip
    results = train_generated_negatives(cfg, tmp_path)
    assert results["random_negatives"]["far"]["auc"] > 0.8
    for name in ("random_negatives", "random_and_generated"):
        for split in ("far", "near"):
            report = results[name][split]
            assert report["auc"] > 0.6, (name, split, report)
