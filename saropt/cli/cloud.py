"""`saropt decloud`, `saropt translate` and `saropt train cloud-removal|translation`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from saropt.cli.common import (
    BackendOption,
    ChannelsLastOption,
    CompileOption,
    ConfigOption,
    DeviceOption,
    PrecisionOption,
    PrintConfigOption,
    SetOption,
    console,
    friendly_errors,
    progress_bar,
    resolve_config,
)

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
    batch_size: Annotated[int, typer.Option(help="Tiles per model call.", min=1)] = 8,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
    channels_last: ChannelsLastOption = True,
    compile_: CompileOption = False,
    backend: BackendOption = "torch",
) -> None:
    """Remove clouds from a whole scene: tiled, blended, GeoTIFF in and out."""
    from saropt.inference import TiledOptions, decloud_scene
    from saropt.inference.runtime import Runtime

    runtime = Runtime(device, precision, channels_last, compile_, backend)  # type: ignore[arg-type]

    with progress_bar() as bar:
        task = bar.add_task("tiles", total=None)
        decloud_scene(
            optical,
            sar,
            weights,
            out,
            mask=mask,
            options=TiledOptions(tile, overlap, batch_size),
            runtime=runtime,
            progress=lambda d, t: bar.update(task, completed=d, total=t),
        )
    console.print(f"wrote {out}")


@train_app.command("cloud-removal")
@friendly_errors
def train_cloud_removal_cmd(
    out: Annotated[Path, typer.Option(help="Run folder.")],
    config: ConfigOption = None,
    set_: SetOption = None,
    print_config: PrintConfigOption = False,
    resume: Annotated[Path | None, typer.Option(help="Checkpoint to resume from.")] = None,
) -> None:
    """Train SAR-Opt-cGAN (or, with --set model.use_sar=false, its optical-only twin)."""
    from saropt.experiments.cloud_removal import CloudRemovalConfig, train_cloud_removal
    from saropt.report import save_figure
    from saropt.report.training import training_curves

    cfg = resolve_config(CloudRemovalConfig, config, set_, print_config)
    metrics = train_cloud_removal(cfg, out, resume=resume, progress=True)
    save_figure(training_curves({out.name: out / "metrics.csv"}), out / "curves.png")
    print_metrics(metrics, f"validation after {cfg.trainer.max_epochs} epochs")
    console.print(f"weights: {out / 'generator.safetensors'}; curves: {out / 'curves.png'}")


def print_metrics(metrics: dict[str, float], title: str) -> None:
    """The validation metrics of a run (per-band ones left out) as a table."""
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in sorted(metrics.items()):
        if k.startswith("val") and "band" not in k:
            table.add_row(k, f"{v:.4f}")
    console.print(table)


@friendly_errors
def translate(
    source: Annotated[Path, typer.Option("--input", help="Optical (opt2sar) or SAR raster.")],
    weights: Annotated[Path, typer.Option(help="generator.safetensors of a translation run.")],
    out: Annotated[Path, typer.Option(help="Translated GeoTIFF to write.")],
    tile: Annotated[int, typer.Option(help="Tile side in pixels.", min=16)] = 256,
    overlap: Annotated[int, typer.Option(help="Blended overlap in pixels.", min=0)] = 32,
    device: DeviceOption = "cpu",
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
    config: ConfigOption = None,
    set_: SetOption = None,
    print_config: PrintConfigOption = False,
    resume: Annotated[Path | None, typer.Option(help="Checkpoint to resume from.")] = None,
) -> None:
    """Train an optical -> SAR translation cGAN (--set data.direction=sar2opt: the reverse;
    --set data.source=dream --set data.root=DB: on a database's tiles)."""
    from saropt.experiments.translation import TranslationConfig, train_translation

    cfg = resolve_config(TranslationConfig, config, set_, print_config)
    metrics = train_translation(cfg, out, resume=resume, progress=True)
    print_metrics(metrics, f"validation after {cfg.trainer.max_epochs} epochs")
    console.print(f"weights: {out / 'generator.safetensors'}")
