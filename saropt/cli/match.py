"""`saropt match train|eval|tiepoints`: the five matching approaches, their evaluation, and
the correction of an optical image's georeference."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from saropt.cli.common import console, friendly_errors
from saropt.errors import ConfigError

match_app = typer.Typer(help="SAR-optical matching.", no_args_is_help=True)


class Approach(StrEnum):
    """What `saropt match train` trains."""

    shift = "shift"
    pairs = "pairs"
    translate_sift = "translate-sift"
    hard_negatives = "hard-negatives"
    real_shift = "real-shift"


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``key=value`` strings as a dict, values read as YAML (``epochs=3``, ``models=[a]``).

    Raises:
        ConfigError: An item without ``=``.
    """
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set takes key=value; got {item!r}")
        parsed = yaml.safe_load(value)
        if isinstance(parsed, str):  # YAML 1.1 reads 1e-4 as a string
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        out[key.strip()] = parsed
    return out


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


def run_approach(
    approach: Approach, out: Path, config: Path | None, overrides: dict[str, Any],
    data: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Train one approach from its YAML config (or the tiny defaults) plus overrides."""
    from saropt.tasks import hard_negatives as hn
    from saropt.tasks import keypoint_matching as km
    from saropt.tasks import matching as m

    def cfg(cls: Any) -> Any:
        return cls.from_yaml(config, **overrides) if config else cls.from_dict(overrides)

    if approach is Approach.shift:
        return m.train_shift_classifier(cfg(m.ShiftConfig), out)
    if approach is Approach.pairs:
        return m.train_pair_matchers(cfg(m.PairMatchConfig), out)
    if approach is Approach.translate_sift:
        return km.train_translate_match(cfg(km.TranslateMatchConfig), out)
    if approach is Approach.hard_negatives:
        return hn.train_generated_negatives(cfg(hn.HardNegativeConfig), out)
    if data is None:
        raise ConfigError("real-shift needs --data: a folder of BigEarthNet-MM S1/S2 patches")
    return m.real_shift_study(data, out, cfg=cfg(m.ShiftConfig))


@match_app.command("train")
@friendly_errors
def train(
    approach: Annotated[Approach, typer.Argument(help="What to train.")] = Approach.shift,
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/match"),
    config: Annotated[
        Path | None, typer.Option(help="YAML config (configs/matching_*.yaml).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config field: key=value.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="BigEarthNet-MM folder (real-shift).")] = None,
) -> None:
    """Train a matching approach on generated pairs and compare it with its baseline.

    shift: the siamese shift classifier against NCC. pairs: the pseudo-siamese binary
    matcher and the two-stream descriptor. translate-sift: opt2sar cGAN, then SIFT/BRISK,
    against the raw pair. hard-negatives: the matcher with VAE-GAN negatives against random
    ones. real-shift: shift estimation on real BigEarthNet pairs against NCC.
    """
    from saropt.io.atomic import write_text_atomic

    overrides = parse_overrides(set_ or [])
    with console.status(f"training {approach.value} (minutes on a CPU) ..."):
        results = run_approach(approach, out, config, overrides, data)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "results.json", json.dumps(results, indent=2))
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
    from saropt.io.atomic import write_text_atomic
    from saropt.tasks.matching import evaluate_weights

    ev = evaluate_weights(weights, seed=seed, scene_size=scene_size)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "results.json", json.dumps(ev.results, indent=2))
    figure = save_evaluation_figure(ev, out)
    print_results(ev.results, f"{ev.kind} on generated scene {seed}")
    console.print(f"results: {out / 'results.json'}, figure: {figure}")


def save_evaluation_figure(ev: Any, out: Path) -> Path:
    """The figure that suits an :class:`~saropt.tasks.matching.Evaluation`."""
    from saropt.report import save_figure
    from saropt.report.matching import keypoint_bars_figure, roc_figure, score_maps_figure

    if ev.kind == "shift":
        a = ev.arrays
        fig = score_maps_figure(a["optical"], a["sar"], a["score_maps"], a["true"], a["estimated"])
        return save_figure(fig, out / "score_maps.png")
    if ev.kind == "pairs":
        name = next(iter(ev.results))
        fig = roc_figure({name: (ev.arrays["scores"], ev.arrays["labels"])})
        return save_figure(fig, out / "roc.png")
    return save_figure(keypoint_bars_figure(ev.results), out / "keypoints.png")


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
    from saropt.inference.tiepoints import correct_georeference

    tp = correct_georeference(
        optical, sar, weights, out, step=step, min_confidence=min_confidence,
        min_peak_ratio=min_peak_ratio, model=model,
    )  # fmt: skip
    console.print(
        f"{len(tp.confidence)} tie points, {int(tp.kept.sum())} confident, "
        f"{int(tp.inliers.sum())} inliers: the optical image moves by "
        f"({tp.offset[0]:.2f}, {tp.offset[1]:.2f}) map units -> {out / 'corrected.tif'}"
    )
