"""The demo's cross-modal classification stage: the paper's full model (C+T+M) trained on
unpaired S1 and S2 patches, scored on held-out aligned pairs, and applied to the demo scene
from Sentinel-1 alone and from Sentinel-2 alone."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from saropt.experiments.classification import (
    ClassificationConfig,
    ClassificationData,
    train_classification,
)
from saropt.experiments.config import TrainerConfig
from saropt.experiments.demo.context import DemoContext
from saropt.inference import classify_scene
from saropt.io.raster import Raster, read_raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS
from saropt.io.write import write_raster
from saropt.report import Section, save_figure
from saropt.report.classification import (
    class_maps_figure,
    confusion_figure,
    per_class_f1_figure,
)


def demo_config(ctx: DemoContext) -> ClassificationConfig:
    """The tiny C+T+M setup of the README, or a one-epoch one for test-sized demos."""
    cfg = ClassificationConfig(seed_everything=ctx.seed)
    if ctx.quick:
        cfg.data = ClassificationData(scene_size=128, scenes=1, train_length=32, val_length=16)
        cfg.trainer = TrainerConfig(max_epochs=1)
    return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, setting="CTM"))


def _rows(r: dict[str, Any]) -> list[list[object]]:
    names = {"s1": "Sentinel-1 alone", "s2": "Sentinel-2 alone", "prior": "prior (mean label)",
             "oracle": "oracle (true label)"}  # fmt: skip
    return [[names[k], r[k]["macro_f1"], r[k]["weighted_f1"], r[k]["kl"]] for k in names]


def stage_classification(ctx: DemoContext) -> list[Section]:
    """Train C+T+M, draw its confusion matrices and per-class F1, and map the demo scene's
    land cover from each modality alone."""
    scene = ctx.require_scene("stage_classification")
    out = ctx.out / "classification"
    cfg = demo_config(ctx)
    r = train_classification(cfg, out)
    pred = np.load(out / "predictions.npz")
    classes = r["classes"]
    for m, name in (("s1", "Sentinel-1"), ("s2", "Sentinel-2")):
        fig = confusion_figure(pred[f"p_{m}"], pred["label"], classes, f"{name} alone")
        save_figure(fig, ctx.img / f"classification_confusion_{m}.png")
    f1 = {"Sentinel-1": r["s1"]["per_class_f1"], "Sentinel-2": r["s2"]["per_class_f1"]}
    save_figure(per_class_f1_figure(f1, classes), ctx.img / "classification_f1.png")
    g = scene.grid
    s1 = write_raster(out / "s1.tif", Raster(scene.sar[0], g, None, S1_BANDS))
    s2 = write_raster(out / "s2.tif", Raster(scene.optical, g, 0, S2_BANDS))
    weights = out / "classifier.safetensors"
    maps = {}
    for tag, name in (("s1", "Sentinel-1"), ("s2", "Sentinel-2")):
        s1_in, s2_in = (s1, None) if tag == "s1" else (None, s2)
        # windows a whole patch apart: a quarter of the default's, to keep the demo short
        path = classify_scene(s1_in, s2_in, weights, out / f"classes_{tag}.tif",
                              stride=cfg.data.patch_size)  # fmt: skip
        maps[f"from {name} alone"] = read_raster(path).data[-1].astype(np.uint8)
    agree = float((maps["from Sentinel-1 alone"] == maps["from Sentinel-2 alone"]).mean())
    save_figure(class_maps_figure(maps, classes, scene.landcover), ctx.img / "class_maps.png")
    ctx.results["classification"] = {**r, "map_agreement": agree}
    text = [
        f"One cross-modal classifier (ResNet-18 width {cfg.model.width} branches, "
        f"{cfg.model.latent}-d shared latent space) trained with the KL, triplet and "
        f"modality losses on {cfg.data.train_length} Sentinel-1 and as many Sentinel-2 "
        f"{cfg.data.patch_size} px patches drawn from different places of "
        f"{cfg.data.scenes} generated scenes ({cfg.trainer.max_epochs} epochs); scored on "
        f"{cfg.data.val_length} aligned pairs of held-out scenes. A class counts as predicted "
        "above probability 0.3 and as present when its share is above 0, so even the "
        "oracle that predicts each patch's true histogram misses the small shares.",
        f"Homogeneity s = {r['homogeneity']:.3f}; S1 -> S2 retrieval recall@1 = "
        f"{r['retrieval_s1_to_s2']['recall@1']:.3f}. On the demo scene the class maps from "
        f"S1 alone and from S2 alone agree on {100 * agree:.1f} % of the pixels "
        "(classification/classes_s1.tif, classes_s2.tif). The whole study (every setting, "
        "three seeds) is `saropt train classification-study`.",
    ]
    return [
        Section(
            "Cross-modal classification",
            paragraphs=text,
            tables=[(("input", "macro F1", "weighted F1", "KL"), _rows(r))],
            images=[
                ("img/classification_confusion_s1.png", "Dominant class, Sentinel-1 alone"),
                ("img/classification_confusion_s2.png", "Dominant class, Sentinel-2 alone"),
                ("img/classification_f1.png", "Per-class F1 (p > 0.3)"),
            ],
            wide_images=[("img/class_maps.png", "Land cover of the demo scene")],
        )
    ]
