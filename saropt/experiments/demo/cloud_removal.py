"""The demo's cloud-removal stage: tiny SAR-Opt-cGAN and Opt-cGAN twins, compared on a
held-out tile, which also goes through the whole-scene GeoTIFF path."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from saropt.experiments.cloud_removal import (
    CloudRemovalConfig,
    CloudRemovalData,
    TwinComparison,
    compare_twins,
)
from saropt.experiments.config import TrainerConfig
from saropt.experiments.demo.context import DemoContext
from saropt.inference import TiledOptions, decloud_scene
from saropt.io.grid import Grid
from saropt.io.raster import Raster
from saropt.io.sentinel import S1_BANDS, s2_reflectance_to_dn, s2_wavelengths
from saropt.io.write import write_raster
from saropt.report import Section, save_figure
from saropt.report.cloud import comparison_figure, spectral_profiles_figure
from saropt.report.training import training_curves

KEYS = ("rmse_cloudy", "sam_cloudy", "rmse_clear", "sam_clear", "rmse", "psnr", "ssim")


#: Epochs of each twin in the demo: the tiny setup's 30 (`benchmarks/cloud_removal.py`, the
#: README's table) took 5.5 of the demo's 9.5 minutes; 10, with fused Adam, keep the demo
#: under its 6-minute budget.
DEMO_EPOCHS = 10


def demo_config(ctx: DemoContext) -> CloudRemovalConfig:
    """The tiny setup trained for :data:`DEMO_EPOCHS`, or a two-epoch one for test-sized
    demos."""
    cfg = CloudRemovalConfig(
        trainer=TrainerConfig(max_epochs=DEMO_EPOCHS), seed_everything=ctx.seed
    )
    cfg.model.fused_adam = True
    if ctx.quick:
        cfg.data = CloudRemovalData(scene_size=256, train_length=32, val_length=16)
        cfg.trainer = TrainerConfig(max_epochs=2)
    return cfg


def twin_figures(cmp: TwinComparison, cfg: CloudRemovalConfig, img: Path) -> list[tuple[str, str]]:
    """The paper's figures 3-5 for the held-out tile; returns (path, caption) pairs."""
    save_figure(
        comparison_figure(cmp.target, cmp.cloudy, cmp.sar, cmp.predictions),
        img / "cloud_comparison.png",
    )
    images = [("img/cloud_comparison.png", "Held-out tile: images, RMSE and SAM maps")]
    ys, xs = cmp.mask.nonzero()
    if len(ys):
        pick = [(int(ys[i]), int(xs[i])) for i in (0, len(ys) // 2, len(ys) - 1)]
        wavelengths = s2_wavelengths(list(cfg.data.bands))
        fig = spectral_profiles_figure(wavelengths, cmp.target, cmp.cloudy, cmp.predictions, pick)
        save_figure(fig, img / "cloud_profiles.png")
        images.append(("img/cloud_profiles.png", "Spectra of three cloudy pixels"))
    curves = training_curves({k: v / "metrics.csv" for k, v in cmp.runs.items()})
    save_figure(curves, img / "cloud_curves.png")
    images.append(("img/cloud_curves.png", "Training curves"))
    return images


def decloud_heldout(cmp: TwinComparison, cfg: CloudRemovalConfig, out: Path, tile: int) -> Path:
    """Run the held-out tile through the whole-scene path: GeoTIFF in, GeoTIFF out."""
    g = Grid.from_origin("EPSG:32633", 600000.0, 5000000.0, 10.0, tile, tile)
    cloudy_dn = np.round(s2_reflectance_to_dn(cmp.cloudy)).astype(np.uint16)
    write_raster(out / "heldout_cloudy.tif", Raster(cloudy_dn, g, 0, cfg.data.bands))
    write_raster(out / "heldout_s1.tif", Raster(cmp.sar.astype(np.float32), g, None, S1_BANDS))
    return decloud_scene(
        out / "heldout_cloudy.tif",
        out / "heldout_s1.tif",
        out / "sar_opt" / "generator.safetensors",
        out / "heldout_decloud.tif",
        options=TiledOptions(min(tile, 128), 16, 4),
    )


def stage_cloud_removal(ctx: DemoContext) -> list[Section]:
    """Train tiny SAR-Opt-cGAN and Opt-cGAN twins, decloud a held-out tile, compare."""
    cfg = demo_config(ctx)
    out = ctx.out / "cloud_removal"
    tile = 128 if ctx.quick else 256
    cmp = compare_twins(cfg, out, tile=tile)
    images = twin_figures(cmp, cfg, ctx.img)
    decloud_heldout(cmp, cfg, out, tile)
    names = (("cloudy input", "cloudy_input"), ("Opt-cGAN", "opt"), ("SAR-Opt-cGAN", "sar_opt"))
    rows: list[list[object]] = [[n, *(cmp.metrics[k][m] for m in KEYS)] for n, k in names]
    ctx.results["cloud_removal"] = cmp.metrics
    m, d = cfg.model, cfg.data
    text = (
        f"Both twins: width {m.width}, depth {m.depth}, {cfg.trainer.max_epochs} epochs of "
        f"{d.train_length} patches of {d.patch_size} px from one generated scene with Perlin "
        "clouds; evaluated on a held-out scene's tile, 50 % clouded. Reflectance RMSE and SAM "
        "(degrees) on cloudy and clear pixels. The held-out tile was also declouded through "
        "the whole-scene GeoTIFF path: cloud_removal/heldout_decloud.tif. Weights: "
        "cloud_removal/*/generator.safetensors."
    )
    return [
        Section(
            "Cloud removal (SAR-Opt-cGAN against Opt-cGAN)",
            paragraphs=[text],
            tables=[(("", *KEYS), rows)],
            wide_images=images,
        )
    ]
