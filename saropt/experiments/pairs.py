"""Matching approaches 2 and 3 on generated pairs: the pseudo-siamese binary matcher
(Hughes et al. 2018) and the two-stream HardNet-style descriptor (Bürgmann et al. 2019).

Each is its own experiment with its own config (``configs/matching_binary_tiny.yaml``,
``configs/matching_descriptor_tiny.yaml``): trained on one generated scene, reported on a
held-out scene's co-located and random pairs.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from saropt.datasets.datamodules import PairDataModule
from saropt.datasets.matching import MinedTriplets
from saropt.datasets.samplers import PairSpec, grid_patches
from saropt.experiments.config import (
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    TrainerConfig,
    config_dict,
    save_config,
    save_results,
)
from saropt.experiments.fitting import fit
from saropt.io.sentinel import S2_BANDS, normalize_s1, normalize_s2
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
    """The descriptor's ``model:`` section (see :class:`DescriptorTask`).

    Attributes:
        mining: Where the hardest negatives come from: ``batch`` (HardNet's hardest in the
            batch) or ``dataset`` (also the hardest SAR patch of the whole training scene
            for each optical patch, mined with the model being trained, as Bürgmann et al.
            do; re-mined every ``remine_every`` epochs after the warm-up).
    """

    width: PositiveInt = 16
    lr: PositiveFloat = 1e-3
    margin: PositiveFloat = 1.0
    warmup_epochs: NonNegativeInt = 3
    mining: Literal["batch", "dataset"] = "batch"
    remine_every: PositiveInt = 5


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


class DescriptorMiner:
    """A :class:`~saropt.datasets.samplers.PairSampler` hook that mines, for a positive
    pair, the SAR patch of the whole image whose descriptor lies nearest the optical
    patch's, among patches at least ``min_distance`` px away (so it shows other ground).

    Candidates are the patches on a grid every ``stride`` px; their descriptors are
    computed once, with the model as it is when the miner is made.

    Args:
        model: The descriptor being trained.
        optical, sar: The training image pair, normalised as the dataset gives them.
        size: Patch side.
        stride: Candidate grid step.
        min_distance: Least offset of a negative (between patch corners).
    """

    def __init__(
        self, model: TwoStreamDescriptor, optical: np.ndarray, sar: np.ndarray, *,
        size: int, stride: int, min_distance: int,
    ) -> None:  # fmt: skip
        self.model, self.optical, self.min_distance = model, optical, min_distance
        self.windows = grid_patches(sar.shape[1], sar.shape[2], size, stride)
        self.corners = torch.tensor([[w.row, w.col] for w in self.windows], dtype=torch.float32)
        patches = np.stack([sar[(slice(None), *w.slices())] for w in self.windows])
        with torch.inference_mode():
            model.eval()
            self.descriptors = torch.cat(
                [model.embed(torch.from_numpy(x), optical=False) for x in np.array_split(
                    patches, max(1, len(patches) // 256))]
            )  # fmt: skip

    def __call__(self, pos: PairSpec, generator: torch.Generator) -> PairSpec | None:
        window = self.optical[(slice(None), *pos.optical.slices())]
        patch = torch.from_numpy(np.ascontiguousarray(window))
        with torch.inference_mode():
            a = self.model.embed(patch[None], optical=True)
        d = torch.cdist(a, self.descriptors)[0]
        corner = torch.tensor([pos.optical.row, pos.optical.col], dtype=torch.float32)
        near = (self.corners - corner).norm(dim=1) < self.min_distance
        d[near] = float("inf")
        if not torch.isfinite(d).any():
            return None
        win = self.windows[int(d.argmin())]
        return PairSpec(pos.image, pos.optical, pos.image, win, 0, "hard")


class RemineNegatives(L.Callback):
    """Replace the descriptor's training pairs by triplets mined with the model as it is:
    for the first epoch after the warm-up, then every ``every`` epochs. Mining happens at
    the end of the epoch before, so the next epoch's fresh data loader serves them."""

    def __init__(self, data: PairDataModule, cfg: DescriptorConfig) -> None:
        self.data, self.cfg = data, cfg

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        nxt, m = trainer.current_epoch + 1, self.cfg.model
        if nxt < m.warmup_epochs or (nxt - m.warmup_epochs) % m.remine_every:
            return
        model = pl_module.model
        assert isinstance(model, TwoStreamDescriptor) and self.data.images is not None
        optical, sar = self.data.images
        size = self.cfg.data.size
        miner = DescriptorMiner(model, normalize_s2(optical), normalize_s1(sar), size=size,
                                stride=size // 2, min_distance=size)  # fmt: skip
        self.data.train = MinedTriplets(
            optical, sar, miner, size=size, positives=self.cfg.data.positives,
            seed=self.cfg.seed_everything,
        )  # fmt: skip
        model.train()


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
        m = config_dict(cfg.model)
        del m["mining"], m["remine_every"]  # how the data are mined, not the task's
        task, name, registry = DescriptorTask(**m), "descriptor", "two_stream_descriptor"
    else:
        task = BinaryMatchTask(**config_dict(cfg.model))
        name, registry = "binary_matcher", "pseudo_siamese_matcher"
    data = pair_data(cfg)
    callbacks: list[L.Callback] = []
    if isinstance(cfg, DescriptorConfig) and cfg.model.mining == "dataset":
        callbacks.append(RemineNegatives(data, cfg))
    fit(task, data, out, cfg.trainer, callbacks=callbacks)
    save_model(task.model, out / "model", registry,
               {"optical_channels": len(S2_BANDS), "sar_channels": 2, "width": cfg.model.width},
               size=cfg.data.size)  # fmt: skip
    assert data.val is not None  # built by fit
    results = {name: pair_metrics(*pair_scores(task.model, data.val))}
    save_results(results, out)
    return results
