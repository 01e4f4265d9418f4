"""Training the siamese shift classifier (Merkle et al. 2017) and its NCC baseline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from saropt.datasets.matching import MatchPairDataset, ShiftPairDataset
from saropt.io.sentinel import S2_BANDS
from saropt.layers.correlation import normalized_cross_correlation
from saropt.losses import hardest_triplet_loss, smooth_cross_entropy
from saropt.metrics.functional import fpr_at_recall, recall_at_fpr, roc_auc, shift_errors
from saropt.models import (
    PseudoSiameseMatcher,
    ShiftClassifier,
    TwoStreamDescriptor,
    peak_shift,
    save_model,
)
from saropt.tasks.common import generated_pair
from saropt.tasks.pix2pix import fit_plain

Batch = dict[str, torch.Tensor]


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


def ncc_shifts(batch: Batch) -> torch.Tensor:
    """Shifts by normalised cross-correlation of the optical band mean with SAR VV (dB).

    Shape:
        returns (N, 2) as (dy, dx) from the centre.
    """
    opt = batch["optical"].mean(dim=1, keepdim=True)
    score = normalized_cross_correlation(batch["sar"][:, :1], opt)
    shifts, _, _ = peak_shift(score * 50.0)  # sharpen: NCC is in [-1, 1]
    return shifts


@dataclass
class ShiftConfig:
    """A shift-classifier experiment on generated scenes (tiny CPU defaults)."""

    width: int = 16
    layers: int = 4
    template: int = 32
    search: int = 48
    scene_size: int = 384
    train_length: int = 512
    val_length: int = 128
    epochs: int = 8
    batch_size: int = 16
    lr: float = 1e-3
    seed: int = 0


def evaluate_shifts(model: ShiftClassifier | None, data: ShiftPairDataset) -> dict[str, float]:
    """Shift errors of a model (or of NCC when ``model`` is None) over a dataset."""
    est, true = [], []
    for batch in DataLoader(data, batch_size=64):
        with torch.inference_mode():
            if model is None:
                s = ncc_shifts(batch)
            else:
                s, _, _ = peak_shift(model.eval()(batch["optical"], batch["sar"]))
        est.append(s.numpy())
        true.append(batch["shift"].numpy())
    return shift_errors(np.concatenate(est), np.concatenate(true))


def train_shift_classifier(cfg: ShiftConfig, out: str | Path) -> dict[str, dict[str, float]]:
    """Train on one generated scene; compare with NCC on a held-out scene."""
    out = Path(out)
    L.seed_everything(cfg.seed, workers=True, verbose=False)

    def pairs(seed: int, length: int) -> ShiftPairDataset:
        optical, sar = generated_pair(cfg.scene_size, seed)
        return ShiftPairDataset(optical, sar, template=cfg.template, search=cfg.search,
                                length=length, seed=seed)  # fmt: skip

    train, val = pairs(cfg.seed, cfg.train_length), pairs(cfg.seed + 1000, cfg.val_length)
    task = ShiftTask(len(S2_BANDS), 2, width=cfg.width, layers=cfg.layers, lr=cfg.lr)
    fit_plain(task, train, val, out, epochs=cfg.epochs, batch_size=cfg.batch_size, seed=cfg.seed)
    save_model(task.model, out / "shift_classifier", "shift_classifier",
               {"optical_channels": len(S2_BANDS), "sar_channels": 2, "width": cfg.width,
                "layers": cfg.layers}, template=cfg.template, search=cfg.search)  # fmt: skip
    return {"shift_classifier": evaluate_shifts(task.model, val), "ncc": evaluate_shifts(None, val)}


class BinaryMatchTask(L.LightningModule):
    """Pseudo-siamese matcher trained with binary cross-entropy on labelled pairs."""

    def __init__(self, optical_channels: int = 13, sar_channels: int = 2, *, width: int = 16,
                 lr: float = 1e-3) -> None:  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.model = PseudoSiameseMatcher(optical_channels, sar_channels, width=width)
        self.lr = lr

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        logits = self.model(batch["optical"], batch["sar"])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, batch["label"])
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(logits))
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.model.parameters(), lr=self.lr)


class DescriptorTask(L.LightningModule):
    """Two-stream descriptor trained with the hardest-in-batch triplet loss on positives."""

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

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        positives = batch["label"] > 0.5  # negatives come from the batch itself
        a, b = self.model(batch["optical"][positives], batch["sar"][positives])
        if self.current_epoch < self.warmup_epochs:
            # from a random start the hardest negatives collapse every descriptor onto one
            # point (the loss sticks at the margin); random in-batch negatives first
            neg = (a - b.roll(1, dims=0)).norm(dim=1)
            loss = torch.relu(self.margin + (a - b).norm(dim=1) - neg).mean()
        else:
            loss = hardest_triplet_loss(a, b, self.margin)
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(a))
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.model.parameters(), lr=self.lr)


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


def matching_report(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """AUC, recall and accuracy at 5 % FPR, and FPR at 95 % recall of pair scores."""
    recall, accuracy, _ = recall_at_fpr(scores, labels, 0.05)
    return {
        "auc": roc_auc(scores, labels),
        "recall_at_5pct_fpr": recall,
        "accuracy_at_5pct_fpr": accuracy,
        "fpr_at_95pct_recall": fpr_at_recall(scores, labels, 0.95),
    }


def train_pair_matchers(
    out: str | Path,
    *,
    models: tuple[str, ...] = ("binary_matcher", "descriptor"),
    epochs: int = 20,
    positives: int = 1024,
    size: int = 32,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Train the pseudo-siamese matcher and/or the two-stream descriptor on one generated
    scene's pairs (one random negative per positive); report them on a held-out scene's.

    Measured with the defaults: the binary matcher reaches AUC 0.96 (recall 0.77 at 5 %
    FPR, FPR95 0.18). The descriptor does not learn yet: under hardest-in-batch negatives
    it collapses (every descriptor alike, the loss stuck at the margin) even after a
    warm-up on random negatives, AUC 0.64; generated scenes hold many near-identical
    patches (speckled forest), which makes the hardest negative unbeatable.
    """
    out = Path(out)
    L.seed_everything(seed, workers=True, verbose=False)

    def pairs(s: int, n: int) -> MatchPairDataset:
        optical, sar = generated_pair(384, s)
        return MatchPairDataset(optical, sar, size=size, positives=n, seed=s)

    train, val = pairs(seed, positives), pairs(seed + 1000, 256)
    results = {}
    tasks = {"binary_matcher": BinaryMatchTask, "descriptor": DescriptorTask}
    for name in models:
        task = tasks[name]()
        fit_plain(task, train, val, out / name, epochs=epochs, batch_size=32, seed=seed,
                  validate=False)  # fmt: skip
        results[name] = matching_report(*pair_scores(task.model, val))
    return results
