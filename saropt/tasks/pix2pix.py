"""What every conditional-GAN task shares (pix2pix training as in Isola et al. 2017).

A discriminator step then a generator step per batch (manual optimisation), Adam
(lr 2e-4, betas 0.5/0.999), generator loss = cGAN loss + ``l1_weight`` * L1, and an
exponential moving average of the generator (``ema_decay``, reached after a warm-up during
which the decay is ``(1 + step) / (10 + step)``) that validation measures and runs export.
The global RNG state (it drives dropout) travels in checkpoints, and the data modules
shuffle with an epoch-seeded sampler, so a resumed run continues exactly where it stopped.

Subclasses build ``self.generator`` and ``self.discriminator``, call :meth:`init_ema`, and
say how a batch becomes generator inputs, discriminator condition and target.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, cast

import lightning as L
import torch
from lightning.pytorch.core.optimizer import LightningOptimizer
from torch import nn

from saropt.datasets.common import Batch
from saropt.losses import discriminator_loss, generator_loss
from saropt.losses.gan import GanMode


class Pix2PixTask(L.LightningModule):
    """Base of the conditional-GAN tasks.

    Args:
        lr: Adam learning rate of both networks.
        l1_weight: Lambda of the L1 term (100).
        gan_mode: "bce" (pix2pix) or "lsgan".
        ema_decay: Decay of the generator's moving average (0.99).
        fused_adam: Adam's fused kernel (one pass over all weights): 1.5-1.9x samples/s
            for the paper-size step, 1.0-1.1x for the tiny one on this 2-core CPU
            (`benchmarks/train_speed.py`); the same update up to rounding, off by default
            so earlier runs repeat bit for bit.
    """

    generator: nn.Module
    discriminator: nn.Module
    ema: nn.Module

    def __init__(
        self,
        *,
        lr: float = 2e-4,
        l1_weight: float = 100.0,
        gan_mode: GanMode = "bce",
        ema_decay: float = 0.99,
        fused_adam: bool = False,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.lr = lr
        self.l1_weight = l1_weight
        self.gan_mode: GanMode = gan_mode
        self.ema_decay = ema_decay
        self.fused_adam = fused_adam

    def init_ema(self) -> None:
        """Start the moving average from the generator (call after building it)."""
        self.ema = copy.deepcopy(self.generator).requires_grad_(False)  # eval when used

    def split_batch(
        self, batch: Batch
    ) -> tuple[tuple[torch.Tensor | None, ...], torch.Tensor, torch.Tensor]:
        """(generator inputs, discriminator condition, target) of a batch."""
        raise NotImplementedError

    def training_step(self, batch: Batch, batch_idx: int) -> None:
        opt_g, opt_d = cast(list[LightningOptimizer], self.optimizers())
        inputs, cond, target = self.split_batch(batch)
        losses = self.adversarial_step(inputs, cond, target, opt_g, opt_d, self.manual_backward)
        self.log_dict(
            {f"train/{k}": v for k, v in losses.items()},
            on_step=False,
            on_epoch=True,
            batch_size=target.shape[0],
        )

    def adversarial_step(
        self,
        inputs: tuple[torch.Tensor | None, ...],
        cond: torch.Tensor,
        target: torch.Tensor,
        opt_g: Any,
        opt_d: Any,
        backward: Callable[[torch.Tensor], None],
    ) -> dict[str, torch.Tensor]:
        """One pix2pix step: the discriminator's, the generator's, then the EMA update;
        returns the losses (``g_loss``, ``d_loss``, ``adv``, ``l1``). Lightning's step and
        `benchmarks/train_speed.py` both run this."""
        fake = self.generator(*inputs)
        # discriminator: real pairs against generated ones
        d_loss = discriminator_loss(
            self.discriminator(cond, target), self.discriminator(cond, fake.detach()), self.gan_mode
        )
        opt_d.zero_grad()
        backward(d_loss)
        opt_d.step()
        # generator: fool the discriminator and stay close to the target
        g_loss, adv, l1 = generator_loss(
            self.discriminator(cond, fake),
            fake,
            target,
            l1_weight=self.l1_weight,
            mode=self.gan_mode,
        )
        opt_g.zero_grad()
        backward(g_loss)
        opt_g.step()
        self._update_ema()
        return {"g_loss": g_loss, "d_loss": d_loss, "adv": adv, "l1": l1}

    @torch.no_grad()
    def _update_ema(self) -> None:
        # warm-up: early on the average follows the generator closely, so a short run is not
        # dominated by the random initial weights (decay reaches ema_decay after ~900 steps)
        n = self.global_step
        d = min(self.ema_decay, (1.0 + n) / (10.0 + n))
        ema: list[torch.Tensor] = list(self.ema.parameters())
        gen: list[torch.Tensor] = list(self.generator.parameters())
        if len(ema) != len(gen):
            raise RuntimeError("the EMA generator and the generator differ in parameters")
        # one multi-tensor kernel each (the same arithmetic as a loop of mul_ then add_)
        torch._foreach_mul_(ema, d)
        torch._foreach_add_(ema, [p.detach() for p in gen], alpha=1.0 - d)
        for eb, b in zip(self.ema.buffers(), self.generator.buffers(), strict=True):
            eb.copy_(b)

    def predict_batch(self, batch: Batch) -> torch.Tensor:
        """The EMA generator's prediction, in [-1, 1]."""
        inputs, _, _ = self.split_batch(batch)
        self.ema.eval()
        result: torch.Tensor = self.ema(*inputs)
        return result

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        betas = (0.5, 0.999)
        fused = self.fused_adam or None  # None: torch's default implementation
        return [
            torch.optim.Adam(self.generator.parameters(), lr=self.lr, betas=betas, fused=fused),
            torch.optim.Adam(self.discriminator.parameters(), lr=self.lr, betas=betas, fused=fused),
        ]

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # the global RNG drives dropout: keep it so a resumed run continues the same stream
        checkpoint["saropt_rng"] = torch.get_rng_state()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "saropt_rng" in checkpoint:
            torch.set_rng_state(checkpoint["saropt_rng"])
