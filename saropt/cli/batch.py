"""`saropt batch decloud|translate|classify|urban|register`: a whole-scene command over a
list of scenes, in this process or on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from saropt.cli.common import (
    BackendOption,
    ChannelsLastOption,
    CogOption,
    CompileOption,
    DeviceOption,
    PrecisionOption,
    RetriesOption,
    SchedulerOption,
    console,
    err_console,
    friendly_errors,
)

if TYPE_CHECKING:
    from saropt.inference.batch import BatchSettings
    from saropt.inference.runtime import Runtime

batch_app = typer.Typer(
    help="Run a whole-scene command over many scenes (CSV or STAC), here or on Dask; "
    "reruns skip what is done.",
    no_args_is_help=True,
)

ScenesArg = Annotated[
    Path,
    typer.Option(
        "--scenes",
        help="CSV (an id column and one column per input, e.g. optical,sar) or STAC "
        "ItemCollection/catalog .json whose assets are local GeoTIFFs.",
    ),
]
OutArg = Annotated[
    Path, typer.Option("--out", help="Folder of outputs (<id>.tif) and manifest.json.")
]
WeightsArg = Annotated[Path, typer.Option(help="The trained network (.safetensors).")]
TileOption = Annotated[int, typer.Option(help="Tile side in pixels.", min=16)]
OverlapOption = Annotated[int, typer.Option(help="Blended overlap in pixels.", min=0)]
BatchOption = Annotated[int, typer.Option(help="Tiles per model call.", min=1)]


def _run(command: str, scenes: Path, out: Path, settings: BatchSettings, scheduler: str | None,
         retries: int) -> None:  # fmt: skip
    """Read the list, run the batch with a progress bar, print the summary; exit 1 when
    a scene failed (the others are done)."""
    from saropt.inference.batch import read_scenes, run_batch

    todo = read_scenes(scenes, command)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    ) as bar:  # fmt: skip
        n_task = bar.add_task("scenes", total=len(todo))
        px_task = bar.add_task("Mpx", total=None)

        def show(done: int, total: int, px: int, px_total: int) -> None:
            bar.update(n_task, completed=done, total=total)
            bar.update(px_task, completed=round(px / 1e6, 1), total=round(px_total / 1e6, 1))

        summary = run_batch(command, todo, out, settings, scheduler=scheduler, retries=retries,
                            progress=show)  # fmt: skip
    console.print(
        f"{len(summary.done)} scenes done, {len(summary.skipped)} already done, "
        f"{len(summary.failed)} failed: {out}/manifest.json"
    )
    for sid, error in summary.failed.items():
        err_console.print(f"[bold red]failed[/] {sid}: {error}", highlight=False)
    if summary.failed:
        raise typer.Exit(code=1)


def _runtime(
    device: str, precision: str, channels_last: bool, compile_: bool, backend: str
) -> Runtime:
    from saropt.inference.runtime import Runtime

    return Runtime(device, precision, channels_last, compile_, backend)  # type: ignore[arg-type]


@batch_app.command("decloud")
@friendly_errors
def batch_decloud(
    scenes: ScenesArg,
    out: OutArg,
    weights: WeightsArg,
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 1,
    cog: CogOption = False,
    tile: TileOption = 256,
    overlap: OverlapOption = 32,
    batch_size: BatchOption = 8,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
    channels_last: ChannelsLastOption = True,
    compile_: CompileOption = False,
    backend: BackendOption = "torch",
) -> None:
    """Remove clouds from every scene (inputs: optical or s2; sar or s1; mask)."""
    from saropt.inference.batch import BatchSettings

    rt = _runtime(device, precision, channels_last, compile_, backend)
    settings = BatchSettings(weights, tile, overlap, batch_size, rt, cog=cog)
    _run("decloud", scenes, out, settings, scheduler, retries)


@batch_app.command("translate")
@friendly_errors
def batch_translate(
    scenes: ScenesArg,
    out: OutArg,
    weights: WeightsArg,
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 1,
    cog: CogOption = False,
    tile: TileOption = 256,
    overlap: OverlapOption = 32,
    batch_size: BatchOption = 4,
    device: DeviceOption = "cpu",
) -> None:
    """Translate every scene optical <-> SAR (input: source, optical, s2, sar or s1)."""
    from saropt.inference.batch import BatchSettings
    from saropt.inference.runtime import Runtime

    settings = BatchSettings(weights, tile, overlap, batch_size, Runtime(device), cog=cog)
    _run("translate", scenes, out, settings, scheduler, retries)


@batch_app.command("classify")
@friendly_errors
def batch_classify(
    scenes: ScenesArg,
    out: OutArg,
    weights: WeightsArg,
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 1,
    cog: CogOption = False,
    stride: Annotated[int | None, typer.Option(help="Window step (default: the model's).")] = None,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
    channels_last: ChannelsLastOption = True,
    compile_: CompileOption = False,
    backend: BackendOption = "torch",
) -> None:
    """Class probabilities of every scene (inputs: s1 or sar, s2 or optical; one suffices)."""
    from saropt.inference.batch import BatchSettings

    rt = _runtime(device, precision, channels_last, compile_, backend)
    settings = BatchSettings(weights, runtime=rt, stride=stride, cog=cog)
    _run("classify", scenes, out, settings, scheduler, retries)


@batch_app.command("urban")
@friendly_errors
def batch_urban(
    scenes: ScenesArg,
    out: OutArg,
    weights: WeightsArg,
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 1,
    cog: CogOption = False,
    tile: TileOption = 256,
    overlap: OverlapOption = 32,
    batch_size: BatchOption = 4,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
    channels_last: ChannelsLastOption = True,
    compile_: CompileOption = False,
    backend: BackendOption = "torch",
) -> None:
    """A built-up map of every scene (inputs: s1 or sar, s2 or optical)."""
    from saropt.inference.batch import BatchSettings

    rt = _runtime(device, precision, channels_last, compile_, backend)
    settings = BatchSettings(weights, tile, overlap, batch_size, rt, cog=cog)
    _run("urban", scenes, out, settings, scheduler, retries)


@batch_app.command("register")
@friendly_errors
def batch_register(
    scenes: ScenesArg,
    out: OutArg,
    weights: Annotated[
        Path | None, typer.Option(help="registration.safetensors (method pwc).")
    ] = None,
    method: Annotated[str, typer.Option(help="pwc, phase, gefolki or zero.")] = "pwc",
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 1,
    cog: CogOption = False,
    device: DeviceOption = "cpu",
) -> None:
    """Register every scene's optical image onto its SAR (inputs: fixed/sar/s1,
    moving/optical/s2)."""
    from saropt.inference.batch import BatchSettings
    from saropt.inference.runtime import Runtime

    settings = BatchSettings(weights, runtime=Runtime(device), method=method, cog=cog)
    _run("register", scenes, out, settings, scheduler, retries)
