"""`saropt match train|eval|tiepoints`: the five matching approaches, their evaluation, and
the correction of an optical image's georeference."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from saropt.cli.common import (
    ConfigOption,
    PrintConfigOption,
    SetOption,
    console,
    friendly_errors,
    resolve_config,
)

match_app = typer.Typer(help="SAR-optical matching.", no_args_is_help=True)


class Approach(StrEnum):
    """What `saropt match train` trains."""

    shift = "shift"
    binary = "binary"
    descriptor = "descriptor"
    translate_sift = "translate-sift"
    hard_negatives = "hard-negatives"
    real_shift = "real-shift"


def results_table(results: dict[str, dict[str, float]], title: str) -> Table:
    """One row per metric, one column per method (narrow terminals keep every number)."""
    table = Table(title=title)
    keys = list(dict.fromkeys(k for r in results.values() for k in r))
    table.add_column("")
    for name in results:
        table.add_column(name, justify="right", overflow="fold")
    for k in keys:
        table.add_row(k, *(f"{r[k]:.3f}" if k in r else "-" for r in results.values()))
    return table


def approach_runner(approach: Approach) -> tuple[type, Callable[[Any, Path], dict[str, Any]]]:
    """(config class, train function) of an approach."""
    from saropt.experiments import hard_negatives, keypoints, pairs, shift

    runners: dict[Approach, tuple[type, Callable[[Any, Path], dict[str, Any]]]] = {
        Approach.shift: (shift.ShiftConfig, shift.train_shift_classifier),
        Approach.binary: (pairs.BinaryMatchConfig, pairs.train_pair_model),
        Approach.descriptor: (pairs.DescriptorConfig, pairs.train_pair_model),
        Approach.translate_sift: (keypoints.TranslateMatchConfig, keypoints.train_translate_match),
        Approach.hard_negatives: (
            hard_negatives.HardNegativeConfig,
            hard_negatives.train_generated_negatives,
        ),
        Approach.real_shift: (shift.RealShiftConfig, shift.real_shift_study),
    }
    return runners[approach]


@match_app.command("train")
@friendly_errors
def train(
    approach: Annotated[Approach, typer.Argument(help="What to train.")] = Approach.shift,
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/match"),
    config: ConfigOption = None,
    set_: SetOption = None,
    print_config: PrintConfigOption = False,
) -> None:
    """Train a matching approach on generated pairs and compare it with its baseline.

    shift: the siamese shift classifier against NCC. binary: the pseudo-siamese binary
    matcher. descriptor: the two-stream descriptor. translate-sift: opt2sar cGAN, then
    SIFT/BRISK, against the raw pair. hard-negatives: the matcher with VAE-GAN negatives
    against random ones. real-shift: shift estimation on real BigEarthNet pairs against NCC
    (--set root=DIR).
    """
    cls, run = approach_runner(approach)
    cfg: Any = resolve_config(cls, config, set_, print_config)
    with console.status(f"training {approach.value} (minutes on a CPU) ..."):
        results = run(cfg, out)  # also written to out/results.json
    print_results(results, approach.value)
    console.print(f"results: {out / 'results.json'}")


def print_results(results: dict[str, Any], title: str) -> None:
    """Metric dictionaries as tables: those with the same metrics share one; nested ones
    (method -> split -> metrics) get one per method."""
    groups: dict[tuple[str, ...], dict[str, dict[str, float]]] = {}
    for name, value in results.items():
        if not isinstance(value, dict):
            console.print(f"{name}: {value}")
        elif all(isinstance(v, dict) for v in value.values()):
            console.print(results_table(value, f"{title}: {name}"))
        else:
            groups.setdefault(tuple(value), {})[name] = value
    for group in groups.values():
        console.print(results_table(group, title))


@match_app.command("eval")
@friendly_errors
def evaluate(
    weights: Annotated[Path, typer.Option(help="Weights from `saropt match train`.")],
    out: Annotated[Path, typer.Option(help="Folder for results.json and the figure.")],
    seed: Annotated[int, typer.Option(help="Seed of the generated evaluation scene.")] = 2000,
    scene_size: Annotated[int, typer.Option(help="Scene side in pixels.", min=128)] = 384,
) -> None:
    """Evaluate matching weights on a fresh generated scene, with a figure: score maps
    (shift classifier), ROC (matcher, descriptor) or correct matches (translation)."""
    from saropt.experiments.evaluation import evaluate_weights
    from saropt.io.atomic import write_text_atomic
    from saropt.report.matching import save_evaluation_figure

    ev = evaluate_weights(weights, seed=seed, scene_size=scene_size)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "results.json", json.dumps(ev.results, indent=2))
    figure = save_evaluation_figure(ev, out)
    print_results(ev.results, f"{ev.kind} on generated scene {seed}")
    console.print(f"results: {out / 'results.json'}, figure: {figure}")


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
    model: Annotated[
        str, typer.Option(help="Error model: translation, or affine (rotation, scale too).")
    ] = "translation",
) -> None:
    """Match optical templates in the SAR image, fit the georeference error, fix it."""
    from saropt.inference.tiepoints import correct_georeference, offset_in_pixels_and_metres
    from saropt.io.raster import read_info

    tp = correct_georeference(
        optical, sar, weights, out, step=step, min_confidence=min_confidence,
        min_peak_ratio=min_peak_ratio, model=model,
    )  # fmt: skip
    (cols, rows), (east, north) = offset_in_pixels_and_metres(tp.offset, read_info(optical).grid)
    console.print(
        f"{len(tp.confidence)} tie points, {int(tp.kept.sum())} confident, "
        f"{int(tp.inliers.sum())} inliers: the optical image moves by ({cols:.2f}, "
        f"{rows:.2f}) px (columns, rows), ({east:.2f}, {north:.2f}) m (east, north) -> "
        f"{out / 'corrected.tif'}"
    )
