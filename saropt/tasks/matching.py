"""Training the siamese shift classifier (Merkle et al. 2017) and its NCC baseline."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from saropt.datasets.matching import MatchPairDataset, ShiftPairDataset
from saropt.errors import ConfigError
from saropt.io.bigearthnet import find_bigearthnet_pairs, read_bigearthnet_pair
from saropt.io.sentinel import S2_BANDS, S2_L2A_BANDS
from saropt.layers.correlation import normalized_cross_correlation
from saropt.losses import hardest_triplet_loss, smooth_cross_entropy
from saropt.metrics.functional import (
    fpr_at_recall,
    precision_recall,
    recall_at_fpr,
    roc_auc,
    shift_errors,
)
from saropt.models import (
    PseudoSiameseMatcher,
    ShiftClassifier,
    TranslationGenerator,
    TwoStreamDescriptor,
    load_model,
    peak_shift,
    save_model,
)
from saropt.tasks.common import YamlConfig, generated_pair
from saropt.tasks.keypoint_matching import TranslateMatchConfig, evaluate_translate_match
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
class ShiftConfig(YamlConfig):
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
    bands: tuple[str, ...] = S2_BANDS


def shift_estimates(
    model: ShiftClassifier | None, data: Dataset[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """(estimated, true) shifts (N, 2) of a model, or of NCC when ``model`` is None."""
    est, true = [], []
    for batch in DataLoader(data, batch_size=64):
        with torch.inference_mode():
            if model is None:
                s = ncc_shifts(batch)
            else:
                s, _, _ = peak_shift(model.eval()(batch["optical"], batch["sar"]))
        est.append(s.numpy())
        true.append(batch["shift"].numpy())
    return np.concatenate(est), np.concatenate(true)


def evaluate_shifts(model: ShiftClassifier | None, data: Dataset[Any]) -> dict[str, float]:
    """Shift errors of a model (or of NCC when ``model`` is None) over a dataset."""
    return shift_errors(*shift_estimates(model, data))


def train_shift_classifier(cfg: ShiftConfig, out: str | Path) -> dict[str, dict[str, float]]:
    """Train on one generated scene; compare with NCC on a held-out scene."""
    out = Path(out)
    L.seed_everything(cfg.seed, workers=True, verbose=False)

    def pairs(seed: int, length: int) -> ShiftPairDataset:
        optical, sar = generated_pair(cfg.scene_size, seed, cfg.bands)
        return ShiftPairDataset(optical, sar, template=cfg.template, search=cfg.search,
                                length=length, seed=seed)  # fmt: skip

    train, val = pairs(cfg.seed, cfg.train_length), pairs(cfg.seed + 1000, cfg.val_length)
    task = ShiftTask(len(cfg.bands), 2, width=cfg.width, layers=cfg.layers, lr=cfg.lr)
    fit_plain(task, train, val, out, epochs=cfg.epochs, batch_size=cfg.batch_size, seed=cfg.seed)
    save_model(task.model, out / "shift_classifier", "shift_classifier",
               {"optical_channels": len(cfg.bands), "sar_channels": 2, "width": cfg.width,
                "layers": cfg.layers}, template=cfg.template, search=cfg.search,
               bands=list(cfg.bands))  # fmt: skip
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
    """AUC, recall, precision and accuracy at 5 % FPR, and FPR at 95 % recall of pair
    scores."""
    recall, accuracy, threshold = recall_at_fpr(scores, labels, 0.05)
    return {
        "auc": roc_auc(scores, labels),
        "recall_at_5pct_fpr": recall,
        "precision_at_5pct_fpr": precision_recall(scores, labels, threshold)[0],
        "accuracy_at_5pct_fpr": accuracy,
        "fpr_at_95pct_recall": fpr_at_recall(scores, labels, 0.95),
    }


@dataclass
class PairMatchConfig(YamlConfig):
    """A binary-matcher and/or descriptor experiment on generated pairs (tiny defaults)."""

    models: tuple[str, ...] = ("binary_matcher", "descriptor")
    size: int = 32
    positives: int = 1024
    scene_size: int = 384
    width: int = 16
    epochs: int = 20
    batch_size: int = 32
    descriptor_positives: int = 2048
    descriptor_epochs: int = 40
    descriptor_batch_size: int = 128
    margin: float = 1.0
    warmup_epochs: int = 3
    lr: float = 1e-3
    seed: int = 0


PAIR_MODELS = ("binary_matcher", "descriptor")


def train_pair_matchers(cfg: PairMatchConfig, out: str | Path) -> dict[str, dict[str, float]]:
    """Train the pseudo-siamese matcher (positives and one random negative each) and/or the
    two-stream descriptor (positives only: its negatives are the other pairs of a batch) on
    one generated scene; report them on a held-out scene's pairs and save the weights.
    """
    out = Path(out)
    unknown = set(cfg.models) - set(PAIR_MODELS)
    if unknown:
        raise ConfigError(f"unknown models {sorted(unknown)}; choose from {PAIR_MODELS}")
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    optical, sar = generated_pair(cfg.scene_size, cfg.seed)
    vopt, vsar = generated_pair(cfg.scene_size, cfg.seed + 1000)
    val = MatchPairDataset(vopt, vsar, size=cfg.size, positives=256, seed=cfg.seed + 1000)
    results = {}
    for name in cfg.models:
        L.seed_everything(cfg.seed, workers=True, verbose=False)
        task: BinaryMatchTask | DescriptorTask
        if name == "binary_matcher":
            task = BinaryMatchTask(width=cfg.width, lr=cfg.lr)
            ratio, batch, n, epochs = 1.0, cfg.batch_size, cfg.positives, cfg.epochs
        else:
            task = DescriptorTask(width=cfg.width, lr=cfg.lr, margin=cfg.margin,
                                  warmup_epochs=cfg.warmup_epochs)  # fmt: skip
            ratio, batch = 0.0, cfg.descriptor_batch_size
            n, epochs = cfg.descriptor_positives, cfg.descriptor_epochs
        train = MatchPairDataset(optical, sar, size=cfg.size, positives=n,
                                 negative_ratio=ratio, seed=cfg.seed)  # fmt: skip
        fit_plain(task, train, val, out / name, epochs=epochs, batch_size=batch,
                  seed=cfg.seed, validate=False)  # fmt: skip
        registry = "pseudo_siamese_matcher" if name == "binary_matcher" else "two_stream_descriptor"
        save_model(task.model, out / name / "model", registry,
                   {"optical_channels": len(S2_BANDS), "sar_channels": 2, "width": cfg.width},
                   size=cfg.size)  # fmt: skip
        results[name] = matching_report(*pair_scores(task.model, val))
    return results


def real_shift_study(
    root: str | Path,
    out: str | Path,
    *,
    cfg: ShiftConfig | None = None,
    val_length: int = 96,
    folds: int | None = None,
) -> dict[str, dict[str, float]]:
    """Shift estimation on real BigEarthNet-MM pairs at known synthetic offsets.

    Each pair in turn is held out: optical templates cut at known offsets inside its SAR
    search windows are matched by (a) NCC, (b) a shift classifier trained on generated
    scenes only (the L2A bands), and (c) one trained on the other real pairs. Errors are
    pooled over the held-out pairs.

    Args:
        root: Folder holding the BigEarthNet-MM S1 and S2 patch folders.
        out: Run folder.
        cfg: Training setup (tiny defaults); ``train_length`` is shared by the real pairs.
        val_length: Templates per held-out pair.
        folds: Hold out only the first this many pairs (all when None).

    Returns:
        ``{"ncc": stats, "generated": stats, "real_leave_one_out": stats, "centre_guess":
        stats}`` (see :func:`~saropt.metrics.functional.shift_errors`; the centre guess
        is the error of no matching at all), plus ``"pairs"``: held-out count.
    """
    out = Path(out)
    cfg = cfg or ShiftConfig()
    cfg = replace(cfg, bands=S2_L2A_BANDS)
    pairs = [read_bigearthnet_pair(*p) for p in find_bigearthnet_pairs(root)]
    if len(pairs) < 2:
        raise ConfigError(f"'{root}' holds {len(pairs)} BigEarthNet pairs; the study needs 2")

    def windows(k: int, length: int, seed: int) -> ShiftPairDataset:
        sar = np.nan_to_num(pairs[k].sar.data, nan=-25.0)
        return ShiftPairDataset(pairs[k].optical.data, sar, template=cfg.template,
                                search=cfg.search, length=length, seed=seed)  # fmt: skip

    train_shift_classifier(cfg, out / "generated")
    generated, _ = load_model(out / "generated" / "shift_classifier.safetensors")
    assert isinstance(generated, ShiftClassifier)
    est: dict[str, list[np.ndarray]] = {"ncc": [], "generated": [], "real_leave_one_out": []}
    true = []
    n = len(pairs) if folds is None else min(folds, len(pairs))
    for k in range(n):
        val = windows(k, val_length, cfg.seed + 100 + k)
        others = [i for i in range(len(pairs)) if i != k]
        per = max(1, cfg.train_length // len(others))
        train: ConcatDataset[Any] = ConcatDataset([windows(i, per, cfg.seed + i) for i in others])
        L.seed_everything(cfg.seed, workers=True, verbose=False)
        task = ShiftTask(len(S2_L2A_BANDS), 2, width=cfg.width, layers=cfg.layers, lr=cfg.lr)
        fit_plain(task, train, val, out / f"fold{k}", epochs=cfg.epochs,
                  batch_size=cfg.batch_size, seed=cfg.seed, validate=False)  # fmt: skip
        models = {"ncc": None, "generated": generated, "real_leave_one_out": task.model}
        for name, model in models.items():
            e, t = shift_estimates(model, val)
            est[name].append(e)
        true.append(t)
    t_all = np.concatenate(true)
    results = {name: shift_errors(np.concatenate(e), t_all) for name, e in est.items()}
    # no matching at all: the template is taken to sit at the window's centre
    results["centre_guess"] = shift_errors(np.zeros_like(t_all), t_all)
    results["pairs"] = {"held_out": float(n), "templates": float(len(t_all))}
    return results


@dataclass
class Evaluation:
    """What :func:`evaluate_weights` measured, with the arrays its figures need.

    Attributes:
        kind: ``"shift"``, ``"pairs"`` or ``"translate-sift"``.
        results: Named metric dictionaries (the model's and its baselines').
        arrays: ``scores``/``labels`` (pairs), or the first examples' ``optical``,
            ``sar``, ``score_maps``, ``true`` and ``estimated`` (shift).
    """

    kind: str
    results: dict[str, dict[str, float]]
    arrays: dict[str, np.ndarray]


def evaluate_weights(weights: str | Path, *, seed: int = 2000, scene_size: int = 384,
                     examples: int = 4) -> Evaluation:  # fmt: skip
    """Evaluate saved matching weights on a fresh generated scene (``seed``).

    A shift classifier is compared with NCC on templates at known shifts; a binary
    matcher or descriptor is scored on co-located and random pairs; an opt2sar
    translation generator runs the translate-then-SIFT/BRISK comparison.

    Raises:
        ConfigError: The weights hold no matching model.
    """
    model, config = load_model(weights)
    if isinstance(model, TranslationGenerator):
        cfg = TranslateMatchConfig(scene_size=scene_size)
        return Evaluation("translate-sift", evaluate_translate_match(model, cfg, seed), {})
    bands = tuple(config.get("bands", S2_BANDS))
    optical, sar = generated_pair(scene_size, seed, bands)
    if isinstance(model, ShiftClassifier):
        data = ShiftPairDataset(optical, sar, template=int(config["template"]),
                                search=int(config["search"]), length=256, seed=seed)  # fmt: skip
        est, true = shift_estimates(model, data)
        results = {"shift_classifier": shift_errors(est, true),
                   "ncc": evaluate_shifts(None, data)}  # fmt: skip
        first = next(iter(DataLoader(data, batch_size=examples)))
        with torch.inference_mode():
            maps = torch.softmax(model(first["optical"], first["sar"]).flatten(1), dim=1)
        arrays = {
            "optical": first["optical"].numpy(),
            "sar": first["sar"].numpy(),
            "score_maps": maps.numpy().reshape(len(maps), data.search - data.template + 1, -1),
            "true": true[:examples],
            "estimated": est[:examples],
        }
        return Evaluation("shift", results, arrays)
    if isinstance(model, (PseudoSiameseMatcher, TwoStreamDescriptor)):
        pairs = MatchPairDataset(optical, sar, size=int(config.get("size", 32)), positives=256,
                                 seed=seed)  # fmt: skip
        scores, labels = pair_scores(model, pairs)
        return Evaluation("pairs", {str(config["model"]): matching_report(scores, labels)},
                          {"scores": scores, "labels": labels})  # fmt: skip
    raise ConfigError(f"'{weights}' holds a {config['model']}, not a matching model")
