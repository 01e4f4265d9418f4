"""The demo's matching stage: the shift classifier with its score maps, a misplaced optical
image corrected by tie points, and SIFT/BRISK on the raw and the cGAN-translated pair."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine

from saropt.experiments.config import TrainerConfig
from saropt.experiments.demo.context import DemoContext
from saropt.experiments.evaluation import evaluate_weights
from saropt.experiments.keypoints import (
    KeypointSettings,
    TranslateMatchConfig,
    train_translate_match,
)
from saropt.experiments.shift import ShiftConfig, ShiftData, train_shift_classifier
from saropt.experiments.translation import TranslationData
from saropt.inference.tiepoints import TiePoints, correct_georeference
from saropt.io.grid import Grid
from saropt.io.raster import Raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS
from saropt.io.write import write_raster
from saropt.report import Section, save_figure
from saropt.report.matching import keypoint_bars_figure, save_evaluation_figure, tiepoints_figure
from saropt.synth import Scene

#: Where the demo claims its optical image is: 23 m east and 17 m south of the truth.
TRUTH = (23.0, -17.0)


def demo_configs(ctx: DemoContext) -> tuple[ShiftConfig, TranslateMatchConfig]:
    """The tiny setups of the README's figures, or one-epoch ones for test-sized demos."""
    shift, tsift = ShiftConfig(seed_everything=ctx.seed), TranslateMatchConfig()
    tsift.translation.seed_everything = ctx.seed
    if ctx.quick:
        shift.data = ShiftData(scene_size=128, train_length=32)
        shift.trainer = TrainerConfig(max_epochs=1)
        tsift.translation.data = TranslationData(scene_size=128)
        tsift.translation.trainer = TrainerConfig(max_epochs=1)
        tsift.matching = KeypointSettings(scene_size=128, crop=96)
    return shift, tsift


def misplaced_tiepoints(scene: Scene, weights: Path, out: Path, quick: bool) -> TiePoints:
    """Write the scene's optical image :data:`TRUTH` off, and correct it by tie points."""
    g = scene.grid
    sar_tif = write_raster(out / "s1.tif", Raster(scene.sar[0], g, None, S1_BANDS))
    wrong = Grid(g.crs, Affine.translation(*TRUTH) @ g.transform, g.width, g.height)
    opt_tif = write_raster(out / "s2_misplaced.tif", Raster(scene.optical, wrong, 0, S2_BANDS))
    loose: dict[str, Any] = {"min_confidence": 0.0, "min_peak_ratio": 0.0} if quick else {}
    return correct_georeference(opt_tif, sar_tif, weights, out / "tiepoints", **loose)


def matching_text(
    shift: ShiftConfig, tsift: TranslateMatchConfig, tp: TiePoints, err: float
) -> list[str]:
    """The stage's paragraphs."""
    d, k = shift.data, tsift.matching
    return [
        f"Shift classifier (siamese, dense correlation, smooth cross-entropy): width "
        f"{shift.model.width}, {shift.trainer.max_epochs} epochs on {d.train_length} "
        f"{d.template} px optical templates in {d.search} px SAR windows of one generated "
        "scene, evaluated on a held-out scene against normalised cross-correlation (NCC).",
        f"Tie points: the demo scene's optical image was written {TRUTH[0]:g} m east and "
        f"{-TRUTH[1]:g} m south of where it is. {len(tp.confidence)} templates, "
        f"{int(tp.kept.sum())} confident, {int(tp.inliers.sum())} RANSAC inliers; the fitted "
        f"correction is ({tp.offset[0]:.2f}, {tp.offset[1]:.2f}) m, {err:.2f} m from the "
        "truth. Corrected GeoTIFF: matching/tiepoints/corrected.tif.",
        f"Translate, then match: an opt2sar cGAN ({tsift.translation.trainer.max_epochs} "
        f"tiny epochs, {tsift.translation.model.gan_mode} loss) makes the optical image "
        f"SAR-like; SIFT and BRISK with ratio test and RANSAC at {len(k.offsets)} known "
        f"offsets of a held-out scene. A match is correct within {k.tolerance_px:g} px of "
        "the known offset.",
    ]


def stage_matching(ctx: DemoContext) -> list[Section]:
    """Train the shift classifier, show its score maps, correct a misplaced optical image
    with tie points, and compare SIFT/BRISK on the raw and the cGAN-translated pair."""
    scene = ctx.require_scene("stage_matching")
    out = ctx.out / "matching"
    shift_cfg, tsift_cfg = demo_configs(ctx)
    shifts = train_shift_classifier(shift_cfg, out / "shift")
    weights = out / "shift" / "shift_classifier.safetensors"
    ev = evaluate_weights(weights, seed=ctx.seed + 2000, scene_size=shift_cfg.data.scene_size)
    save_evaluation_figure(ev, ctx.img)  # img/score_maps.png
    tp = misplaced_tiepoints(scene, weights, out, ctx.quick)
    err = float(np.hypot(tp.offset[0] + TRUTH[0], tp.offset[1] + TRUTH[1]))
    save_figure(
        tiepoints_figure(scene.sar[0, 0], scene.grid.transform, tp), ctx.img / "tiepoints.png"
    )
    tsift = train_translate_match(tsift_cfg, out / "translate_sift")
    save_figure(keypoint_bars_figure(tsift), ctx.img / "keypoints.png")
    ctx.results["matching"] = {"shift": shifts, "tiepoint_error_m": err, "keypoints": tsift}
    shift_rows: list[list[object]] = [
        [name, r["mean_px"], r["median_px"], r["within_1px"], r["within_3px"]]
        for name, r in (("shift classifier", shifts["shift_classifier"]), ("NCC", shifts["ncc"]))
    ]
    key_rows: list[list[object]] = [
        [k, int(v["keypoints"]), int(v["matches"]), int(v["correct"]), v["offset_error_px"]]
        for k, v in tsift.items()
    ]
    return [
        Section(
            "SAR-optical matching",
            paragraphs=matching_text(shift_cfg, tsift_cfg, tp, err),
            tables=[
                (("shifts", "mean px", "median px", "within 1 px", "within 3 px"), shift_rows),
                (
                    ("pair", "keypoints", "ratio-test matches", "correct", "offset error px"),
                    key_rows,
                ),
            ],
            images=[
                ("img/tiepoints.png", "Tie points over Sentinel-1 VV"),
                ("img/keypoints.png", "Correct SIFT/BRISK matches"),
            ],
            wide_images=[("img/score_maps.png", "Score maps of held-out templates")],
        )
    ]
