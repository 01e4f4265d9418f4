"""Learned dense SAR-optical registration (the DREAM paper, Colin Koeniguer et al., IGARSS
2021, section 3.1): training PWC-multimodal on synthetic deformations, and the comparison
with GeFolki, phase correlation and zero flow.

The comparison deforms the optical image of co-registered pairs by smooth random fields
whose largest displacement is exactly 3 or 6 px (:func:`~saropt.transforms.flow.random_flow`,
seeded), asks every method for the flow from the SAR image to the deformed optical one, and
scores it against the true field away from the border: mean EPE, the share of pixels under
1 px, CMR@1 and seconds per pair. Test pairs are generated scenes the network never saw
(seeds from :data:`TEST_SEED`) and, given their folder, the six BigEarthNet-MM pairs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch

from saropt.datasets.registration import (
    REGISTRATION_OPTICAL_BANDS,
    RegistrationDataModule,
    RegistrationSource,
    pick_optical,
)
from saropt.experiments.config import (
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    TrainerConfig,
    check_bands,
    config_dict,
    finished_results,
    save_config,
    save_results,
)
from saropt.experiments.fitting import fit
from saropt.inference.flow import METHODS, FlowMethod, flow_method
from saropt.io.atomic import write_text_atomic
from saropt.io.sentinel import S2_BANDS
from saropt.metrics.registration import cmr, flow_scores
from saropt.models import save_model
from saropt.synth import generated_pair
from saropt.tasks.registration import RegistrationTask
from saropt.transforms.flow import deform, random_flow

#: Generated test scenes are seeded from here (training uses 0.., validation 1000..).
TEST_SEED = 5000


@dataclass
class RegistrationModel:
    """The ``model:`` section. PWC-Net's network is ``width: 16`` (about 11 M weights with
    two pyramids) trained by Adam at 1e-4 with weight decay 4e-4 for hundreds of thousands
    of steps; the CPU default is width 4 at 1e-3 for a few minutes."""

    width: PositiveInt = 4
    levels: PositiveInt = 6
    radius: PositiveInt = 4
    context: bool = True
    lr: PositiveFloat = 1e-3
    weight_decay: NonNegativeFloat = 4e-4


@dataclass
class RegistrationData:
    """The ``data:`` section (see :class:`~saropt.datasets.registration.RegistrationDataModule`)."""

    source: RegistrationSource = "generated"
    root: str | None = None
    optical_bands: list[str] = field(default_factory=lambda: list(REGISTRATION_OPTICAL_BANDS))
    scene_size: PositiveInt = 512
    scenes: PositiveInt = 4
    patch_size: PositiveInt = 128
    max_shift: PositiveFloat = 8.0
    train_length: PositiveInt = 1024
    val_length: PositiveInt = 64
    batch_size: PositiveInt = 8


@dataclass
class RegistrationConfig:
    """One registration training run (tiny CPU defaults)."""

    model: RegistrationModel = field(default_factory=RegistrationModel)
    data: RegistrationData = field(default_factory=RegistrationData)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_epochs=3))
    seed_everything: int = 0

    def __post_init__(self) -> None:
        check_bands(self.data.optical_bands, S2_BANDS, "data.optical_bands")


def build_data(cfg: RegistrationConfig) -> RegistrationDataModule:
    """The data module of a run."""
    d = config_dict(cfg.data)
    d["optical_bands"] = tuple(d["optical_bands"])
    return RegistrationDataModule(**d, seed=cfg.seed_everything)


@torch.inference_mode()
def validation_scores(
    model: torch.nn.Module, data: torch.utils.data.Dataset[Any]
) -> dict[str, Any]:
    """Mean EPE and shares under 1/3/5 px of the network and of zero flow on the validation
    patches (pooled over pixels)."""
    model.eval()
    loader = torch.utils.data.DataLoader(data, batch_size=16)
    flows, targets = [], []
    for b in loader:
        flows.append(model(b["sar"], b["optical"]).numpy())
        targets.append(b["target"].numpy())
    flow, target = np.concatenate(flows), np.concatenate(targets)
    return {
        "network": flow_scores(flow, target),
        "zero": flow_scores(np.zeros_like(target), target),
    }


def train_registration(
    cfg: RegistrationConfig, out: str | Path, *, progress: bool = False
) -> dict[str, Any]:
    """Train PWC-multimodal on deformed pairs and score it on the validation patches.

    Writes ``config.yaml``, ``registration.safetensors`` and ``results.json`` into ``out``.
    """
    out = Path(out)
    data = build_data(cfg)
    data.setup("fit")  # bad data stop the run before anything is written
    assert data.val is not None
    fixed_c, moving_c = data.channels
    kwargs = {"fixed_channels": fixed_c, "moving_channels": moving_c, "width": cfg.model.width,
              "levels": cfg.model.levels, "radius": cfg.model.radius,
              "context": cfg.model.context}  # fmt: skip
    save_config(cfg, out)
    L.seed_everything(cfg.seed_everything, workers=True, verbose=False)
    task = RegistrationTask("pwc_multimodal", kwargs, lr=cfg.model.lr,
                            weight_decay=cfg.model.weight_decay)  # fmt: skip
    t0 = time.perf_counter()
    fit(task, data, out, cfg.trainer, progress=progress)
    seconds = time.perf_counter() - t0
    sen12 = cfg.data.source == "sen1_2"
    save_model(task.model, out / "registration", "pwc_multimodal", kwargs,
               fixed_bands=list(data.fixed_bands),
               optical_bands=None if sen12 else list(cfg.data.optical_bands),
               patch_size=cfg.data.patch_size, max_shift=cfg.data.max_shift)  # fmt: skip
    results = {"train_seconds": seconds, **validation_scores(task.model, data.val)}
    save_results(results, out)
    return results


# --- the comparison ------------------------------------------------------------------------

Pair = tuple[np.ndarray, np.ndarray]


def generated_test_pairs(
    count: int, size: int = 448, bands: Sequence[str] = REGISTRATION_OPTICAL_BANDS
) -> list[Pair]:
    """(SAR dB, optical DN) of ``count`` generated scenes no training run sees."""
    out = []
    for k in range(count):
        opt, sar = generated_pair(size, TEST_SEED + k, tuple(bands))
        out.append((sar, opt.astype(np.float32)))
    return out


def bigearthnet_test_pairs(
    root: str | Path, bands: Sequence[str] = REGISTRATION_OPTICAL_BANDS
) -> list[Pair]:
    """(SAR dB, optical DN) of every BigEarthNet-MM pair under ``root``."""
    from saropt.datasets.bigearthnet import BigEarthNetMM

    ben = BigEarthNetMM(root, normalize=False)
    samples = (ben[k] for k in range(len(ben)))
    return [(s["sar"].numpy(), pick_optical(s["optical"].numpy(), bands, s["id"])) for s in samples]


def deformed(
    pairs: list[Pair], amplitude: float, seed: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(fixed SAR, deformed optical, true flow) per pair; fields of largest displacement
    exactly ``amplitude``, the control points 64 px apart."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for sar, opt in pairs:
        h, w = sar.shape[1:]
        flow = random_flow(h, w, amplitude, g, exact=True)
        moved = deform(torch.from_numpy(opt)[None], flow[None])[0].numpy()
        out.append((sar, moved, flow.numpy()))
    return out


def score_method(
    fn: FlowMethod, cases: list[tuple[np.ndarray, np.ndarray, np.ndarray]], border: int
) -> dict[str, float]:
    """Means over pairs of each pair's EPE and shares of pixels under 1, 3 and 5 px
    (:func:`~saropt.metrics.registration.flow_scores`), CMR@1 and CMR@3 over pairs, and the
    mean seconds per pair."""
    per_pair, seconds = [], []
    for sar, moving, target in cases:
        t0 = time.perf_counter()
        flow = fn(sar[None], moving[None])[0]
        seconds.append(time.perf_counter() - t0)
        per_pair.append(flow_scores(flow, target, border))
    out = {k: float(np.mean([p[k] for p in per_pair])) for k in per_pair[0]}
    epes = [p["epe"] for p in per_pair]
    return {**out, "cmr_1": cmr(epes, 1.0), "cmr_3": cmr(epes, 3.0),
            "seconds": float(np.mean(seconds)), "pairs": float(len(epes))}  # fmt: skip


def compare_methods(
    weights: str | Path,
    sets: dict[str, tuple[list[Pair], int]],
    *,
    amplitudes: Sequence[float] = (3.0, 6.0),
    methods: Sequence[str] = METHODS,
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Score every method on every set of pairs (name -> (pairs, border)) at every amplitude.

    Returns:
        ``{set: {"<amplitude> px": {method: scores}}}``.
    """
    fns = {m: flow_method(m, weights if m == "pwc" else None)[0] for m in methods}
    jobs = [(s, a, m) for s in sets for a in amplitudes for m in methods]
    table: dict[str, Any] = {}
    cases: dict[tuple[str, float], Any] = {}
    for i, (name, amp, m) in enumerate(jobs):
        if progress:
            progress(i, len(jobs), f"{name}, {amp:g} px, {m}")
        pairs, border = sets[name]
        if (name, amp) not in cases:
            cases[(name, amp)] = deformed(pairs, amp, seed + int(10 * amp))
        scores = score_method(fns[m], cases[(name, amp)], border)
        table.setdefault(name, {}).setdefault(f"{amp:g} px", {})[m] = scores
    if progress:
        progress(len(jobs), len(jobs), "done")
    return table


def run_study(
    cfg: RegistrationConfig,
    out: str | Path,
    *,
    generated: int = 4,
    size: int = 448,
    bigearthnet: str | Path | None = None,
    methods: Sequence[str] = METHODS,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Train the network (``out/train``; a finished run with this config is reused), then
    compare every method on ``generated`` test scenes of ``size`` px and, when given, the
    BigEarthNet-MM pairs under ``bigearthnet``. Writes ``study.json``."""
    out = Path(out)
    train_dir = out / "train"
    if progress:
        progress(0, 1, "training")
    trained = finished_results(train_dir, cfg) or train_registration(cfg, train_dir)
    bands = cfg.data.optical_bands
    sets: dict[str, tuple[list[Pair], int]] = {}
    if generated:
        sets[f"generated {size} px"] = (generated_test_pairs(generated, size, bands), 16)
    if bigearthnet:
        sets["BigEarthNet-MM 120 px"] = (bigearthnet_test_pairs(bigearthnet, bands), 8)
    table = compare_methods(train_dir / "registration.safetensors", sets, methods=methods,
                            seed=cfg.seed_everything, progress=progress)  # fmt: skip
    study = {"training": trained, "table": table}
    write_text_atomic(out / "study.json", json.dumps(study, indent=2))
    return study
