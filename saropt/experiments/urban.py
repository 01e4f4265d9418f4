"""Urban mapping (Hafner, Ban and Nascetti, JURSE 2023): one run in one setting, the cut-off
and utilisation procedure, and the study over settings and seeds (the paper's Table I).

Settings: ``mmtm`` (the paper's dual-stream U-Net with four MMTMs), ``dual`` (the same
without MMTM: decision-level fusion), ``sar`` and ``opt`` (one U-Net on one modality) and
``input`` (one U-Net on the stacked bands: input-level fusion).

After training, one pass over the training set stores each MMTM's mean squeeze vector per
modality (buffers in the weights file); the validation set is then predicted with both
modalities and with each one cut off, which gives the conditional utilisation rates.
"""

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from saropt.datasets.urban import URBAN_OPTICAL_BANDS
from saropt.datasets.urban_datamodule import UrbanDataModule, UrbanSource
from saropt.experiments.config import (
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    TrainerConfig,
    check_bands,
    check_patch,
    config_dict,
    finished_results,
    save_config,
    save_results,
)
from saropt.experiments.fitting import fit
from saropt.io.atomic import write_text_atomic
from saropt.io.sentinel import S2_BANDS
from saropt.metrics.segmentation import BinaryCounts, binary_counts, utilisation_rates
from saropt.models import DualStreamUNet, save_model
from saropt.models.urban import Cutoff, model_heads
from saropt.tasks.urban import UrbanTask

Setting = Literal["mmtm", "dual", "sar", "opt", "input"]
SETTINGS: tuple[Setting, ...] = ("mmtm", "dual", "sar", "opt", "input")


@dataclass
class UrbanModel:
    """The ``model:`` section. The paper's network is ``width: 64`` with the authors' MMTM
    (``ratio: 1``, ``gate: sigmoid``, excitation layers at torch's default initialisation,
    ``excite_init: pytorch``) trained by AdamW at ``lr: 1e-4`` for 15 epochs
    (``configs/urban_paper.yaml``). The CPU default is width 8 at ``lr: 1e-3``: with 6
    epochs of 32 batches, 1e-4 leaves the tiny network far from converged."""

    setting: Setting = "mmtm"
    width: PositiveInt = 8
    ratio: PositiveFloat = 1.0
    gate: Literal["sigmoid", "double_sigmoid"] = "sigmoid"
    excite_init: Literal["zero", "pytorch"] = "pytorch"
    lr: PositiveFloat = 1e-3
    weight_decay: NonNegativeFloat = 0.01


@dataclass
class UrbanData:
    """The ``data:`` section (see :class:`~saropt.datasets.urban_datamodule.UrbanDataModule`)."""

    source: UrbanSource = "generated"
    root: str | None = None
    s1: str | None = None
    s2: str | None = None
    labels: str | None = None
    val_sites: list[str] | None = None
    optical_bands: list[str] = field(default_factory=lambda: list(URBAN_OPTICAL_BANDS))
    scene_size: PositiveInt = 256
    scenes: PositiveInt = 2
    patch_size: PositiveInt = 64
    train_length: PositiveInt = 256
    batch_size: PositiveInt = 8


@dataclass
class UrbanConfig:
    """One urban-mapping run (tiny CPU defaults).

    ``history_patches`` training patches give the mean squeezes of the d_util curve after
    every epoch (MMTM only; 0 turns the curve off).
    """

    model: UrbanModel = field(default_factory=UrbanModel)
    data: UrbanData = field(default_factory=UrbanData)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_epochs=6))
    history_patches: int = 64
    seed_everything: int = 0

    def __post_init__(self) -> None:
        check_bands(self.data.optical_bands, S2_BANDS, "data.optical_bands")
        scene = self.data.scene_size if self.data.source == "generated" else None
        check_patch(self.data.patch_size, 4, "data.patch_size", scene)


def build_data(cfg: UrbanConfig) -> UrbanDataModule:
    """The data module of a run."""
    d = config_dict(cfg.data)
    d["optical_bands"] = tuple(d["optical_bands"])
    d["val_sites"] = tuple(d["val_sites"]) if d["val_sites"] else None
    return UrbanDataModule(**d, seed=cfg.seed_everything)


def model_spec(cfg: UrbanConfig) -> tuple[str, dict[str, Any]]:
    """Registry name and arguments of a setting's network."""
    m = cfg.model
    bands = {"sar_channels": 2, "optical_channels": len(cfg.data.optical_bands), "width": m.width}
    if m.setting in ("mmtm", "dual"):
        return "dual_stream_unet", {**bands, "mmtm": m.setting == "mmtm", "ratio": m.ratio,
                                    "gate": m.gate, "excite_init": m.excite_init}  # fmt: skip
    return "urban_unet", {**bands, "inputs": "both" if m.setting == "input" else m.setting}


def batches(data: Dataset[Any], limit: int | None = None, size: int = 16) -> Iterable[Any]:
    """Batches of the first ``limit`` samples (all when None)."""
    n = len(data)  # type: ignore[arg-type]
    subset = torch.utils.data.Subset(data, range(min(n, limit or n)))
    yield from DataLoader(subset, batch_size=size)


@torch.inference_mode()
def record_squeeze_means(
    model: DualStreamUNet, data: Dataset[Any], limit: int | None = None
) -> int:
    """Store every MMTM's mean squeeze vectors over ``data`` (one pass, eval mode); returns
    the samples seen."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    seen = 0
    for m in model.mmtms:
        m.reset_means()
        m.recording = True
    try:
        for b in batches(data, limit):
            model(b["sar"].to(device), b["optical"].to(device))
            seen += len(b["sar"])
    finally:
        for m in model.mmtms:
            m.recording = False
        model.train(was_training)
    return seen


@torch.inference_mode()
def evaluate(model: torch.nn.Module, data: Dataset[Any]) -> dict[str, Any]:
    """Pooled scores of each head, of the fused probability and, for a dual-stream U-Net
    with MMTM and stored means, of each head with the other modality cut off, plus the
    utilisation rates."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    heads: tuple[str, ...] = model_heads(model)
    cut = isinstance(model, DualStreamUNet) and bool(model.mmtms)
    counts: dict[str, BinaryCounts] = {}

    def add(key: str, prob: torch.Tensor, y: np.ndarray, valid: np.ndarray) -> None:
        counts[key] = counts.get(key, BinaryCounts()) + binary_counts(prob.cpu().numpy(), y, valid)

    for b in batches(data):
        sar, opt = b["sar"].to(device), b["optical"].to(device)
        y, valid = b["label"][:, 0].numpy(), b["valid"][:, 0].numpy() > 0
        prob = torch.sigmoid(model(sar, opt).float())
        for k, name in enumerate(heads):
            add(f"head_{name}", prob[:, k], y, valid)
        add("fused", prob.mean(1), y, valid)
        if cut:
            cuts: tuple[tuple[Cutoff, int, str], ...] = (("opt", 0, "sar"), ("sar", 1, "opt"))
            for off, k, name in cuts:  # p'_sar: optical cut off, SAR head; p'_opt: the converse
                p_cut = torch.sigmoid(model(sar, opt, cutoff=off)[:, k].float())
                add(f"cut_{name}", p_cut, y, valid)
    model.train(was_training)
    out: dict[str, Any] = {
        "heads": {n: counts[f"head_{n}"].scores() for n in heads},
        "fused": counts["fused"].scores(),
    }
    if cut:
        out["cutoff"] = {n: counts[f"cut_{n}"].scores() for n in ("sar", "opt")}
        out["utilisation"] = utilisation_rates(
            out["heads"]["sar"]["f1"], out["cutoff"]["sar"]["f1"],
            out["heads"]["opt"]["f1"], out["cutoff"]["opt"]["f1"],
        )  # fmt: skip
    return out


class UtilisationHistory(L.Callback):
    """After every training epoch: mean squeezes over ``limit`` training patches, then the
    validation F1 and utilisation rates (the d_util curve the paper does not show)."""

    def __init__(self, train: Dataset[Any], val: Dataset[Any], limit: int) -> None:
        self.train, self.val, self.limit = train, val, limit
        self.history: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        model = pl_module.model
        assert isinstance(model, DualStreamUNet)
        record_squeeze_means(model, self.train, self.limit)
        res = evaluate(model, self.val)
        self.history.append({"epoch": float(trainer.current_epoch + 1),
                             "fused_f1": res["fused"]["f1"], **res["utilisation"]})  # fmt: skip


def train_urban(cfg: UrbanConfig, out: str | Path, *, progress: bool = False) -> dict[str, Any]:
    """Train one setting, store the mean squeezes, and evaluate on the validation set.

    Writes ``config.yaml``, ``urban.safetensors`` (with the mean squeezes as buffers) and
    ``results.json`` into ``out``.
    """
    out = Path(out)
    data = build_data(cfg)
    data.setup("fit")  # bad data stop the run before anything is written
    assert data.train is not None and data.val is not None
    name, kwargs = model_spec(cfg)
    save_config(cfg, out)
    L.seed_everything(cfg.seed_everything, workers=True, verbose=False)
    task = UrbanTask(name, kwargs, lr=cfg.model.lr, weight_decay=cfg.model.weight_decay)
    tracker = None
    if cfg.model.setting == "mmtm" and cfg.history_patches > 0:
        tracker = UtilisationHistory(data.train, data.val, cfg.history_patches)
    fit(task, data, out, cfg.trainer, progress=progress, callbacks=[tracker] if tracker else [])
    model = task.model
    if isinstance(model, DualStreamUNet) and model.mmtms:
        record_squeeze_means(model, data.train)
    results: dict[str, Any] = {"setting": cfg.model.setting, **evaluate(model, data.val)}
    if tracker:
        results["history"] = tracker.history
    save_model(model, out / "urban", name, kwargs, setting=cfg.model.setting,
               optical_bands=list(cfg.data.optical_bands), sar_bands=["VV", "VH"],
               patch_size=cfg.data.patch_size)  # fmt: skip
    save_results(results, out)
    return results


def run_study(
    cfg: UrbanConfig,
    out: str | Path,
    *,
    settings: tuple[Setting, ...] = SETTINGS,
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    progress: Any = None,
) -> dict[str, Any]:
    """Every setting for every seed (``out/<setting>/seed<k>``), then a table of means and
    standard deviations. A finished run (same config, results present) is not trained
    again, so an interrupted study resumes. Writes ``study.json``."""
    out = Path(out)
    jobs = [(s, k) for s in settings for k in seeds]
    runs: dict[str, Any] = {}
    for i, (setting, seed) in enumerate(jobs):
        run_cfg = dataclasses.replace(
            cfg, model=dataclasses.replace(cfg.model, setting=setting), seed_everything=seed
        )
        folder = out / setting / f"seed{seed}"
        if progress:
            progress(i, len(jobs), f"{setting} seed {seed}")
        result = finished_results(folder, run_cfg) or train_urban(run_cfg, folder)
        runs[f"{setting}/seed{seed}"] = {"seed": seed, **result}
    if progress:
        progress(len(jobs), len(jobs), "done")
    study = {"runs": runs, "table": study_table(runs)}
    write_text_atomic(out / "study.json", json.dumps(study, indent=2))
    return study


#: Rows of the study table: (row name, setting, path into a run's results).
ROWS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("MMTM: SAR head", "mmtm", ("heads", "sar")),
    ("MMTM: optical head", "mmtm", ("heads", "opt")),
    ("MMTM: fusion", "mmtm", ("fused",)),
    ("MMTM: SAR head, optical cut off", "mmtm", ("cutoff", "sar")),
    ("MMTM: optical head, SAR cut off", "mmtm", ("cutoff", "opt")),
    ("no MMTM: fusion", "dual", ("fused",)),
    ("SAR-only U-Net", "sar", ("fused",)),
    ("optical-only U-Net", "opt", ("fused",)),
    ("input-level fusion", "input", ("fused",)),
)


#: The pooled scores of every row.
METRICS: tuple[str, ...] = ("f1", "precision", "recall", "iou")


def _mean_std(values: list[float]) -> list[float]:
    return [float(np.mean(values)), float(np.std(values)), float(len(values))]


def study_table(runs: dict[str, Any]) -> dict[str, Any]:
    """``rows``: per row, [mean, std, runs] of F1, precision, recall and IoU over seeds;
    ``utilisation``: the same for u(sar|opt), u(opt|sar) and d_util of the MMTM runs."""
    rows: dict[str, dict[str, list[float]]] = {}
    for row, setting, path in ROWS:
        found = []
        for r in runs.values():
            if r["setting"] != setting:
                continue
            v: Any = r
            for key in path:
                v = v[key]
            found.append(v)
        if found:
            rows[row] = {m: _mean_std([f[m] for f in found]) for m in METRICS}
    util = [r["utilisation"] for r in runs.values() if "utilisation" in r]
    table: dict[str, Any] = {"rows": rows}
    if util:
        table["utilisation"] = {k: _mean_std([u[k] for u in util]) for k in util[0]}
    return table
