"""Cross-modal classification (Senchugova and Hänsch): one run in one setting, the study of
every setting over seeds (the paper's Table 1 / Fig. 2), and F1 against training-set size
(its Fig. 3).

Settings: ``baseline`` (two modality-specific models, each trained on its own modality with
L_C only), ``C``, ``CM``, ``CT`` and ``CTM`` (one model trained on both modalities with the
named losses). Every run is evaluated on aligned S1/S2 pairs held out from training: macro
and weighted F1 per modality, the homogeneity s, and S1 -> S2 retrieval in the latent space.
"""

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from saropt.datasets.datamodules import ClassificationDataModule, ClassificationSource
from saropt.errors import ConfigError
from saropt.experiments.config import (
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    TrainerConfig,
    UnitInterval,
    config_dict,
    finished_results,
    save_config,
    save_results,
)
from saropt.experiments.fitting import fit
from saropt.io.atomic import write_text_atomic
from saropt.metrics.classification import homogeneity, multilabel_scores, retrieval_recall
from saropt.models import MODALITIES, CrossModalClassifier, Modality, save_model
from saropt.tasks.classification import IMAGE_KEY, CrossModalTask

Setting = Literal["baseline", "C", "CM", "CT", "CTM"]
SETTINGS: tuple[Setting, ...] = ("baseline", "C", "CM", "CT", "CTM")


@dataclass
class ClassificationModel:
    """The ``model:`` section (see :class:`~saropt.tasks.classification.CrossModalTask`).

    The paper's network is ``backbone: resnet50, width: 64, stem: imagenet, latent: 1024``
    (``configs/classification_paper.yaml``); the defaults are a CPU-sized ResNet-18.
    ``similar``/``different`` are label-intersection thresholds of the triplet's positives
    and negatives, ``margin`` and ``negative_weight`` its mu and lambda, ``reversal`` the
    gradient-reversal weight: the paper gives none of them (README).
    """

    setting: Setting = "CTM"
    backbone: Literal["resnet18", "resnet50"] = "resnet18"
    width: PositiveInt = 8
    stem: Literal["imagenet", "small"] = "small"
    latent: PositiveInt = 64
    alpha: NonNegativeFloat = 1.0
    beta: PositiveFloat = 1.0
    reversal: NonNegativeFloat = 0.1
    reversal_schedule: bool = True
    similar: UnitInterval = 0.6
    different: UnitInterval = 0.2
    margin: PositiveFloat = 1.0
    negative_weight: NonNegativeFloat = 1.0
    lr: PositiveFloat = 1e-3
    weight_decay: NonNegativeFloat = 1e-4


@dataclass
class ClassificationData:
    """The ``data:`` section (see :class:`~saropt.datasets.ClassificationDataModule`)."""

    source: ClassificationSource = "generated"
    root: str | None = None
    s1: str | None = None
    s2: str | None = None
    labels: str | None = None
    classes: list[str] | None = None
    seasons: list[str] | None = field(default_factory=lambda: ["winter"])
    scene_size: PositiveInt = 256
    scenes: PositiveInt = 4
    patch_size: PositiveInt = 32
    train_length: PositiveInt = 512
    val_length: PositiveInt = 256
    batch_size: PositiveInt = 16


@dataclass
class ClassificationConfig:
    """One classification run (tiny CPU defaults: about 20 s a model on 2 cores)."""

    model: ClassificationModel = field(default_factory=ClassificationModel)
    data: ClassificationData = field(default_factory=ClassificationData)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_epochs=10))
    seed_everything: int = 0


def build_data(cfg: ClassificationConfig) -> ClassificationDataModule:
    """The data module of a run."""
    d = config_dict(cfg.data)
    for key in ("classes", "seasons"):
        d[key] = tuple(d[key]) if d[key] is not None else None
    return ClassificationDataModule(**d, seed=cfg.seed_everything)


def build_task(
    cfg: ClassificationConfig, data: ClassificationDataModule, modalities: tuple[Modality, ...]
) -> CrossModalTask:
    """The task of a run, sized by the data (classes and Sentinel-2 bands)."""
    m = config_dict(cfg.model)
    setting = m.pop("setting")
    assert data.val is not None  # built by setup
    s2_channels = int(data.val[0]["optical"].shape[0])
    return CrossModalTask(
        len(data.class_names), 2, s2_channels, modalities=modalities,
        losses="C" if setting == "baseline" else setting, **m,
    )  # fmt: skip


@torch.inference_mode()
def predict_aligned(
    models: dict[Modality, CrossModalClassifier], data: Dataset[Any], batch_size: int = 128
) -> dict[str, np.ndarray]:
    """Probabilities ``p_s1``/``p_s2``, latent vectors ``z_s1``/``z_s2`` and the soft
    labels ``label`` of aligned pairs, each modality through its model."""
    out: dict[str, list[np.ndarray]] = {"label": []}
    for model in models.values():
        model.eval()
    for batch in DataLoader(data, batch_size=batch_size):
        out["label"].append(batch["label"].numpy())
        for m, model in models.items():
            x = batch[IMAGE_KEY[m]].to(next(model.parameters()).device)
            z = model.embed(x, m)
            out.setdefault(f"z_{m}", []).append(z.float().cpu().numpy())
            out.setdefault(f"p_{m}", []).append(torch.softmax(model.classify(z), 1).cpu().numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


def _kl(y: np.ndarray, p: np.ndarray) -> float:
    """Mean KL divergence from soft labels to predictions (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * (np.log(y) - np.log(np.maximum(p, 1e-12))), 0.0)
    return float(terms.sum(1).mean())


def score_predictions(pred: dict[str, np.ndarray]) -> dict[str, Any]:
    """Macro/weighted F1, per-class F1 and KL per modality, homogeneity and retrieval.

    Two references are scored the same way: ``prior``, which predicts the mean label of
    the held-out pairs for every sample (an optimistic constant guess), and ``oracle``,
    which predicts each sample's own soft label: classes present with a share under 0.3
    are never predicted, so even the oracle's F1 is far from 1.
    """
    results: dict[str, Any] = {}
    y = pred["label"]
    prior = np.broadcast_to(y.mean(0), y.shape)
    for m, p in (("s1", pred["p_s1"]), ("s2", pred["p_s2"]), ("prior", prior), ("oracle", y)):
        s = multilabel_scores(p, y)
        results[m] = {
            "macro_f1": s.macro_f1,
            "weighted_f1": s.weighted_f1,
            "kl": _kl(y, p),
            "per_class_f1": [None if np.isnan(v) else float(v) for v in s.f1],
        }
    results["homogeneity"] = homogeneity(pred["p_s1"], pred["p_s2"])
    recall = retrieval_recall(pred["z_s1"], pred["z_s2"])
    results["retrieval_s1_to_s2"] = {f"recall@{k}": v for k, v in recall.items()}
    return results


def train_classification(
    cfg: ClassificationConfig, out: str | Path, *, progress: bool = False
) -> dict[str, Any]:
    """Train one setting and evaluate it on the held-out aligned pairs.

    Writes ``config.yaml``, ``classifier.safetensors`` (baseline: ``classifier_s1`` and
    ``classifier_s2``, each trained on one modality in its own sub-folder),
    ``predictions.npz`` (probabilities, latents and labels of the aligned pairs) and
    ``results.json`` into ``out``.
    """
    out = Path(out)
    if cfg.model.different >= cfg.model.similar:
        raise ConfigError(
            f"model.different ({cfg.model.different}) must be below model.similar "
            f"({cfg.model.similar})"
        )
    data = build_data(cfg)
    data.setup("fit")  # bad data stop the run before anything is written
    assert data.val is not None
    save_config(cfg, out)
    groups: list[tuple[Modality, ...]] = (
        [("s1",), ("s2",)] if cfg.model.setting == "baseline" else [MODALITIES]
    )
    models: dict[Modality, CrossModalClassifier] = {}
    for mods in groups:
        L.seed_everything(cfg.seed_everything, workers=True, verbose=False)
        task = build_task(cfg, data, mods)
        name = "classifier" if len(mods) == 2 else f"classifier_{mods[0]}"
        run = out if len(mods) == 2 else out / mods[0]
        fit(task, data, run, cfg.trainer, progress=progress)
        save_model(task.model, out / name, "cross_modal_classifier", task.model_kwargs,
                   class_names=list(data.class_names), modalities=list(mods),
                   patch_size=cfg.data.patch_size, setting=cfg.model.setting)  # fmt: skip
        models.update({m: task.model for m in mods})
    pred = predict_aligned(models, data.val)
    np.savez_compressed(out / "predictions.npz", **pred)  # type: ignore[arg-type]
    results = {"setting": cfg.model.setting, "classes": list(data.class_names),
               **score_predictions(pred)}  # fmt: skip
    save_results(results, out)
    return results


def run_study(
    cfg: ClassificationConfig,
    out: str | Path,
    *,
    settings: tuple[Setting, ...] = SETTINGS,
    seeds: tuple[int, ...] = (0, 1, 2),
    train_lengths: tuple[int, ...] = (),
    progress: Any = None,
) -> dict[str, Any]:
    """Every setting for every seed (``out/<setting>/seed<k>``), then a table of means and
    spreads; with ``train_lengths``, the same again at each training-set size
    (``out/size<n>/<setting>/seed<k>``) for the F1-against-size curve.

    A run whose folder already holds results for its config is not trained again, so an
    interrupted study resumes where it stopped. ``progress(done, total, label)`` is called
    before each run. Writes ``study.json``.
    """
    out = Path(out)
    jobs: list[tuple[int | None, Setting, int]] = [(None, s, k) for s in settings for k in seeds]
    jobs += [(n, s, k) for n in train_lengths for s in settings for k in seeds]
    runs: dict[str, Any] = {}
    for i, (n, setting, seed) in enumerate(jobs):
        run_cfg = dataclasses.replace(
            cfg, model=dataclasses.replace(cfg.model, setting=setting), seed_everything=seed,
            data=dataclasses.replace(cfg.data, train_length=n or cfg.data.train_length),
        )  # fmt: skip
        folder = out / (f"size{n}" if n else "") / setting / f"seed{seed}"
        if progress:
            progress(i, len(jobs), f"{setting} seed {seed}" + (f", {n} patches" if n else ""))
        result = finished_results(folder, run_cfg) or train_classification(run_cfg, folder)
        runs[str(folder.relative_to(out))] = {
            "setting": setting, "seed": seed,
            "train_length": run_cfg.data.train_length, **result,
        }  # fmt: skip
    if progress:
        progress(len(jobs), len(jobs), "done")
    study = {"runs": runs, "table": study_table(runs, cfg.data.train_length)}
    write_text_atomic(out / "study.json", json.dumps(study, indent=2))
    return study


#: Columns of the study table: (key, path into a run's results).
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("S1 macro F1", ("s1", "macro_f1")),
    ("S1 weighted F1", ("s1", "weighted_f1")),
    ("S2 macro F1", ("s2", "macro_f1")),
    ("S2 weighted F1", ("s2", "weighted_f1")),
    ("homogeneity s", ("homogeneity",)),
    ("S1->S2 recall@1", ("retrieval_s1_to_s2", "recall@1")),
)


def study_table(runs: dict[str, Any], train_length: int) -> dict[str, dict[str, list[float]]]:
    """Per setting and column: [mean, standard deviation, runs] over the seeds of the
    runs at ``train_length``."""
    table: dict[str, dict[str, list[float]]] = {}
    for r in runs.values():
        if r["train_length"] != train_length:
            continue
        row = table.setdefault(r["setting"], {})
        for name, path in COLUMNS:
            v: Any = r
            for key in path:
                v = v[key]
            row.setdefault(name, []).append(float(v))
    return {
        s: {k: [float(np.mean(v)), float(np.std(v)), float(len(v))] for k, v in row.items()}
        for s, row in table.items()
    }
