"""`saropt decloud`, `saropt translate` and `saropt train cloud-removal|translation`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from saropt.cli.common import console, friendly_errors, progress_bar

train_app = typer.Typer(help="Train models from YAML configs.", no_args_is_help=True)


@friendly_errors
def decloud(
    optical: Annotated[Path, typer.Option(help="Cloudy Sentinel-2 GeoTIFF.")],
    weights: Annotated[Path, typer.Option(help="generator.safetensors from training.")],
    out: Annotated[Path, typer.Option(help="Cloud-free GeoTIFF to write.")],
    sar: Annotated[Path | None, typer.Option(help="Sentinel-1 VV/VH dB on the same grid.")] = None,
    mask: Annotated[
        Path | None, typer.Option(help="Cloud mask (non-zero = cloud): replace only those pixels.")
    ] = None,
    tile: Annotated[int, typer.Option(help="Tile side in pixels.", min=16)] = 256,
    overlap: Annotated[int, typer.Option(help="Blended overlap in pixels.", min=0)] = 32,
    batch_size: Annotated[int, typer.Option(help="Tiles per model call.", min=1)] = 4,
    device: Annotated[str, typer.Option(help="Torch device (cpu, cuda).")] = "cpu",
) -> None:
    """Remove clouds from a whole scene: tiled, blended, GeoTIFF in and out."""
    from saropt.inference import TiledOptions, decloud_scene

    with progress_bar() as bar:
        task = bar.add_task("tiles", total=None)
        decloud_scene(
            optical,
            sar,
            weights,
            out,
            mask=mask,
            options=TiledOptions(tile, overlap, batch_size),
            device=device,
            progress=lambda d, t: bar.update(task, completed=d, total=t),
        )
    console.print(f"wrote {out}")


@train_app.command("cloud-removal")
@friendly_errors
def train_cloud_removal_cmd(
    config: Annotated[Path, typer.Option(help="YAML config (configs/cloud_removal_*.yaml).")],
    out: Annotated[Path, typer.Option(help="Run folder.")],
    resume: Annotated[Path | None, typer.Option(help="Checkpoint to resume from.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Override the config's epochs.")] = None,
    opt_only: Annotated[bool, typer.Option(help="Train the Opt-cGAN twin (no SAR).")] = False,
) -> None:
    """Train SAR-Opt-cGAN (or its optical-only twin) on generated scenes with synthetic clouds."""
    from saropt.report import save_figure
    from saropt.report.training import training_curves
    from saropt.tasks.cloud_removal import CloudRemovalConfig, train_cloud_removal

    overrides = {"use_sar": False} if opt_only else {}
    cfg = CloudRemovalConfig.from_yaml(config, **overrides)
    metrics = train_cloud_removal(cfg, out, resume=resume, max_epochs=epochs, progress=True)
    save_figure(training_curves({out.name: out / "metrics.csv"}), out / "curves.png")
    table = Table(title=f"validation after {epochs or cfg.epochs} epochs")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in sorted(metrics.items()):
        if k.startswith(("val/", "val_input/")) and "band" not in k:
            table.add_row(k, f"{v:.4f}")
    console.print(table)
    console.print(f"weights: {out / 'generator.safetensors'}; curves: {out / 'curves.png'}")


@friendly_errors
def translate(
    source: Annotated[Path, typer.Option("--input", help="Optical (opt2sar) or SAR raster.")],
    weights: Annotated[Path, typer.Option(help="generator.safetensors of a translation run.")],
    out: Annotated[Path, typer.Option(help="Translated GeoTIFF to write.")],
    tile: Annotated[int, typer.Option(help="Tile side in pixels.", min=16)] = 256,
    overlap: Annotated[int, typer.Option(help="Blended overlap in pixels.", min=0)] = 32,
    device: Annotated[str, typer.Option(help="Torch device (cpu, cuda).")] = "cpu",
) -> None:
    """Translate a scene optical -> SAR-like or SAR -> optical-like (the weights say which)."""
    from saropt.inference import TiledOptions, translate_scene

    with progress_bar() as bar:
        task = bar.add_task("tiles", total=None)
        translate_scene(
            source,
            weights,
            out,
            options=TiledOptions(tile, overlap),
            device=device,
            progress=lambda d, t: bar.update(task, completed=d, total=t),
        )
    console.print(f"wrote {out}")


@train_app.command("translation")
@friendly_errors
def train_translation_cmd(
    out: Annotated[Path, typer.Option(help="Run folder.")],
    direction: Annotated[str, typer.Option(help="opt2sar or sar2opt.")] = "opt2sar",
    config: Annotated[
        Path | None, typer.Option(help="YAML config (fields of TranslationConfig).")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Override the epochs.")] = None,
) -> None:
    """Train an optical <-> SAR translation cGAN on generated scenes."""
    from saropt.tasks.translation import TranslationConfig, train_translation

    overrides: dict[str, object] = {"direction": direction}
    if epochs is not None:
        overrides["epochs"] = epochs
    if config is not None:
        cfg = TranslationConfig.from_yaml(config, **overrides)
    else:
        cfg = TranslationConfig(**overrides)  # type: ignore[arg-type]
    metrics = train_translation(cfg, out, progress=True)
    for k, v in sorted(metrics.items()):
        if k.startswith("val"):
            console.print(f"{k:28s} {v:.4f}")
    console.print(f"weights: {out / 'generator.safetensors'}")
