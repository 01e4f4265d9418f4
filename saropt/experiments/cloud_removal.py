"""Cloud-removal experiments: train SAR-Opt-cGAN or its Opt-cGAN twin, compare the twins,
and train on real BigEarthNet-MM pairs clouded with real probability maps.

Paper: Grohnfeldt, Schmitt and Zhu, IGARSS 2018. The model lives in
:class:`saropt.tasks.cloud_removal.CloudRemovalTask`; this module drives it.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import ConcatDataset

from saropt.datasets import BigEarthNetMM, SyntheticCloudDataset
from saropt.datasets.datamodules import VAL_SEED, CloudRemovalDataModule, PatchDataModule
from saropt.errors import ConfigError
from saropt.experiments.config import (
    PositiveInt,
    TrainerConfig,
    check_bands,
    check_patch,
    config_dict,
    save_config,
)
from saropt.experiments.fitting import fit
from saropt.experiments.translation import Pix2PixModel
from saropt.io.sentinel import (
    S2_BANDS,
    S2_L2A_BANDS,
    SYMMETRIC_NORMALIZATION,
    normalize_s1,
    normalize_s2,
    s2_dn_to_reflectance,
)
from saropt.metrics.summary import image_metrics
from saropt.models import load_model, save_model
from saropt.synth import generated_pair
from saropt.tasks.cloud_removal import CloudRemovalTask
from saropt.transforms import add_clouds


@dataclass
class CloudRemovalModel(Pix2PixModel):
    """The ``model:`` section: the pix2pix settings (see :class:`CloudRemovalTask`) and
    ``use_sar``; ``use_sar: false`` trains the Opt-cGAN twin. Tiny CPU defaults."""

    use_sar: bool = True


@dataclass
class CloudRemovalData:
    """The ``data:`` section (see :class:`~saropt.datasets.datamodules.CloudRemovalDataModule`)."""

    source: Literal["synthetic", "sen12mscr"] = "synthetic"
    root: str | None = None
    scene_size: PositiveInt = 384
    patch_size: PositiveInt = 64
    train_length: PositiveInt = 256
    val_length: PositiveInt = 64
    coverage: tuple[float, float] = (0.4, 0.9)
    bands: tuple[str, ...] = S2_BANDS
    batch_size: PositiveInt = 8


@dataclass
class CloudRemovalConfig:
    """A cloud-removal experiment (``configs/cloud_removal_*.yaml``).

    The defaults are the tiny CPU setup of ``configs/cloud_removal_tiny.yaml`` (a test keeps
    the two equal): about 90 s of training per model on 2 cores.
    """

    model: CloudRemovalModel = field(default_factory=CloudRemovalModel)
    data: CloudRemovalData = field(default_factory=CloudRemovalData)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_epochs=30))
    seed_everything: int = 0

    def __post_init__(self) -> None:
        check_bands(self.data.bands, S2_BANDS, "data.bands")
        scene = self.data.scene_size if self.data.source == "synthetic" else None
        check_patch(self.data.patch_size, 2**self.model.depth, "data.patch_size", scene)


def build_task(cfg: CloudRemovalConfig) -> CloudRemovalTask:
    """The task a config describes."""
    m = config_dict(cfg.model)
    sar_channels = 2 if m.pop("use_sar") else 0
    return CloudRemovalTask(len(cfg.data.bands), sar_channels, **m)


def build_data(cfg: CloudRemovalConfig) -> CloudRemovalDataModule:
    """The data module a config describes."""
    d = config_dict(cfg.data)
    d["coverage"], d["bands"] = tuple(d["coverage"]), tuple(d["bands"])
    return CloudRemovalDataModule(**d, seed=cfg.seed_everything)


def train_cloud_removal(
    cfg: CloudRemovalConfig,
    out: str | Path,
    *,
    resume: str | Path | None = None,
    progress: bool = False,
) -> dict[str, float]:
    """Train, validate each epoch, export the EMA generator; returns the last metrics.

    Writes into ``out``: ``config.yaml`` (the resolved config), ``metrics.csv``,
    ``checkpoints/last.ckpt`` (every epoch, to resume with ``resume=``),
    ``generator.safetensors`` and its JSON.
    """
    out = Path(out)
    save_config(cfg, out)
    L.seed_everything(cfg.seed_everything, workers=True, verbose=False)
    task = build_task(cfg)
    metrics = fit(task, build_data(cfg), out, cfg.trainer, resume=resume, progress=progress)
    m = cfg.model
    save_model(
        task.ema,
        out / "generator",
        "sar_opt_cgan_generator" if m.use_sar else "opt_cgan_generator",
        {
            "optical_channels": len(cfg.data.bands),
            **({"sar_channels": 2} if m.use_sar else {}),
            "width": m.width,
            "depth": m.depth,
            "dropout": m.dropout,
        },
        bands=list(cfg.data.bands),
        normalization=SYMMETRIC_NORMALIZATION,
        config=config_dict(cfg),
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
    out = Path(out)
    runs = {}
    for name, use_sar in (("sar_opt", True), ("opt", False)):
        train_cloud_removal(replace(cfg, model=replace(cfg.model, use_sar=use_sar)), out / name)
        runs[name] = out / name
    seed, bands = cfg.seed_everything, cfg.data.bands
    vopt, vsar = generated_pair(cfg.data.scene_size, seed + VAL_SEED, bands)
    clear, sar = vopt[:, :tile, :tile], vsar[:, :tile, :tile]
    cloudy, mask = add_clouds(clear, coverage, seed + 7, bands=bands)
    x = torch.from_numpy(normalize_s2(cloudy, symmetric=True))[None]
    s = torch.from_numpy(normalize_s1(sar, symmetric=True))[None]
    target = torch.from_numpy(s2_dn_to_reflectance(clear.astype(np.float32)))[None]
    cloudy_refl = torch.from_numpy(s2_dn_to_reflectance(cloudy.astype(np.float32)))[None]
    m = torch.from_numpy(mask)[None]
    preds: dict[str, np.ndarray] = {}
    metrics: dict[str, dict[str, float]] = {}
    for name in ("sar_opt", "opt"):
        model, _ = load_model(runs[name] / "generator.safetensors")
        with torch.inference_mode():
            y = model(x, s if name == "sar_opt" else None)
        refl = ((y + 1.0) / 2.0).clamp(0, 1)
        preds[name] = refl[0].numpy()
        metrics[name] = image_metrics(refl, target, m)
    metrics["cloudy_input"] = image_metrics(cloudy_refl, target, m)
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
    pairs = BigEarthNetMM(root, classes=(), normalize=False)
    if len(pairs) < 2:
        raise ConfigError(f"need at least two BigEarthNet pairs under '{root}'")
    half = len(cloud_probabilities) // 2

    def dataset(i: int, maps: np.ndarray, length: int, s: int) -> SyntheticCloudDataset:
        sample = pairs[i]  # optical as read (uint16 digital numbers), SAR in dB
        optical = sample["optical"].numpy().astype(np.uint16)
        return SyntheticCloudDataset(
            optical, sample["sar"].numpy(), length=length, patch_size=64,
            probabilities=maps, bands=S2_L2A_BANDS, seed=s,
        )  # fmt: skip

    L.seed_everything(seed, workers=True, verbose=False)
    others = [i for i in range(len(pairs)) if i != val_pair]
    train: ConcatDataset[Any] = ConcatDataset(
        [dataset(i, cloud_probabilities[:half], samples_per_pair, seed + k)
         for k, i in enumerate(others)]
    )  # fmt: skip
    val = dataset(val_pair, cloud_probabilities[half:], 32, seed + 99)
    task = CloudRemovalTask(len(S2_L2A_BANDS), 2, width=width, depth=5, disc_width=16)
    data = PatchDataModule(train, val, batch_size=8, seed=seed)
    return fit(task, data, out, TrainerConfig(max_epochs=epochs))
