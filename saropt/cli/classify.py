"""`saropt classify`, `saropt train classification` and `saropt train classification-study`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from saropt.cli.cloud import train_app
from saropt.cli.common import (
    BackendOption,
    ChannelsLastOption,
    CompileOption,
    ConfigOption,
    DeviceOption,
    PrecisionOption,
    PrintConfigOption,
    SetOption,
    choice_list,
    console,
    friendly_errors,
    int_list,
    progress_bar,
    resolve_config,
    study_progress,
)


@friendly_errors
def classify(
    out: Annotated[Path, typer.Option(help="Probability GeoTIFF to write.")],
    weights: Annotated[Path, typer.Option(help="classifier.safetensors from training.")],
    s1: Annotated[Path | None, typer.Option(help="Sentinel-1 VV/VH dB GeoTIFF.")] = None,
    s2: Annotated[Path | None, typer.Option(help="Sentinel-2 GeoTIFF, the model's bands.")] = None,
    stride: Annotated[
        int | None, typer.Option(help="Pixels between windows (default: half a patch).", min=1)
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Windows per model call.", min=1)] = 64,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
    channels_last: ChannelsLastOption = True,
    compile_: CompileOption = False,
    backend: BackendOption = "torch",
) -> None:
    """Land-cover probabilities of a whole scene from S1, S2 or both (then also their
    disagreement), with a class band, on the input's grid."""
    from saropt.inference import Runtime, classify_scene

    runtime = Runtime(device, precision, channels_last, compile_, backend)  # type: ignore[arg-type]
    with progress_bar() as bar:
        task = bar.add_task("windows", total=None)
        classify_scene(
            s1, s2, weights, out, stride=stride, batch_size=batch_size, runtime=runtime,
            progress=lambda d, t: bar.update(task, completed=d, total=t),
        )  # fmt: skip
    console.print(f"wrote {out}")


#: The columns of a results table after the setting.
COLUMNS = ("S1 macro F1", "S1 weighted F1", "S2 macro F1", "S2 weighted F1", "homogeneity s",
           "S1->S2 recall@1")  # fmt: skip


def results_table(rows: dict[str, dict[str, str]], title: str) -> Table:
    """Macro/weighted F1 per modality, homogeneity and recall@1 per setting."""
    table = Table(title=title)
    table.add_column("setting")
    for col in COLUMNS:
        table.add_column(col, justify="right")
    for setting, row in rows.items():
        table.add_row(setting, *(row[c] for c in COLUMNS))
    return table


@train_app.command("classification")
@friendly_errors
def train_classification_cmd(
    out: Annotated[Path, typer.Option(help="Run folder.")],
    config: ConfigOption = None,
    set_: SetOption = None,
    print_config: PrintConfigOption = False,
) -> None:
    """Train the cross-modal classifier in one setting (model.setting: baseline, C, CM, CT,
    CTM) and evaluate it on held-out aligned S1/S2 pairs."""
    from saropt.experiments.classification import ClassificationConfig, train_classification

    cfg = resolve_config(ClassificationConfig, config, set_, print_config)
    r = train_classification(cfg, out, progress=True)
    row = {
        "S1 macro F1": f"{r['s1']['macro_f1']:.3f}",
        "S1 weighted F1": f"{r['s1']['weighted_f1']:.3f}",
        "S2 macro F1": f"{r['s2']['macro_f1']:.3f}",
        "S2 weighted F1": f"{r['s2']['weighted_f1']:.3f}",
        "homogeneity s": f"{r['homogeneity']:.3f}",
        "S1->S2 recall@1": f"{r['retrieval_s1_to_s2']['recall@1']:.3f}",
    }
    console.print(results_table({cfg.model.setting: row}, "held-out aligned pairs"))
    console.print(f"results: {out / 'results.json'}")


@train_app.command("classification-study")
@friendly_errors
def classification_study_cmd(
    out: Annotated[Path, typer.Option(help="Study folder (rerun to resume).")],
    config: ConfigOption = None,
    set_: SetOption = None,
    print_config: PrintConfigOption = False,
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds.")] = "0,1,2",
    settings: Annotated[str, typer.Option(help="Comma-separated settings.")] = (
        "baseline,C,CM,CT,CTM"
    ),
    sizes: Annotated[
        str, typer.Option(help="Also train at these training-set sizes (F1 against size).")
    ] = "",
) -> None:
    """Every setting over several seeds: the table of the README (mean ± spread), and with
    --sizes the weighted F1 against training-set size."""
    from saropt.experiments.classification import SETTINGS, ClassificationConfig, run_study
    from saropt.report import save_figure
    from saropt.report.classification import f1_size_figure

    cfg = resolve_config(ClassificationConfig, config, set_, print_config)
    chosen = choice_list(settings, SETTINGS, "--settings")
    with study_progress() as show:
        study = run_study(cfg, out, settings=chosen, seeds=int_list(seeds, "--seeds"),  # type: ignore[arg-type]
                          train_lengths=int_list(sizes, "--sizes"), progress=show)  # fmt: skip
    rows = {
        s: {k: f"{v[0]:.3f} ± {v[1]:.3f}" for k, v in row.items()}
        for s, row in study["table"].items()
    }
    console.print(results_table(rows, f"mean ± std over seeds {seeds}"))
    if sizes:
        save_figure(f1_size_figure(study["runs"]), out / "f1_vs_size.png")
        console.print(f"figure: {out / 'f1_vs_size.png'}")
    console.print(f"study: {out / 'study.json'}")
