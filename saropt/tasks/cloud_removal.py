"""Training SAR-Opt-cGAN (and its Opt-cGAN twin) for cloud removal with Lightning.

Paper: Grohnfeldt, Schmitt and Zhu, IGARSS 2018. pix2pix training: Adam (lr 2e-4,
betas 0.5/0.999), a discriminator step then a generator step per batch (manual
optimisation), generator loss = cGAN loss + 100 * L1. An exponential moving average of the
generator (decay 0.99, reached after a warm-up of about 900 steps during which the decay
is ``(1 + step) / (10 + step)``) is what validation measures and what is exported.

Validation metrics are computed on reflectance (0..1): RMSE, MAE, PSNR, SAM (degrees) and
SSIM overall, RMSE and SAM on cloudy and on clear pixels, and RMSE per band.
"""

from __future__ import annotations

import copy
import logging
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import lightning as L
import numpy as np
import torch
import yaml
from lightning.pytorch.core.optimizer import LightningOptimizer
from torch.utils.data import DataLoader

from saropt.datasets import EpochShuffleSampler, SyntheticCloudDataset
from saropt.errors import ConfigError
from saropt.io.sentinel import S2_BANDS
from saropt.losses import discriminator_loss, generator_loss
from saropt.metrics.functional import mae, psnr, rmse, sam, ssim
from saropt.models import CloudRemovalGenerator, PatchGANDiscriminator, save_model
from saropt.synth import generate_scene

Batch = dict[str, torch.Tensor]


class CloudRemovalTask(L.LightningModule):
    """SAR-Opt-cGAN / Opt-cGAN training.

    Args:
        optical_channels: Optical bands.
        sar_channels: SAR bands; 0 trains the Opt-cGAN twin.
        width: Generator width (64: the paper).
        depth: Generator levels (8: the paper).
        dropout: Decoder dropout (0.4: the paper).
        disc_width: Discriminator width.
        lr: Adam learning rate for both networks.
        l1_weight: Lambda of the L1 term (100).
        gan_mode: "bce" (the paper) or "lsgan".
        ema_decay: Decay of the generator's moving average (0.99).
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
        gan_mode: Literal["bce", "lsgan"] = "bce",
        ema_decay: float = 0.99,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.lr = lr
        self.l1_weight = l1_weight
        self.gan_mode: Literal["bce", "lsgan"] = gan_mode
        self.ema_decay = ema_decay
        self.generator = CloudRemovalGenerator(
            optical_channels, sar_channels, width=width, depth=depth, dropout=dropout
        )
        self.discriminator = PatchGANDiscriminator(
            2 * optical_channels + sar_channels, width=disc_width
        )
        self.ema = copy.deepcopy(self.generator).requires_grad_(False)  # eval in predict_batch

    def _inputs(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        sar = batch["sar"] if self.generator.uses_sar else None
        cond = batch["cloudy"] if sar is None else torch.cat([batch["cloudy"], sar], dim=1)
        return batch["cloudy"], sar, cond

    def training_step(self, batch: Batch, batch_idx: int) -> None:
        opt_g, opt_d = cast(list[LightningOptimizer], self.optimizers())
        cloudy, sar, cond = self._inputs(batch)
        target = batch["target"]
        fake = self.generator(cloudy, sar)
        # discriminator: real pairs against generated ones
        d_loss = discriminator_loss(
            self.discriminator(cond, target), self.discriminator(cond, fake.detach()), self.gan_mode
        )
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        # generator: fool the discriminator and stay close to the clear image
        g_loss, adv, l1 = generator_loss(
            self.discriminator(cond, fake),
            fake,
            target,
            l1_weight=self.l1_weight,
            mode=self.gan_mode,
        )
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self._update_ema()
        self.log_dict(
            {"train/g_loss": g_loss, "train/d_loss": d_loss, "train/adv": adv, "train/l1": l1},
            on_step=False,
            on_epoch=True,
            batch_size=target.shape[0],
        )

    @torch.no_grad()
    def _update_ema(self) -> None:
        # warm-up: early on the average follows the generator closely, so a short run is not
        # dominated by the random initial weights (decay reaches ema_decay after ~900 steps)
        n = self.global_step
        d = min(self.ema_decay, (1.0 + n) / (10.0 + n))
        for e, p in zip(self.ema.parameters(), self.generator.parameters(), strict=True):
            e.mul_(d).add_(p.detach(), alpha=1.0 - d)
        for eb, b in zip(self.ema.buffers(), self.generator.buffers(), strict=True):
            eb.copy_(b)

    def predict_batch(self, batch: Batch) -> torch.Tensor:
        """The EMA generator's prediction, in [-1, 1]."""
        cloudy, sar, _ = self._inputs(batch)
        self.ema.eval()
        result: torch.Tensor = self.ema(cloudy, sar)
        return result

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        pred = (self.predict_batch(batch) + 1.0) / 2.0  # reflectance
        target = (batch["target"] + 1.0) / 2.0
        cloudy_in = (batch["cloudy"] + 1.0) / 2.0
        n = target.shape[0]
        for name, value in evaluate(pred, target, batch["mask"]).items():
            self.log(f"val/{name}", value, batch_size=n)
        for name, value in evaluate(cloudy_in, target, batch["mask"]).items():
            if name in ("rmse_cloudy", "sam_cloudy", "rmse"):
                self.log(f"val_input/{name}", value, batch_size=n)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        betas = (0.5, 0.999)
        lr = self.lr
        return [
            torch.optim.Adam(self.generator.parameters(), lr=lr, betas=betas),
            torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=betas),
        ]

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # the global RNG drives dropout: keep it so a resumed run continues the same stream
        checkpoint["saropt_rng"] = torch.get_rng_state()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "saropt_rng" in checkpoint:
            torch.set_rng_state(checkpoint["saropt_rng"])


def evaluate(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
    """Cloud-removal metrics on reflectance: overall, cloudy/clear pixels and per band.

    Shape:
        pred, target (N, C, H, W) in 0..1; mask (N, H, W) bool, True under cloud.
    """
    out = {
        "rmse": rmse(pred, target),
        "mae": mae(pred, target),
        "psnr": psnr(pred, target, data_range=1.0),
        "sam": sam(pred, target),
        "ssim": ssim(pred, target, data_range=1.0),
    }
    if mask.any():
        out["rmse_cloudy"] = rmse(pred, target, mask)
        out["sam_cloudy"] = sam(pred, target, mask)
    if (~mask).any():
        out["rmse_clear"] = rmse(pred, target, ~mask)
        out["sam_clear"] = sam(pred, target, ~mask)
    for b, v in enumerate(rmse(pred, target, per_band=True)):
        out[f"rmse_band{b:02d}"] = v
    return {k: float(v) for k, v in out.items()}


@dataclass
class CloudRemovalConfig:
    """A cloud-removal experiment, as read from YAML (``configs/cloud_removal_*.yaml``).

    The defaults are the tiny CPU setup of ``configs/cloud_removal_tiny.yaml`` (a test keeps
    the two equal): about 90 s of training per model on 2 cores.
    """

    use_sar: bool = True
    width: int = 16
    depth: int = 5
    dropout: float = 0.4
    disc_width: int = 16
    scene_size: int = 384
    seed: int = 0
    patch_size: int = 64
    train_length: int = 256
    val_length: int = 64
    coverage: tuple[float, float] = (0.4, 0.9)
    bands: tuple[str, ...] = S2_BANDS
    epochs: int = 30
    batch_size: int = 8
    lr: float = 2e-4
    l1_weight: float = 100.0
    gan_mode: Literal["bce", "lsgan"] = "bce"
    ema_decay: float = 0.99
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> CloudRemovalConfig:
        """Read a YAML file of field values (unknown keys raise)."""
        data = yaml.safe_load(Path(path).read_text()) or {}
        data.update(overrides)
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown keys {sorted(unknown)} in {path}")
        for key in ("coverage", "bands"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)


def _scene_arrays(cfg: CloudRemovalConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    scene = generate_scene(height=cfg.scene_size, width=cfg.scene_size, seed=seed, dates=1)
    idx = [S2_BANDS.index(b) for b in cfg.bands]
    return scene.optical[idx], scene.sar[0]


def make_datasets(cfg: CloudRemovalConfig) -> tuple[SyntheticCloudDataset, SyntheticCloudDataset]:
    """Training patches from one generated scene, validation from another (held out)."""
    opt, sar = _scene_arrays(cfg, cfg.seed)
    vopt, vsar = _scene_arrays(cfg, cfg.seed + 1000)
    common = dict(patch_size=cfg.patch_size, coverage=cfg.coverage, bands=cfg.bands)
    train = SyntheticCloudDataset(opt, sar, length=cfg.train_length, seed=cfg.seed, **common)  # type: ignore[arg-type]
    val = SyntheticCloudDataset(vopt, vsar, length=cfg.val_length, seed=cfg.seed + 1, **common)  # type: ignore[arg-type]
    return train, val


def build_task(cfg: CloudRemovalConfig) -> CloudRemovalTask:
    """The task a config describes."""
    return CloudRemovalTask(
        len(cfg.bands),
        2 if cfg.use_sar else 0,
        width=cfg.width,
        depth=cfg.depth,
        dropout=cfg.dropout,
        disc_width=cfg.disc_width,
        lr=cfg.lr,
        l1_weight=cfg.l1_weight,
        gan_mode=cfg.gan_mode,
        ema_decay=cfg.ema_decay,
    )


def train_cloud_removal(
    cfg: CloudRemovalConfig,
    out: str | Path,
    *,
    resume: str | Path | None = None,
    max_epochs: int | None = None,
    progress: bool = False,
) -> dict[str, float]:
    """Train, validate each epoch, export the EMA generator; returns the last metrics.

    Writes into ``out``: ``metrics.csv`` (Lightning's CSV log), ``checkpoints/last.ckpt``
    (every epoch, to resume with ``resume=``), ``generator.safetensors`` and its JSON.
    """
    out = Path(out)
    if not progress:  # keep library calls quiet: no accelerator summary, no tips
        logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    # Lightning's own deprecation inside its pytree helper, and the advice to use loader
    # workers (samples here are generated in memory, workers would only add start-up time)
    warnings.filterwarnings("ignore", message=r".*LeafSpec.*is deprecated")
    warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    train, val = make_datasets(cfg)
    sampler = EpochShuffleSampler(len(train), cfg.seed)
    train_loader = DataLoader(train, batch_size=cfg.batch_size, sampler=sampler)
    val_loader = DataLoader(val, batch_size=cfg.batch_size)
    task = build_task(cfg)
    ckpt = L.pytorch.callbacks.ModelCheckpoint(
        dirpath=out / "checkpoints", save_last=True, save_top_k=0
    )
    trainer = L.Trainer(
        max_epochs=max_epochs or cfg.epochs,
        accelerator="auto",
        devices=1,
        logger=L.pytorch.loggers.CSVLogger(out, name="", version=""),
        callbacks=[ckpt],
        enable_progress_bar=progress,
        enable_model_summary=False,
        deterministic=True,
        num_sanity_val_steps=0,
        log_every_n_steps=max(1, min(50, len(train_loader))),
    )
    trainer.fit(task, train_loader, val_loader, ckpt_path=str(resume) if resume else None)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    save_model(
        task.ema,
        out / "generator",
        "sar_opt_cgan_generator" if cfg.use_sar else "opt_cgan_generator",
        {
            "optical_channels": len(cfg.bands),
            **({"sar_channels": 2} if cfg.use_sar else {}),
            "width": cfg.width,
            "depth": cfg.depth,
            "dropout": cfg.dropout,
        },
        bands=list(cfg.bands),
        normalization="s2 and s1 to [-1, 1] (saropt.io.sentinel, symmetric=True)",
        config=asdict(cfg),
        metrics=metrics,
    )
    return metrics


@dataclass
class TwinComparison:
    """SAR-Opt-cGAN against Opt-cGAN and the cloudy input on one held-out tile."""

    metrics: dict[str, dict[str, float]]  # "sar_opt", "opt", "cloudy_input" -> metrics
    target: np.ndarray  # reflectance (C, H, W)
    cloudy: np.ndarray
    sar: np.ndarray  # dB (2, H, W)
    predictions: dict[str, np.ndarray]  # "sar_opt", "opt" -> reflectance (C, H, W)
    mask: np.ndarray  # (H, W) bool
    runs: dict[str, Path]


def compare_twins(
    cfg: CloudRemovalConfig, out: str | Path, *, tile: int = 256, coverage: float = 0.5
) -> TwinComparison:
    """Train SAR-Opt-cGAN and its Opt-cGAN twin with one config; evaluate both on a tile
    of the held-out validation scene clouded at ``coverage``."""
    from saropt.io.sentinel import normalize_s1, normalize_s2
    from saropt.transforms import add_clouds

    out = Path(out)
    runs = {}
    for name, use_sar in (("sar_opt", True), ("opt", False)):
        run_cfg = CloudRemovalConfig(**{**asdict(cfg), "use_sar": use_sar})
        train_cloud_removal(run_cfg, out / name)
        runs[name] = out / name
    vopt, vsar = _scene_arrays(cfg, cfg.seed + 1000)
    clear = vopt[:, :tile, :tile]
    sar = vsar[:, :tile, :tile]
    cloudy, mask = add_clouds(clear, coverage, cfg.seed + 7, bands=cfg.bands)
    x = torch.from_numpy(normalize_s2(cloudy, symmetric=True))[None]
    s = torch.from_numpy(normalize_s1(sar, symmetric=True))[None]
    target = torch.from_numpy(clear.astype(np.float32) / 1e4)[None]
    m = torch.from_numpy(mask)[None]
    from saropt.models import load_model

    preds: dict[str, np.ndarray] = {}
    metrics: dict[str, dict[str, float]] = {}
    for name in ("sar_opt", "opt"):
        model, _ = load_model(runs[name] / "generator.safetensors")
        with torch.inference_mode():
            y = model(x, s if name == "sar_opt" else None)
        refl = ((y + 1.0) / 2.0).clamp(0, 1)
        preds[name] = refl[0].numpy()
        metrics[name] = evaluate(refl, target, m)
    cloudy_refl = torch.from_numpy(cloudy.astype(np.float32) / 1e4)[None]
    metrics["cloudy_input"] = evaluate(cloudy_refl, target, m)
    return TwinComparison(
        metrics, target[0].numpy(), cloudy_refl[0].numpy(), sar, preds, mask, runs
    )
