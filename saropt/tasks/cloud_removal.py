"""SAR-Opt-cGAN (and its Opt-cGAN twin) for cloud removal, as a LightningModule.

Paper: Grohnfeldt, Schmitt and Zhu, "A conditional generative adversarial network to fuse
SAR and multispectral optical data for cloud removal from Sentinel-2 images", IGARSS 2018.
pix2pix training as in :mod:`saropt.tasks.pix2pix`: a discriminator step then a generator
step per batch, cGAN loss + 100 * L1, and an exponential moving average of the generator
that validation measures and that runs export.

Validation metrics are computed on reflectance (0..1): RMSE, MAE, PSNR, SAM (degrees) and
SSIM overall, RMSE and SAM on cloudy and on clear pixels, and RMSE per band
(RMSE, MAE, PSNR and SSIM through torchmetrics, :mod:`saropt.metrics.modules`; the
others by :func:`saropt.metrics.summary.image_metrics`), with the cloudy input's for
reference.
"""

from __future__ import annotations

import torch

from saropt.datasets.common import Batch
from saropt.losses.gan import GanMode
from saropt.metrics.functional import rmse
from saropt.metrics.modules import image_metric_collection
from saropt.metrics.summary import image_metrics
from saropt.models import CloudRemovalGenerator, PatchGANDiscriminator
from saropt.tasks.pix2pix import Pix2PixTask


class CloudRemovalTask(Pix2PixTask):
    """SAR-Opt-cGAN / Opt-cGAN training.

    Args:
        optical_channels: Optical bands.
        sar_channels: SAR bands; 0 trains the Opt-cGAN twin.
        width: Generator width (64: the paper).
        depth: Generator levels (8: the paper).
        dropout: Decoder dropout (0.4: the paper).
        disc_width: Discriminator width.
        lr, l1_weight, gan_mode, ema_decay, fused_adam: see :class:`Pix2PixTask`.
    """

    def __init__(
        self,
        optical_channels: int = 13,
        sar_channels: int = 2,
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
        self.generator = CloudRemovalGenerator(
            optical_channels, sar_channels, width=width, depth=depth, dropout=dropout
        )
        self.discriminator = PatchGANDiscriminator(
            2 * optical_channels + sar_channels, width=disc_width
        )
        self.init_ema()
        self.val_metrics = image_metric_collection("val/")

    def split_batch(
        self, batch: Batch
    ) -> tuple[tuple[torch.Tensor | None, ...], torch.Tensor, torch.Tensor]:
        sar = batch["sar"] if self.generator.uses_sar else None
        cond = batch["cloudy"] if sar is None else torch.cat([batch["cloudy"], sar], dim=1)
        return (batch["cloudy"], sar), cond, batch["target"]

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        pred = ((self.predict_batch(batch) + 1.0) / 2.0).clamp(0.0, 1.0)  # reflectance
        target = (batch["target"] + 1.0) / 2.0
        cloudy_in = (batch["cloudy"] + 1.0) / 2.0
        n = target.shape[0]
        # RMSE, MAE, PSNR, SSIM through torchmetrics, accumulated over the epoch
        self.val_metrics.update(pred, target)
        self.log_dict(self.val_metrics, batch_size=n)
        # what torchmetrics lacks: SAM, and the errors on cloudy and on clear pixels
        for name, value in image_metrics(pred, target, batch["mask"], overall=False).items():
            self.log(f"val/{name}", value, batch_size=n)
        reference = image_metrics(cloudy_in, target, batch["mask"], overall=False)
        reference["rmse"] = float(rmse(cloudy_in, target))
        for name in ("rmse_cloudy", "sam_cloudy", "rmse"):
            if name in reference:
                self.log(f"val_input/{name}", reference[name], batch_size=n)
