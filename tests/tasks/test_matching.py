"""The matching tasks' steps: what each loss sees."""

from __future__ import annotations

import pytest
import torch

from saropt.losses import hardest_triplet_loss
from saropt.tasks.matching import DescriptorTask


class TestDescriptorTask:
    @pytest.fixture
    def batch(self) -> dict[str, torch.Tensor]:
        g = torch.Generator().manual_seed(0)
        return {
            "optical": torch.rand(6, 13, 32, 32, generator=g),
            "sar": torch.rand(6, 2, 32, 32, generator=g),
            "sar_negative": torch.rand(6, 2, 32, 32, generator=g),
            "label": torch.ones(6),
        }

    def test_a_mined_negative_competes_with_the_batch(self, batch: dict[str, torch.Tensor]) -> None:
        torch.manual_seed(0)
        task = DescriptorTask(width=4, warmup_epochs=0).eval()  # eval: fixed batch norm
        task.log = lambda *a, **k: None  # type: ignore[method-assign]  # no trainer here
        with torch.no_grad():
            a, b = task.model(batch["optical"], batch["sar"])
            n = task.model.embed(batch["sar_negative"], optical=False)
            mined = task.training_step(batch, 0)
            plain = task.training_step({k: v for k, v in batch.items() if k != "sar_negative"}, 0)
        assert mined is not None and plain is not None
        expected = hardest_triplet_loss(a, b, 1.0, mined=(a - n).norm(dim=1))
        torch.testing.assert_close(mined, expected)
        torch.testing.assert_close(plain, hardest_triplet_loss(a, b, 1.0))
        assert mined >= plain  # a harder negative can only raise the loss

    def test_warm_up_uses_random_in_batch_negatives(self, batch: dict[str, torch.Tensor]) -> None:
        torch.manual_seed(0)
        task = DescriptorTask(width=4, warmup_epochs=3).eval()
        task.log = lambda *a, **k: None  # type: ignore[method-assign]
        with torch.no_grad():
            a, b = task.model(batch["optical"], batch["sar"])
            loss = task.training_step(batch, 0)  # epoch 0 < 3: the mined negative is unused
        expected = torch.relu(1.0 + (a - b).norm(dim=1) - (a - b.roll(1, 0)).norm(dim=1)).mean()
        assert loss is not None
        torch.testing.assert_close(loss, expected)
