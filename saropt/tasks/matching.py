"""The SAR-optical matching tasks (Hughes et al., "Deep learning for SAR-optical image
matching", IGARSS 2019, and the works it summarises), as LightningModules.

* :class:`ShiftTask`: the siamese shift classifier (Merkle et al. 2017), smooth
  cross-entropy over the shifts of a dense correlation.
* :class:`BinaryMatchTask`: the pseudo-siamese matcher (Hughes et al. 2018), binary
  cross-entropy on labelled pairs; AUROC logged through torchmetrics.
* :class:`DescriptorTask`: the two-stream HardNet-style descriptor (Bürgmann et al. 2019),
  triplet loss over the hardest in-batch negatives.
* :class:`VAEGANTask`: the variational GAN whose samples serve as hard negatives (Hughes
  et al. 2018).
"""

from __future__ import annotations

from typing import cast

import lightning as L
import torch
from lightning.pytorch.core.optimizer import LightningOptimizer

from saropt.datasets.common import Batch
from saropt.losses import (
    discriminator_loss,
    gan_loss,
    gaussian_kl,
    hardest_triplet_loss,
    smooth_cross_entropy,
)
from saropt.metrics.modules import match_auroc
from saropt.models import (
    PatchGANDiscriminator,
    PseudoSiameseMatcher,
    ShiftClassifier,
    TwoStreamDescriptor,
    VariationalSARGenerator,
    peak_shift,
)


class ShiftTask(L.LightningModule):
    """Shift classification over the score map with a smooth cross-entropy."""

    def __init__(
        self, optical_channels: int = 13, sar_channels: int = 2, *, width: int = 32,
        layers: int = 6, lr: float = 1e-3, sigma: float = 1.0,
    ) -> None:  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.model = ShiftClassifier(optical_channels, sar_channels, width=width, layers=layers)
        self.lr = lr
        self.sigma = sigma

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        logits = self.model(batch["optical"], batch["sar"])
        loss = smooth_cross_entropy(logits, batch["shift"], self.sigma)
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=logits.shape[0])
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        shifts, _, _ = peak_shift(self.model(batch["optical"], batch["sar"]))
        err = (shifts - batch["shift"]).norm(dim=1)
        self.log("val/mean_px", err.mean(), batch_size=len(err))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.model.parameters(), lr=self.lr)


class BinaryMatchTask(L.LightningModule):
    """Pseudo-siamese matcher trained with binary cross-entropy on labelled pairs."""

    def __init__(self, optical_channels: int = 13, sar_channels: int = 2, *, width: int = 16,
                 lr: float = 1e-3) -> None:  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.model = PseudoSiameseMatcher(optical_channels, sar_channels, width=width)
        self.lr = lr
        self.val_auroc = match_auroc()

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        logits = self.model(batch["optical"], batch["sar"])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, batch["label"])
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(logits))
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        probability = torch.sigmoid(self.model(batch["optical"], batch["sar"]))
        self.val_auroc.update(probability, batch["label"].long())
        self.log("val/auroc", self.val_auroc, batch_size=len(probability))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.model.parameters(), lr=self.lr)


class DescriptorTask(L.LightningModule):
    """Two-stream descriptor trained with the hardest-in-batch triplet loss on positives.

    Batches whose samples carry a ``sar_negative`` (a negative mined from the whole dataset,
    :class:`~saropt.datasets.matching.MinedTriplets`) let that negative compete with the
    batch's own, as Bürgmann et al. mine them.
    """

    def __init__(
        self,
        optical_channels: int = 13,
        sar_channels: int = 2,
        *,
        width: int = 16,
        lr: float = 1e-3,
        margin: float = 1.0,
        warmup_epochs: int = 3,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = TwoStreamDescriptor(optical_channels, sar_channels, width=width)
        self.lr = lr
        self.margin = margin
        self.warmup_epochs = warmup_epochs

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor | None:
        positives = batch["label"] > 0.5  # negatives come from the batch itself
        if positives.sum() < 2:  # no negative to learn from (and batch norm needs two)
            return None
        a, b = self.model(batch["optical"][positives], batch["sar"][positives])
        if self.current_epoch < self.warmup_epochs:
            # from a random start the hardest negatives collapse every descriptor onto one
            # point (the loss sticks at the margin); random in-batch negatives first
            neg = (a - b.roll(1, dims=0)).norm(dim=1)
            loss = torch.relu(self.margin + (a - b).norm(dim=1) - neg).mean()
        elif "sar_negative" in batch:  # negatives mined from the whole dataset compete too
            n = self.model.embed(batch["sar_negative"][positives], optical=False)
            loss = hardest_triplet_loss(a, b, self.margin, mined=(a - n).norm(dim=1))
        else:
            loss = hardest_triplet_loss(a, b, self.margin)
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(a))
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.model.parameters(), lr=self.lr)


class VAEGANTask(L.LightningModule):
    """VAE-GAN on SAR patches: L1 reconstruction + KL + adversarial terms on
    reconstructions and on decoded prior samples (manual optimisation)."""

    def __init__(
        self,
        channels: int = 2,
        *,
        width: int = 16,
        latent: int = 8,
        levels: int = 3,
        disc_width: int = 16,
        lr: float = 2e-4,
        l1_weight: float = 10.0,
        kl_weight: float = 0.01,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.generator = VariationalSARGenerator(channels, width=width, latent=latent,
                                                 levels=levels)  # fmt: skip
        self.discriminator = PatchGANDiscriminator(channels, width=disc_width, layers=2)
        self.lr = lr
        self.l1_weight = l1_weight
        self.kl_weight = kl_weight

    def _judge(self, x: torch.Tensor) -> torch.Tensor:
        empty = x[:, :0]  # unconditional: the PatchGAN's condition has no channels
        result: torch.Tensor = self.discriminator(empty, x)
        return result

    def training_step(self, batch: Batch, batch_idx: int) -> None:
        opt_g, opt_d = cast(list[LightningOptimizer], self.optimizers())
        x = batch["sar"]
        recon, mu, logvar = self.generator(x)
        prior = self.generator.decode(torch.randn_like(mu))
        d_loss = discriminator_loss(self._judge(x), self._judge(recon.detach()))
        d_loss = 0.5 * (d_loss + discriminator_loss(self._judge(x), self._judge(prior.detach())))
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        l1 = (recon - x).abs().mean()
        kl = gaussian_kl(mu, logvar)
        adv = 0.5 * (gan_loss(self._judge(recon), True) + gan_loss(self._judge(prior), True))
        g_loss = self.l1_weight * l1 + self.kl_weight * kl + adv
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self.log_dict({"train/l1": l1, "train/kl": kl, "train/adv": adv, "train/d_loss": d_loss},
                      on_step=False, on_epoch=True, batch_size=len(x))  # fmt: skip

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        betas = (0.5, 0.999)
        return [
            torch.optim.Adam(self.generator.parameters(), lr=self.lr, betas=betas),
            torch.optim.Adam(self.discriminator.parameters(), lr=self.lr, betas=betas),
        ]
