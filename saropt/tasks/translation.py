"""Optical <-> SAR image translation with the same cGAN framework (DREAM section 3.2;
Merkle et al., "Exploring the potential of conditional adversarial networks for optical and
SAR image matching", IEEE JSTARS 2018). The matching issue uses opt2sar.

Validation measures the error in the target's own units (dB for SAR, reflectance for
optical) against a baseline that predicts each band's mean.
"""

from __future__ import annotations

import torch

from saropt.datasets.common import Batch
from saropt.datasets.translation import Direction
from saropt.io.sentinel import denormalize_s1, denormalize_s2, s2_dn_to_reflectance
from saropt.losses.gan import GanMode
from saropt.metrics.functional import sam
from saropt.metrics.modules import error_metric_collection
from saropt.models import PatchGANDiscriminator, TranslationGenerator
from saropt.tasks.pix2pix import Pix2PixTask


class TranslationTask(Pix2PixTask):
    """cGAN translating ``in_channels`` bands into ``out_channels`` (opt2sar or sar2opt)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        direction: Direction,
        *,
        width: int = 64,
        depth: int = 8,
        dropout: float = 0.4,
        disc_width: int = 64,
        lr: float = 2e-4,
        l1_weight: float = 100.0,
        gan_mode: GanMode = "bce",
        ema_decay: float = 0.99,
        fused_adam: bool = False,
    ) -> None:
        super().__init__(
            lr=lr, l1_weight=l1_weight, gan_mode=gan_mode, ema_decay=ema_decay,
            fused_adam=fused_adam,
        )  # fmt: skip
        self.save_hyperparameters()
        self.direction = direction
        self.generator = TranslationGenerator(
            in_channels, out_channels, width=width, depth=depth, dropout=dropout
        )
        self.discriminator = PatchGANDiscriminator(in_channels + out_channels, width=disc_width)
        self.init_ema()
        unit = "db" if direction == "opt2sar" else "refl"
        self.val_metrics = error_metric_collection("val/", unit)
        self.baseline_metrics = error_metric_collection("val_baseline/", unit)

    def split_batch(
        self, batch: Batch
    ) -> tuple[tuple[torch.Tensor | None, ...], torch.Tensor, torch.Tensor]:
        return (batch["source"],), batch["source"], batch["target"]

    def _units(self, x: torch.Tensor) -> torch.Tensor:
        """[-1, 1] back to dB (SAR) or reflectance (optical)."""
        if self.direction == "opt2sar":
            return denormalize_s1(x, symmetric=True)
        return s2_dn_to_reflectance(denormalize_s2(x, symmetric=True))

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        pred = self._units(self.predict_batch(batch))
        target = self._units(batch["target"])
        baseline = target.mean(dim=(0, 2, 3), keepdim=True).expand_as(target)
        n = target.shape[0]
        for metrics, x in ((self.val_metrics, pred), (self.baseline_metrics, baseline)):
            metrics.update(x.contiguous(), target)  # MAE, RMSE by torchmetrics, over the epoch
            self.log_dict(metrics, batch_size=n)
        if self.direction == "sar2opt":
            self.log("val/sam", sam(pred, target), batch_size=n)
            self.log("val_baseline/sam", sam(baseline, target), batch_size=n)
