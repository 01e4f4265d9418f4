"""Approach 5: the VAE-GAN, its generated hard negatives, and the matcher trained on them."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest
import torch

from saropt.datasets.matching import PairTensors
from saropt.losses import gaussian_kl
from saropt.models import VariationalSARGenerator, create_model
from saropt.tasks.hard_negatives import HardNegativeConfig, train_generated_negatives


def test_gaussian_kl_hand_values() -> None:
    zero = torch.zeros(3, 4, 2, 2)
    assert gaussian_kl(zero, zero).item() == 0.0  # the prior itself
    # per dimension: 0.5 * (mu^2 + e^lv - 1 - lv); mu = 1, lv = 0 -> 0.5; 16 dims -> 8
    assert gaussian_kl(torch.ones(2, 16), torch.zeros(2, 16)).item() == pytest.approx(8.0)
    lv = torch.full((1, 1), math.log(4.0))  # sigma^2 = 4: 0.5 * (4 - 1 - ln 4)
    assert gaussian_kl(torch.zeros(1, 1), lv).item() == pytest.approx(0.5 * (3 - math.log(4)))


def test_generator_shapes_and_seeded_novelty() -> None:
    torch.manual_seed(0)
    gen = create_model("variational_sar_generator", width=8, latent=4)
    assert isinstance(gen, VariationalSARGenerator)
    x = torch.rand(5, 2, 32, 32)
    recon, mu, logvar = gen(x)
    assert recon.shape == x.shape and mu.shape == logvar.shape == (5, 4, 4, 4)
    assert 0 <= recon.min() and recon.max() <= 1
    gen.eval()
    a = gen.novel(x, 1.0, torch.Generator().manual_seed(3))
    b = gen.novel(x, 1.0, torch.Generator().manual_seed(3))
    c = gen.novel(x, 1.0, torch.Generator().manual_seed(4))
    torch.testing.assert_close(a, b)
    assert (a - c).abs().mean() > 1e-4
    with pytest.raises(ValueError, match="differ in length"):
        PairTensors(x, x[:4], torch.zeros(5))


def test_generated_negatives_join_training_and_their_effect_is_reported(
    tmp_path: Path,
) -> None:
    cfg = HardNegativeConfig(positives=512, vae_epochs=12, matcher_epochs=10)  # about 55 s
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = train_generated_negatives(cfg, tmp_path)
    # one generated negative per positive, and both training sets equally long
    assert results["generated_negatives"] == cfg.positives
    sizes = results["train_pairs"]
    assert (
        sizes["random_and_generated"]
        == sizes["random_negatives"]
        == pytest.approx(3 * cfg.positives, rel=0.1)
    )
    # the VAE-GAN learnt the patches: a generated patch is nearer its source than another
    # SAR patch is (hard), yet not a copy (novel)
    h = results["hardness"]
    assert 0.01 < h["generated_to_source"] < 0.85 * h["random_to_source"]
    # the baseline learns; with generated negatives the FPR is reported whatever it is (on
    # generated scenes it is worse: see the README)
    assert results["random_negatives"]["far"]["auc"] > 0.8
    for name in ("random_negatives", "random_and_generated"):
        for split in ("far", "near"):
            report = results[name][split]
            assert 0.0 <= report["fpr_at_95pct_recall"] <= 1.0, (name, split, report)
            assert 0.0 <= report["recall_at_5pct_fpr"] <= 1.0
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["results"]["hardness"] == h
    assert (tmp_path / "vaegan" / "generator.safetensors").is_file()
