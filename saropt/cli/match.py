"""`saropt match`: train the shift classifier, and correct an optical image's georeference."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from saropt.cli.common import console, friendly_errors

match_app = typer.Typer(help="SAR-optical matching.", no_args_is_help=True)


@match_app.command("train")
@friendly_errors
def train(
    out: Annotated[Path, typer.Option(help="Run folder.")],
    epochs: Annotated[int, typer.Option(help="Epochs.", min=1)] = 8,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Train the siamese shift classifier on generated pairs; compare it with NCC."""
    from saropt.tasks.matching import ShiftConfig, train_shift_classifier

    results = train_shift_classifier(ShiftConfig(epochs=epochs, seed=seed), out)
    for name, stats in results.items():
        console.print(
            f"{name:17s} mean {stats['mean_px']:.2f} px, median {stats['median_px']:.2f} px, "
            f"within 1 px {100 * stats['within_1px']:.0f} %"
        )
    console.print(f"weights: {out / 'shift_classifier.safetensors'}")


@match_app.command("tiepoints")
@friendly_errors
def tiepoints(
    sar: Annotated[Path, typer.Option(help="Sentinel-1 VV/VH dB GeoTIFF: the reference.")],
    optical: Annotated[Path, typer.Option(help="Optical GeoTIFF whose georeference to fix.")],
    weights: Annotated[Path, typer.Option(help="shift_classifier.safetensors.")],
    out: Annotated[Path, typer.Option(help="Folder for tiepoints.geojson and corrected.tif.")],
    step: Annotated[int, typer.Option(help="Pixels between templates.", min=8)] = 48,
    min_confidence: Annotated[float, typer.Option(help="Keep matches this confident.")] = 0.3,
    min_peak_ratio: Annotated[float, typer.Option(help="...with this peak ratio.")] = 2.0,
) -> None:
    """Match optical templates in the SAR image, fit the georeference error, fix it."""
    from saropt.inference.tiepoints import correct_georeference

    tp = correct_georeference(
        optical, sar, weights, out,
        step=step, min_confidence=min_confidence, min_peak_ratio=min_peak_ratio,
    )  # fmt: skip
    console.print(
        f"{len(tp.confidence)} tie points, {int(tp.kept.sum())} confident, "
        f"{int(tp.inliers.sum())} inliers: the optical image moves by "
        f"({tp.offset[0]:.2f}, {tp.offset[1]:.2f}) map units -> {out / 'corrected.tif'}"
    )
