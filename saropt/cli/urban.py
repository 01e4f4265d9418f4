"""``saropt urban``, ``saropt train urban`` and ``saropt train urban-study``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
def urban(
    s1: Annotated[Path, typer.Option(help="Sentinel-1 VV/VH dB GeoTIFF.")],
    s2: Annotated[Path, typer.Option(help="Sentinel-2 GeoTIFF: the model's bands or all 13.")],
    weights: Annotated[Path, typer.Option(help="urban.safetensors from training.")],
    out: Annotated[Path, typer.Option(help="GeoTIFF to write.")],
    branches: Annotated[bool, typer.Option(help="Also write each head's probability.")] = False,
    tile: Annotated[int, typer.Option(help="Tile side (multiple of 4).", min=8)] = 256,
    batch_size: Annotated[int, typer.Option(help="Tiles per model call.", min=1)] = 4,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
    channels_last: ChannelsLastOption = True,
    compile_: CompileOption = False,
    backend: BackendOption = "torch",
) -> None:
    """Built-up probability and binary map of a whole scene from S1 + S2, on their grid."""
    from saropt.inference.runtime import Runtime
    from saropt.inference.urban import urban_scene

    runtime = Runtime(device, precision, channels_last, compile_, backend)  # type: ignore[arg-type]
    with progress_bar() as bar:
        task = bar.add_task("tiles", total=None)
        urban_scene(
            s1, s2, weights, out, branches=branches, tile=tile, batch_size=batch_size,
            runtime=runtime, progress=lambda d, t: bar.update(task, completed=d, total=t),
        )  # fmt: skip
    console.print(f"wrote {out}")


def _f(v: list[float] | float) -> str:
    return f"{v[0]:.3f} ± {v[1]:.3f}" if isinstance(v, list) else f"{v:.3f}"


def scores_table(rows: dict[str, dict[str, Any]], title: str) -> Table:
    """F1, precision, recall and IoU per row (numbers, or [mean, std, n] lists)."""
    table = Table(title=title)
    table.add_column("prediction")
    for col in ("F1", "precision", "recall", "IoU"):
        table.add_column(col, justify="right")
    for name, s in rows.items():
        table.add_row(name, *(_f(s[k]) for k in ("f1", "precision", "recall", "iou")))
    return table


def _utilisation_line(u: dict[str, Any]) -> str:
    return (f"u(sar|opt) {_f(u['u_sar_given_opt'])}, u(opt|sar) {_f(u['u_opt_given_sar'])}, "
            f"d_util {_f(u['d_util'])}")  # fmt: skip


@train_app.command("urban")
@friendly_errors
def train_urban_cmd(
    out: Annotated[Path, typer.Option(help="Run folder.")],
    config: ConfigOption = None,
    set_: SetOption = None,
    print_config: PrintConfigOption = False,
) -> None:
    """Train an urban-mapping network (model.setting: mmtm, dual, sar, opt, input), store
    the MMTM mean squeezes, and score it on the validation set with the cut-offs."""
    from saropt.experiments.urban import UrbanConfig, train_urban

    cfg = resolve_config(UrbanConfig, config, set_, print_config)
    r = train_urban(cfg, out, progress=True)
    rows = {f"head {k}": v for k, v in r["heads"].items()} | {"fusion": r["fused"]}
    rows |= {f"head {k}, other cut off": v for k, v in r.get("cutoff", {}).items()}
    console.print(scores_table(rows, f"{cfg.model.setting}: validation pixels"))
    if "utilisation" in r:
        console.print(_utilisation_line(r["utilisation"]))
    console.print(f"weights: {out / 'urban.safetensors'}  results: {out / 'results.json'}")


@train_app.command("urban-study")
@friendly_errors
def urban_study_cmd(
    out: Annotated[Path, typer.Option(help="Study folder (rerun to resume).")],
    config: ConfigOption = None,
    set_: SetOption = None,
    print_config: PrintConfigOption = False,
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds.")] = "0,1,2,3,4",
    settings: Annotated[str, typer.Option(help="Comma-separated settings.")] = (
        "mmtm,dual,sar,opt,input"
    ),
) -> None:
    """Every setting over several seeds: the paper's Table I (mean ± std), the
    utilisation rates, and their figures (bars over seeds, d_util after every epoch)."""
    from saropt.experiments.urban import SETTINGS, UrbanConfig, run_study
    from saropt.report import save_figure
    from saropt.report.urban import d_util_figure, utilisation_figure

    cfg = resolve_config(UrbanConfig, config, set_, print_config)
    chosen = choice_list(settings, SETTINGS, "--settings")
    with study_progress() as show:
        study = run_study(cfg, out, settings=chosen, seeds=int_list(seeds, "--seeds"),  # type: ignore[arg-type]
                          progress=show)  # fmt: skip
    console.print(scores_table(study["table"]["rows"], f"mean ± std over seeds {seeds}"))
    if "utilisation" in study["table"]:
        console.print(_utilisation_line(study["table"]["utilisation"]))
        runs = [r for r in study["runs"].values() if r["setting"] == "mmtm"]
        save_figure(utilisation_figure(study["table"]["utilisation"],
                                       f"MMTM, mean ± std over {len(runs)} seeds"),
                    out / "utilisation.png")  # fmt: skip
        save_figure(d_util_figure([r["history"] for r in runs]), out / "d_util.png")
        console.print(f"figures: {out / 'utilisation.png'}, {out / 'd_util.png'}")
    console.print(f"study: {out / 'study.json'}")
