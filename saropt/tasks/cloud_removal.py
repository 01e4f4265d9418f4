"""Training SAR-Opt-cGAN (and its Opt-cGAN twin) for cloud removal with Lightning.

Paper: Grohnfeldt, Schmitt and Zhu, IGARSS 2018. pix2pix training as in
:mod:`saropt.tasks.pix2pix`: a discriminator step then a generator step per batch,
cGAN loss + 100 * L1, and an exponential moving average of the generator that validation
measures and that is exported.

Validation metrics are computed on reflectance (0..1): RMSE, MAE, PSNR, SAM (degrees) and
SSIM overall, RMSE and SAM on cloudy and on clear pixels, and RMSE per band.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import ConcatDataset, Dataset, Subset

from saropt.datasets import SEN12MSCR, SyntheticCloudDataset
from saropt.errors import ConfigError
from saropt.io.sentinel import S2_BANDS
from saropt.metrics.functional import mae, psnr, rmse, sam, ssim
from saropt.models import CloudRemovalGenerator, PatchGANDiscriminator, save_model
from saropt.tasks.common import YamlConfig, generated_pair
from saropt.tasks.pix2pix import Batch, Pix2PixTask, fit


class CloudRemovalTask(Pix2PixTask):
    """SAR-Opt-cGAN / Opt-cGAN training.

    Args:
        optical_channels: Optical bands.
        sar_channels: SAR bands; 0 trains the Opt-cGAN twin.
        width: Generator width (64: the paper).
        depth: Generator levels (8: the paper).
        dropout: Decoder dropout (0.4: the paper).
        disc_width: Discriminator width.
        lr, l1_weight, gan_mode, ema_decay: see :class:`Pix2PixTask`.
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
        super().__init__(lr=lr, l1_weight=l1_weight, gan_mode=gan_mode, ema_decay=ema_decay)
        self.save_hyperparameters()
        self.generator = CloudRemovalGenerator(
            optical_channels, sar_channels, width=width, depth=depth, dropout=dropout
        )
        self.discriminator = PatchGANDiscriminator(
            2 * optical_channels + sar_channels, width=disc_width
        )
        self.init_ema()

    def split_batch(
        self, batch: Batch
    ) -> tuple[tuple[torch.Tensor | None, ...], torch.Tensor, torch.Tensor]:
        sar = batch["sar"] if self.generator.uses_sar else None
        cond = batch["cloudy"] if sar is None else torch.cat([batch["cloudy"], sar], dim=1)
        return (batch["cloudy"], sar), cond, batch["target"]

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
class CloudRemovalConfig(YamlConfig):
    """A cloud-removal experiment, as read from YAML (``configs/cloud_removal_*.yaml``).

    The defaults are the tiny CPU setup of ``configs/cloud_removal_tiny.yaml`` (a test keeps
    the two equal): about 90 s of training per model on 2 cores.
    """

    use_sar: bool = True
    data: Literal["synthetic", "sen12mscr"] = "synthetic"
    data_root: str | None = None
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


def make_datasets(cfg: CloudRemovalConfig) -> tuple[Dataset[Any], Dataset[Any]]:
    """Training and validation data.

    "synthetic": patches of one generated scene clouded on the fly, validation from another
    (held out). "sen12mscr": real cloudy/clear pairs in the SEN12MS-CR layout under
    ``data_root``; every tenth patch (sorted by name) is held out for validation.
    """
    if cfg.data == "sen12mscr":
        if not cfg.data_root:
            raise ConfigError("data: sen12mscr needs data_root: the SEN12MS-CR folder")
        full = SEN12MSCR(cfg.data_root, symmetric=True)
        val_idx = list(range(0, len(full), 10))
        train_idx = [i for i in range(len(full)) if i % 10]
        if not train_idx:
            raise ConfigError(f"too few SEN12MS-CR patches under {cfg.data_root} to split")
        return Subset(full, train_idx), Subset(full, val_idx)
    opt, sar = generated_pair(cfg.scene_size, cfg.seed, cfg.bands)
    vopt, vsar = generated_pair(cfg.scene_size, cfg.seed + 1000, cfg.bands)
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
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    train, val = make_datasets(cfg)
    task = build_task(cfg)
    metrics = fit(
        task,
        train,
        val,
        out,
        epochs=max_epochs or cfg.epochs,
        batch_size=cfg.batch_size,
        seed=cfg.seed,
        resume=resume,
        progress=progress,
    )
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
    vopt, vsar = generated_pair(cfg.scene_size, cfg.seed + 1000, cfg.bands)
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


def train_on_bigearthnet(
    root: str | Path,
    cloud_probabilities: np.ndarray,
    out: str | Path,
    *,
    epochs: int = 20,
    width: int = 16,
    samples_per_pair: int = 32,
    val_pair: int = 2,
    seed: int = 0,
) -> dict[str, float]:
    """Train on all BigEarthNet-MM pairs but one and validate on that one, clouded with real
    cloud-probability maps: the first half of the maps for training, the second half for
    validation.

    With the six sample pairs of ../shared/data, pair 2 (sorted by S1 name) is the default:
    it shares its Sentinel-2 tile and date with pair 1, so validation is in distribution.
    Validating on the February snow scene (pair 5), which no other pair resembles, gives a
    model worse than the cloudy input: six 120 px patches do not generalise that far.

    Args:
        root: Folder of BigEarthNet-MM pairs (S2 L2A, 12 bands).
        cloud_probabilities: Real maps (K, H, W) in [0, 1], e.g. eo-learn's ``CLP.npy``.
        out: Run folder.
        epochs: Epochs.
        width: Generator width (depth 5 for 64 px patches).
        samples_per_pair: Patches per pair and epoch.
        val_pair: Index of the held-out pair.
        seed: Seed.
    """
    from saropt.io.bigearthnet import find_bigearthnet_pairs, read_bigearthnet_pair
    from saropt.io.sentinel import S2_L2A_BANDS

    pairs = [read_bigearthnet_pair(a, b) for a, b in find_bigearthnet_pairs(root)]
    if len(pairs) < 2:
        raise ConfigError(f"need at least two BigEarthNet pairs under '{root}'")
    half = len(cloud_probabilities) // 2
    common = dict(patch_size=64, bands=S2_L2A_BANDS)

    def dataset(p: Any, maps: np.ndarray, length: int, s: int) -> SyntheticCloudDataset:
        return SyntheticCloudDataset(
            p.optical.data,
            p.sar.data,
            length=length,
            probabilities=maps,
            seed=s,
            **common,  # type: ignore[arg-type]
        )

    L.seed_everything(seed, workers=True, verbose=False)
    train_pairs = [p for i, p in enumerate(pairs) if i != val_pair]
    train: ConcatDataset[Any] = ConcatDataset(
        [
            dataset(p, cloud_probabilities[:half], samples_per_pair, seed + i)
            for i, p in enumerate(train_pairs)
        ]
    )
    val = dataset(pairs[val_pair], cloud_probabilities[half:], 32, seed + 99)
    task = CloudRemovalTask(len(S2_L2A_BANDS), 2, width=width, depth=5, disc_width=16)
    return fit(task, train, val, Path(out), epochs=epochs, batch_size=8, seed=seed)
