"""GAN losses against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from saropt.losses import (
    DiscriminatorLoss,
    GeneratorLoss,
    discriminator_loss,
    gan_loss,
    generator_loss,
)


class TestGanLosses:
    def test_bce_hand_values(self) -> None:
        zero = torch.zeros(2, 1, 3, 3)  # sigmoid(0) = 0.5
        assert gan_loss(zero, True).item() == pytest.approx(math.log(2))
        assert gan_loss(torch.full((4,), 2.0), False).item() == pytest.approx(
            -math.log(1 - 1 / (1 + math.exp(-2)))
        )

    def test_lsgan_hand_values(self) -> None:
        x = torch.tensor([0.0, 2.0])
        assert gan_loss(x, True, "lsgan").item() == pytest.approx((1 + 1) / 2)
        assert gan_loss(x, False, "lsgan").item() == pytest.approx((0 + 4) / 2)
        with pytest.raises(ValueError, match="unknown GAN loss"):
            gan_loss(x, True, "hinge")  # type: ignore[arg-type]

    def test_generator_and_discriminator(self) -> None:
        fake = torch.zeros(1, 2, 4, 4)
        target = torch.full((1, 2, 4, 4), 0.5)
        logits = torch.zeros(1, 1, 2, 2)
        total, adv, l1 = generator_loss(logits, fake, target)
        assert l1.item() == pytest.approx(0.5)
        assert total.item() == pytest.approx(math.log(2) + 100 * 0.5)
        mod = GeneratorLoss(l1_weight=10.0)(logits, fake, target)[0]
        assert mod.item() == pytest.approx(math.log(2) + 10 * 0.5)
        assert discriminator_loss(logits, logits).item() == pytest.approx(math.log(2))
        assert DiscriminatorLoss("lsgan")(logits, logits).item() == pytest.approx(0.5)
        assert adv.item() == pytest.approx(math.log(2))
