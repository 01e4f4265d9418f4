"""Matching approach 1: the siamese shift classifier (Merkle et al. 2017) against NCC, on
generated scenes and on real BigEarthNet-MM pairs at known offsets."""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from saropt.datasets import BigEarthNetMM
from saropt.datasets.datamodules import PatchDataModule, ShiftDataModule
from saropt.datasets.matching import ShiftPairDataset
from saropt.errors import ConfigError
from saropt.experiments.config import (
    PositiveFloat,
    PositiveInt,
    TrainerConfig,
    check_bands,
    config_dict,
    save_config,
    save_results,
)
from saropt.experiments.fitting import fit
from saropt.io.sentinel import S2_BANDS, S2_L2A_BANDS
from saropt.metrics.functional import shift_errors
from saropt.models import ShiftClassifier, load_model, ncc_shifts, peak_shift, save_model
from saropt.tasks.matching import ShiftTask


@dataclass
class ShiftModel:
    """The ``model:`` section (see :class:`ShiftTask`)."""

    width: PositiveInt = 16
    layers: PositiveInt = 4
    lr: PositiveFloat = 1e-3
    sigma: PositiveFloat = 1.0


@dataclass
class ShiftData:
    """The ``data:`` section (see :class:`ShiftDataModule`)."""

    template: PositiveInt = 32
    search: PositiveInt = 48
    scene_size: PositiveInt = 384
    train_length: PositiveInt = 512
    val_length: PositiveInt = 128
    bands: tuple[str, ...] = S2_BANDS
    batch_size: PositiveInt = 16


@dataclass
class ShiftConfig:
    """A shift-classifier experiment on generated scenes (``configs/matching_shift_tiny.yaml``
    holds the defaults: the tiny CPU setup)."""

    model: ShiftModel = field(default_factory=ShiftModel)
    data: ShiftData = field(default_factory=ShiftData)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_epochs=8))
    seed_everything: int = 0

    def __post_init__(self) -> None:
        check_bands(self.data.bands, S2_BANDS, "data.bands")


def build_shift_task(cfg: ShiftConfig) -> ShiftTask:
    """The task a config describes (seeded first, so its weights are reproducible)."""
    L.seed_everything(cfg.seed_everything, workers=True, verbose=False)
    return ShiftTask(len(cfg.data.bands), 2, **config_dict(cfg.model))


def shift_estimates(
    model: ShiftClassifier | None, data: Dataset[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """(estimated, true) shifts (N, 2) of a model, or of NCC when ``model`` is None."""
    est, true = [], []
    for batch in DataLoader(data, batch_size=64):
        with torch.inference_mode():
            if model is None:
                s = ncc_shifts(batch["optical"], batch["sar"])
            else:
                s, _, _ = peak_shift(model.eval()(batch["optical"], batch["sar"]))
        est.append(s.numpy())
        true.append(batch["shift"].numpy())
    return np.concatenate(est), np.concatenate(true)


def evaluate_shifts(model: ShiftClassifier | None, data: Dataset[Any]) -> dict[str, float]:
    """Shift errors of a model (or of NCC when ``model`` is None) over a dataset."""
    return shift_errors(*shift_estimates(model, data))


def train_shift_classifier(cfg: ShiftConfig, out: str | Path) -> dict[str, dict[str, float]]:
    """Train on one generated scene; compare with NCC on a held-out scene.

    Writes ``config.yaml``, ``metrics.csv`` and ``shift_classifier.safetensors`` into ``out``.
    """
    out = Path(out)
    save_config(cfg, out)
    d = cfg.data
    task = build_shift_task(cfg)
    data = ShiftDataModule(**config_dict(d) | {"bands": tuple(d.bands)}, seed=cfg.seed_everything)
    fit(task, data, out, cfg.trainer)
    save_model(task.model, out / "shift_classifier", "shift_classifier",
               {"optical_channels": len(d.bands), "sar_channels": 2, "width": cfg.model.width,
                "layers": cfg.model.layers}, template=d.template, search=d.search,
               bands=list(d.bands))  # fmt: skip
    assert data.val is not None  # built by fit
    results = {
        "shift_classifier": evaluate_shifts(task.model, data.val),
        "ncc": evaluate_shifts(None, data.val),
    }
    save_results(results, out)
    return results


@dataclass
class RealShiftConfig:
    """Shift estimation on real BigEarthNet-MM pairs (``configs/matching_real_shift.yaml``).

    Attributes:
        root: Folder holding the BigEarthNet-MM S1 and S2 patch folders.
        shift: The shift classifier's setup; its bands are the pairs' 12 L2A bands, and
            ``data.train_length`` is shared by the real training pairs of a fold.
        templates_per_pair: Templates cut from each held-out pair.
        folds: Hold out only the first this many pairs (all when None).
    """

    root: str | None = None
    shift: ShiftConfig = field(default_factory=ShiftConfig)
    templates_per_pair: PositiveInt = 96
    folds: PositiveInt | None = None


def real_shift_study(cfg: RealShiftConfig, out: str | Path) -> dict[str, dict[str, float]]:
    """Shift estimation on real BigEarthNet-MM pairs at known synthetic offsets.

    Each pair in turn is held out: optical templates cut at known offsets inside its SAR
    search windows are matched by (a) NCC, (b) a shift classifier trained on generated
    scenes only (the L2A bands), and (c) one trained on the other real pairs. Errors are
    pooled over the held-out pairs.

    Returns:
        ``{"ncc": stats, "generated": stats, "real_leave_one_out": stats, "centre_guess":
        stats}`` (see :func:`~saropt.metrics.functional.shift_errors`; the centre guess
        is the error of no matching at all), plus ``"pairs"``: held-out count.

    Raises:
        ConfigError: No ``root``, or fewer than two pairs under it.
    """
    if not cfg.root:
        raise ConfigError("real-shift needs root: --set root=DIR, a BigEarthNet-MM folder")
    out = Path(out)
    save_config(cfg, out)
    shift = replace(cfg.shift, data=replace(cfg.shift.data, bands=S2_L2A_BANDS))
    pairs = BigEarthNetMM(cfg.root, classes=(), normalize=False)
    if len(pairs) < 2:
        raise ConfigError(f"'{cfg.root}' holds {len(pairs)} BigEarthNet pairs; the study needs 2")
    images = [
        (p["optical"].numpy(), p["sar"].numpy()) for p in (pairs[i] for i in range(len(pairs)))
    ]
    train_shift_classifier(shift, out / "generated")
    generated, _ = load_model(out / "generated" / "shift_classifier.safetensors")
    est: dict[str, list[np.ndarray]] = {"ncc": [], "generated": [], "real_leave_one_out": []}
    true = []
    n = len(images) if cfg.folds is None else min(cfg.folds, len(images))
    for k in range(n):
        real = _train_fold(shift, images, k, out / f"fold{k}")
        val = _windows(shift, images[k], cfg.templates_per_pair, shift.seed_everything + 100 + k)
        models = {"ncc": None, "generated": generated, "real_leave_one_out": real}
        for name, model in models.items():
            e, t = shift_estimates(model, val)  # type: ignore[arg-type]
            est[name].append(e)
        true.append(t)
    t_all = np.concatenate(true)
    results = {name: shift_errors(np.concatenate(e), t_all) for name, e in est.items()}
    # no matching at all: the template is taken to sit at the window's centre
    results["centre_guess"] = shift_errors(np.zeros_like(t_all), t_all)
    results["pairs"] = {"held_out": float(n), "templates": float(len(t_all))}
    save_results(results, out)
    return results


def _windows(
    cfg: ShiftConfig, image: tuple[np.ndarray, np.ndarray], length: int, seed: int
) -> ShiftPairDataset:
    optical, sar = image
    return ShiftPairDataset(optical, sar, template=cfg.data.template, search=cfg.data.search,
                            length=length, seed=seed)  # fmt: skip


def _train_fold(
    cfg: ShiftConfig, images: list[tuple[np.ndarray, np.ndarray]], k: int, out: Path
) -> ShiftClassifier:
    """A shift classifier trained on every real pair but ``k``."""
    others = [i for i in range(len(images)) if i != k]
    per = max(1, cfg.data.train_length // len(others))
    seed = cfg.seed_everything
    train: ConcatDataset[Any] = ConcatDataset(
        [_windows(cfg, images[i], per, seed + i) for i in others]
    )
    task = build_shift_task(cfg)
    fit(task, PatchDataModule(train, None, batch_size=cfg.data.batch_size, seed=seed), out,
        cfg.trainer)  # fmt: skip
    return task.model
