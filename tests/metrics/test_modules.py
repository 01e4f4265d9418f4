"""The torchmetrics the tasks log agree with the hand-written reference functions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from saropt.metrics.functional import mae, psnr, rmse, roc_auc, ssim
from saropt.metrics.modules import error_metric_collection, image_metric_collection, match_auroc


@pytest.fixture
def images() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    target = torch.rand(4, 3, 32, 32, generator=g)
    pred = (target + 0.1 * torch.randn(4, 3, 32, 32, generator=g)).clamp(0, 1)
    return pred, target


class TestAgainstReference:
    def test_image_metrics_equal_the_functions(
        self, images: tuple[torch.Tensor, torch.Tensor]
    ) -> None:
        pred, target = images
        got = {k: float(v) for k, v in image_metric_collection("v/")(pred, target).items()}
        assert got["v/rmse"] == pytest.approx(float(rmse(pred, target)), rel=1e-5)
        assert got["v/mae"] == pytest.approx(float(mae(pred, target)), rel=1e-5)
        assert got["v/psnr"] == pytest.approx(float(psnr(pred, target, data_range=1.0)), rel=1e-5)
        # torchmetrics averages SSIM over the whole image, its 5 px border computed on a
        # reflect-padded copy; the reference averages the valid region only. Inside the
        # border the two maps are the same, and the whole-image value differs by 0.1 % here
        from torchmetrics.functional.image import structural_similarity_index_measure

        _, full = structural_similarity_index_measure(
            pred, target, data_range=1.0, return_full_image=True
        )
        inner = float(full[..., 5:-5, 5:-5].mean())
        assert inner == pytest.approx(float(ssim(pred, target, data_range=1.0)), rel=1e-5)
        assert got["v/ssim"] == pytest.approx(float(full.mean()), rel=1e-5)
        assert got["v/ssim"] == pytest.approx(inner, rel=2e-3)

    def test_epoch_accumulation_pools_the_errors(
        self, images: tuple[torch.Tensor, torch.Tensor]
    ) -> None:
        # two updates give the metric of all pixels together, not a mean of batch values
        pred, target = images
        m = error_metric_collection("v/", "db")
        m.update(pred[:1], target[:1])
        m.update(pred[1:], target[1:])
        got = m.compute()
        assert float(got["v/rmse_db"]) == pytest.approx(float(rmse(pred, target)), rel=1e-5)
        assert float(got["v/mae_db"]) == pytest.approx(float(mae(pred, target)), rel=1e-5)

    def test_auroc_equals_roc_auc(self) -> None:
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 2, 200)
        scores = labels * 0.4 + rng.uniform(0, 1, 200)
        m = match_auroc()
        m.update(torch.from_numpy(scores), torch.from_numpy(labels))
        assert float(m.compute()) == pytest.approx(roc_auc(scores, labels.astype(float)), rel=1e-6)
