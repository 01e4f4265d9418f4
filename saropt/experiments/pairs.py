"""Matching approaches 2 and 3 on generated pairs: the pseudo-siamese binary matcher
(Hughes et al. 2018) and the two-stream HardNet-style descriptor (Bürgmann et al. 2019).

Each is its own experiment with its own config (``configs/matching_binary_tiny.yaml``,
``configs/matching_descriptor_tiny.yaml``): trained on one generated scene, reported on a
held-out scene's co-located and random pairs.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from saropt.datasets.datamodules import PairDataModule
from saropt.experiments.config import (
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    TrainerConfig,
    config_dict,
    save_config,
)
from saropt.experiments.fitting import fit
from saropt.io.sentinel import S2_BANDS
from saropt.metrics.summary import pair_metrics
from saropt.models import TwoStreamDescriptor, save_model
from saropt.tasks.matching import BinaryMatchTask, DescriptorTask


@dataclass
class PairData:
    """The ``data:`` section (see :class:`PairDataModule`)."""

    size: PositiveInt = 32
    positives: PositiveInt = 1024
    negative_ratio: float = 1.0
    val_positives: PositiveInt = 256
    scene_size: PositiveInt = 384
    batch_size: PositiveInt = 32


@dataclass
class BinaryMatchModel:
    """The binary matcher's ``model:`` section (see :class:`BinaryMatchTask`)."""

    width: PositiveInt = 16
    lr: PositiveFloat = 1e-3


@dataclass
class BinaryMatchConfig:
    """Approach 2: positives and one random negative each (tiny CPU defaults)."""

    model: BinaryMatchModel = field(default_factory=BinaryMatchModel)
    data: PairData = field(default_factory=PairData)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_epochs=20))
    seed_everything: int = 0


@dataclass
class DescriptorModel:
    """The descriptor's ``model:`` section (see :class:`DescriptorTask`)."""

    width: PositiveInt = 16
    lr: PositiveFloat = 1e-3
    margin: PositiveFloat = 1.0
    warmup_epochs: NonNegativeInt = 3


@dataclass
class DescriptorConfig:
    """Approach 3: positives only, negatives are the other pairs of a batch (tiny CPU
    defaults; hardest-in-batch mining after ``model.warmup_epochs`` random ones)."""

    model: DescriptorModel = field(default_factory=DescriptorModel)
    data: PairData = field(
        default_factory=lambda: PairData(positives=2048, negative_ratio=0.0, batch_size=128)
    )
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_epochs=40))
    seed_everything: int = 0


def pair_scores(model: torch.nn.Module, data: Dataset[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Match scores (higher = match) and labels of every pair: the matcher's probability, or
    the descriptors' negative distance."""
    scores, labels = [], []
    model.eval()
    for batch in DataLoader(data, batch_size=128):
        with torch.inference_mode():
            if isinstance(model, TwoStreamDescriptor):
                a, b = model(batch["optical"], batch["sar"])
                s = -(a - b).norm(dim=1)
            else:
                s = torch.sigmoid(model(batch["optical"], batch["sar"]))
        scores.append(s.numpy())
        labels.append(batch["label"].numpy())
    return np.concatenate(scores), np.concatenate(labels)


def pair_data(cfg: BinaryMatchConfig | DescriptorConfig) -> PairDataModule:
    """The data module of a pair experiment."""
    return PairDataModule(**config_dict(cfg.data), bands=S2_BANDS, seed=cfg.seed_everything)


def train_pair_model(
    cfg: BinaryMatchConfig | DescriptorConfig, out: str | Path
) -> dict[str, dict[str, float]]:
    """Train the binary matcher or the descriptor; report it on the held-out scene's pairs.

    Writes ``config.yaml``, ``metrics.csv`` and ``model.safetensors`` into ``out``.
    """
    out = Path(out)
    save_config(cfg, out)
    L.seed_everything(cfg.seed_everything, workers=True, verbose=False)
    task: BinaryMatchTask | DescriptorTask
    if isinstance(cfg, DescriptorConfig):
        task, name, registry = (
            DescriptorTask(**config_dict(cfg.model)),
            "descriptor",
            ("two_stream_descriptor"),
        )
    else:
        task, name, registry = (
            BinaryMatchTask(**config_dict(cfg.model)),
            "binary_matcher",
            ("pseudo_siamese_matcher"),
        )
    data = pair_data(cfg)
    fit(task, data, out, cfg.trainer)
    save_model(task.model, out / "model", registry,
               {"optical_channels": len(S2_BANDS), "sar_channels": 2, "width": cfg.model.width},
               size=cfg.data.size)  # fmt: skip
    assert data.val is not None  # built by fit
    return {name: pair_metrics(*pair_scores(task.model, data.val))}
