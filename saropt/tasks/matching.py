"""Training the siamese shift classifier (Merkle et al. 2017) and its NCC baseline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from saropt.datasets.matching import ShiftPairDataset
from saropt.io.sentinel import S2_BANDS
from saropt.layers.correlation import normalized_cross_correlation
from saropt.losses import smooth_cross_entropy
from saropt.metrics.functional import shift_errors
from saropt.models import ShiftClassifier, peak_shift, save_model
from saropt.synth import generate_scene
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
        sc = generate_scene(height=cfg.scene_size, width=cfg.scene_size, seed=seed, dates=1)
        return ShiftPairDataset(sc.optical, sc.sar[0], template=cfg.template, search=cfg.search,
                                length=length, seed=seed)  # fmt: skip

    train, val = pairs(cfg.seed, cfg.train_length), pairs(cfg.seed + 1000, cfg.val_length)
    task = ShiftTask(len(S2_BANDS), 2, width=cfg.width, layers=cfg.layers, lr=cfg.lr)
    fit_plain(task, train, val, out, epochs=cfg.epochs, batch_size=cfg.batch_size, seed=cfg.seed)
    save_model(task.model, out / "shift_classifier", "shift_classifier",
               {"optical_channels": len(S2_BANDS), "sar_channels": 2, "width": cfg.width,
                "layers": cfg.layers}, template=cfg.template, search=cfg.search)  # fmt: skip
    return {"shift_classifier": evaluate_shifts(task.model, val), "ncc": evaluate_shifts(None, val)}
