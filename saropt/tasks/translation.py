"""Optical <-> SAR image translation with the same cGAN framework (DREAM section 3.2;
Merkle et al., "Exploring the potential of conditional adversarial networks for optical and
SAR image matching", IEEE JSTARS 2018). The matching issue uses opt2sar.

Validation measures the error in the target's own units (dB for SAR, reflectance for
optical) against a baseline that predicts each band's mean.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import lightning as L
import torch

from saropt.datasets.translation import Direction, TranslationDataset
from saropt.errors import ConfigError
from saropt.io.sentinel import S1_DB_RANGE, S2_BANDS
from saropt.metrics.functional import mae, rmse, sam
from saropt.models import PatchGANDiscriminator, TranslationGenerator, save_model
from saropt.tasks.common import YamlConfig, generated_pair
from saropt.tasks.pix2pix import Batch, Pix2PixTask, fit


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
        gan_mode: Literal["bce", "lsgan"] = "bce",
        ema_decay: float = 0.99,
    ) -> None:
        super().__init__(lr=lr, l1_weight=l1_weight, gan_mode=gan_mode, ema_decay=ema_decay)
        self.save_hyperparameters()
        self.direction = direction
        self.generator = TranslationGenerator(
            in_channels, out_channels, width=width, depth=depth, dropout=dropout
        )
        self.discriminator = PatchGANDiscriminator(in_channels + out_channels, width=disc_width)
        self.init_ema()

    def split_batch(
        self, batch: Batch
    ) -> tuple[tuple[torch.Tensor | None, ...], torch.Tensor, torch.Tensor]:
        return (batch["source"],), batch["source"], batch["target"]

    def _units(self, x: torch.Tensor) -> torch.Tensor:
        """[-1, 1] back to dB (SAR) or reflectance (optical)."""
        if self.direction == "opt2sar":
            lo, hi = S1_DB_RANGE
            return (x + 1.0) / 2.0 * (hi - lo) + lo
        return (x + 1.0) / 2.0

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        pred = self._units(self.predict_batch(batch))
        target = self._units(batch["target"])
        baseline = target.mean(dim=(0, 2, 3), keepdim=True).expand_as(target)
        n = target.shape[0]
        unit = "db" if self.direction == "opt2sar" else "refl"
        for name, x in (("val", pred), ("val_baseline", baseline)):
            self.log(f"{name}/mae_{unit}", mae(x, target), batch_size=n)
            self.log(f"{name}/rmse_{unit}", rmse(x, target), batch_size=n)
            if self.direction == "sar2opt":
                self.log(f"{name}/sam", sam(x, target), batch_size=n)


@dataclass
class TranslationConfig(YamlConfig):
    """A translation experiment (tiny CPU defaults)."""

    direction: Direction = "opt2sar"
    width: int = 16
    depth: int = 5
    dropout: float = 0.4
    disc_width: int = 16
    scene_size: int = 384
    seed: int = 0
    patch_size: int = 64
    train_length: int = 256
    val_length: int = 64
    bands: tuple[str, ...] = S2_BANDS
    epochs: int = 10
    batch_size: int = 8
    lr: float = 2e-4
    l1_weight: float = 100.0
    gan_mode: Literal["bce", "lsgan"] = "bce"
    ema_decay: float = 0.99


def train_translation(
    cfg: TranslationConfig,
    out: str | Path,
    *,
    resume: str | Path | None = None,
    progress: bool = False,
) -> dict[str, float]:
    """Train on one generated scene, validate on another, export the EMA generator."""
    if cfg.direction not in ("opt2sar", "sar2opt"):
        raise ConfigError(f"direction must be opt2sar or sar2opt; got {cfg.direction!r}")
    out = Path(out)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    opt, sar = generated_pair(cfg.scene_size, cfg.seed, cfg.bands)
    vopt, vsar = generated_pair(cfg.scene_size, cfg.seed + 1000, cfg.bands)
    train = TranslationDataset(opt, sar, cfg.direction, patch_size=cfg.patch_size,
                               length=cfg.train_length, seed=cfg.seed)  # fmt: skip
    val = TranslationDataset(vopt, vsar, cfg.direction, patch_size=cfg.patch_size,
                             length=cfg.val_length, seed=cfg.seed + 1)  # fmt: skip
    n_opt, n_sar = len(cfg.bands), 2
    cin, cout = (n_opt, n_sar) if cfg.direction == "opt2sar" else (n_sar, n_opt)
    task = TranslationTask(
        cin, cout, cfg.direction, width=cfg.width, depth=cfg.depth, dropout=cfg.dropout,
        disc_width=cfg.disc_width, lr=cfg.lr, l1_weight=cfg.l1_weight, gan_mode=cfg.gan_mode,
        ema_decay=cfg.ema_decay,
    )  # fmt: skip
    metrics = fit(task, train, val, out, epochs=cfg.epochs, batch_size=cfg.batch_size,
                  seed=cfg.seed, resume=resume, progress=progress)  # fmt: skip
    save_model(
        task.ema,
        out / "generator",
        "translation_generator",
        {
            "in_channels": cin,
            "out_channels": cout,
            "width": cfg.width,
            "depth": cfg.depth,
            "dropout": cfg.dropout,
        },
        direction=cfg.direction,
        bands=list(cfg.bands),
        normalization="s2 and s1 to [-1, 1] (saropt.io.sentinel, symmetric=True)",
        config=asdict(cfg),
        metrics=metrics,
    )
    return metrics
