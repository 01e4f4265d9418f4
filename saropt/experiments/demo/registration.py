"""The demo's registration stage: a crop of the demo scene whose optical image is deformed by
a smooth field of known flow, registered back onto its SAR image by every method; the flows
in hue/saturation colour (DREAM's Fig. 4), the EPE table, and checkerboards before and after.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import numpy as np

from saropt.experiments.config import TrainerConfig
from saropt.experiments.demo.context import DemoContext
from saropt.experiments.registration import (
    RegistrationConfig,
    RegistrationData,
    deformed,
    train_registration,
)
from saropt.inference.flow import flow_method
from saropt.io.sentinel import band_indices
from saropt.metrics.registration import flow_scores
from saropt.report import Section, rgb, save_figure, stretch
from saropt.report.registration import checkerboard, checkerboard_figure, flow_figure
from saropt.transforms.flow import warp

#: Side of the demo's pair, the largest displacement of its field, and the EPE border.
PAIR, AMPLITUDE, BORDER = 256, 4.0, 16


def demo_config(ctx: DemoContext) -> RegistrationConfig:
    """A registration network trained for seconds (the README's study trains minutes)."""
    cfg = RegistrationConfig(seed_everything=ctx.seed)
    if ctx.quick:
        cfg.data = RegistrationData(scene_size=128, scenes=1, patch_size=64, train_length=8,
                                    val_length=4, batch_size=4)  # fmt: skip
    else:
        cfg.data = RegistrationData(scene_size=256, scenes=2, train_length=64, val_length=16)
    cfg.trainer = TrainerConfig(max_epochs=1)
    return cfg


def _pair(ctx: DemoContext, bands: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(SAR dB, optical DN as float32): the demo scene's central crop."""
    scene = ctx.require_scene("stage_registration")
    size = min(PAIR, scene.grid.height, scene.grid.width)
    r0, c0 = (scene.grid.height - size) // 2, (scene.grid.width - size) // 2
    rows, cols = slice(r0, r0 + size), slice(c0, c0 + size)
    opt = scene.optical[band_indices(bands)][:, rows, cols].astype(np.float32)
    return scene.sar[0][:, rows, cols], opt


def _registered(moving: np.ndarray, flow: np.ndarray) -> np.ndarray:
    import torch

    out = warp(torch.from_numpy(moving)[None], torch.from_numpy(flow)[None])[0]
    return np.asarray(out.numpy())


def stage_registration(ctx: DemoContext) -> list[Section]:
    """Train the network briefly, deform a crop, score zero flow, phase correlation,
    GeFolki (when installed) and the network, and draw flows and checkerboards."""
    out = ctx.out / "registration"
    cfg = demo_config(ctx)
    bands = list(cfg.data.optical_bands)
    sar, opt = _pair(ctx, bands)  # before training: a missing scene fails at once
    trained = train_registration(cfg, out)
    ((fixed, moving, truth),) = deformed([(sar, opt)], AMPLITUDE, ctx.seed)
    methods = ["zero", "phase"]
    if importlib.util.find_spec("gefolki") is not None:
        methods.append("gefolki")
    methods.append("pwc")
    flows: dict[str, np.ndarray] = {"true flow": truth}
    rows: list[list[object]] = []
    scores: dict[str, dict[str, float]] = {}
    for m in methods:
        fn, _ = flow_method(m, out / "registration.safetensors" if m == "pwc" else None)
        t0 = time.perf_counter()
        flow = fn(fixed[None], moving[None])[0]
        s = {**flow_scores(flow, truth, BORDER), "seconds": time.perf_counter() - t0}
        scores[m] = s
        rows.append([m, s["epe"], s["under_1"], s["under_3"], s["seconds"]])
        if m != "zero":
            flows[m] = flow
    best = min((m for m in methods if m != "zero"), key=lambda m: scores[m]["epe"])
    save_figure(flow_figure(flows, AMPLITUDE), ctx.img / "registration_flows.png")
    true_colour = band_indices(("B04", "B03", "B02"), bands)
    grey = np.repeat(stretch(fixed[0])[..., None], 3, axis=-1)
    cell = max(8, fixed.shape[1] // 8)
    panels = {
        "before: SAR | deformed optical": checkerboard(grey, rgb(moving, true_colour), cell),
        f"after {best}": checkerboard(
            grey, rgb(_registered(moving, flows[best]), true_colour), cell
        ),
        "after the true flow": checkerboard(
            grey, rgb(_registered(moving, truth), true_colour), cell
        ),
    }
    save_figure(checkerboard_figure(panels), ctx.img / "registration_checker.png")
    ctx.results["registration"] = {"training": trained, "scores": scores, "best": best}
    return [_section(cfg, trained, rows, best, fixed.shape[1])]


def _section(cfg: RegistrationConfig, trained: dict[str, Any], rows: list[list[object]],
             best: str, size: int) -> Section:  # fmt: skip
    d = cfg.data
    text = [
        f"The optical image (bands {', '.join(d.optical_bands)}) of a {size} px crop of the "
        f"demo scene is deformed by a smooth random field whose largest displacement is "
        f"{AMPLITUDE:g} px (control points 64 px apart plus an affine part), and each method "
        "estimates the flow back onto the SAR image (VV, VH). EPE is the mean end-point "
        f"error in pixels {BORDER} px away from the border.",
        f"The network (PWC-multimodal, width {cfg.model.width}) is trained here for "
        f"{cfg.trainer.max_epochs} epoch of {d.train_length} deformed patches of "
        f"{d.patch_size} px, {trained['train_seconds']:.0f} s: far too little to learn "
        "SAR-optical flow, and even the README's few-minute study does not beat zero flow "
        "yet (README, Measured). The checkerboards alternate the SAR image (grey) and the "
        f"optical image (colour); edges that continue across squares are registered. The "
        f"middle one uses the method of lowest EPE here ({best}).",
    ]
    header = ("method", "EPE (px)", "share < 1 px", "share < 3 px", "seconds")
    return Section(
        "Dense SAR-optical registration",
        paragraphs=text,
        tables=[(header, rows)],
        wide_images=[
            (
                "img/registration_flows.png",
                "True and estimated flows (hue: direction, saturation: length)",
            ),
            ("img/registration_checker.png", "SAR | optical checkerboards"),
        ],
    )
