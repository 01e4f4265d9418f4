"""What every saropt command shares: consoles and the error handling."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from saropt.errors import ConfigError, SaroptError

P = ParamSpec("P")
R = TypeVar("R")

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

#: Exit code of a command stopped by bad input.
EXIT_BAD_INPUT = 2


#: Exit code of a command stopped by something unexpected (a bug: rerun with --debug).
EXIT_UNEXPECTED = 1

#: Show tracebacks instead of one line (``saropt --debug ...`` or ``SAROPT_DEBUG=1``).
DEBUG = False


def set_debug(on: bool) -> None:
    """Tracebacks on for this run with ``--debug`` or the ``SAROPT_DEBUG`` variable."""
    global DEBUG
    DEBUG = on or os.environ.get("SAROPT_DEBUG", "") not in ("", "0")


def fail(exc: BaseException, code: int, hint: str = "") -> NoReturn:
    """Print an error as one line on stderr and exit with ``code``."""
    message = getattr(exc, "format_message", None)  # click's usage errors name the option
    text = " ".join((message() if callable(message) else str(exc)).split()) or type(exc).__name__
    line = Text.assemble(("error", "bold red"), f" ({type(exc).__name__}): {text}{hint}")
    err_console.print(line, highlight=False)
    raise typer.Exit(code=code)


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """One line and exit code 2 for a saropt error, or for a failure of GDAL, the system or
    torch that :func:`saropt.io.failures.explain_failure` names; one line and exit code 1
    with a hint to rerun with ``--debug`` for anything else; the traceback with ``--debug``."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            fail(KeyboardInterrupt("interrupted; nothing partial was written (every output "
                                   "appears complete or not at all)"), 130)  # fmt: skip
        except Exception as exc:
            if DEBUG:
                raise
            if isinstance(exc, SaroptError):
                fail(exc, EXIT_BAD_INPUT)
            from saropt.io.failures import explain_failure

            known = explain_failure(exc)
            if known is not None:
                fail(known, EXIT_BAD_INPUT)
            fail(exc, EXIT_UNEXPECTED, "; this is unexpected: rerun with --debug for the "
                 "traceback, and please report it")  # fmt: skip

    return wrapper


def progress_bar(on: Console | None = None) -> Progress:
    """The bar every long command shows: description, bar, done/total, elapsed time."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=on or console,
    )


C = TypeVar("C")

#: The options every train command shares: a YAML config, `--set` overrides, and a way to
#: see the resolved config without running.
ConfigOption = Annotated[
    Path | None, typer.Option(help="YAML config (configs/*.yaml); the tiny defaults if omitted.")
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Override a config key, repeatable: section.key=value (model.width=8)."
    ),
]
PrintConfigOption = Annotated[
    bool, typer.Option("--print-config", help="Print the resolved config and exit.")
]


#: How a whole-scene command runs its network (see saropt.inference.runtime).
PrecisionOption = Annotated[
    str,
    typer.Option(
        help="fp32; bf16 (autocast) or bf16-pure where the CPU/GPU has native bf16; fp16 (CUDA)."
    ),
]
ChannelsLastOption = Annotated[
    bool,
    typer.Option("--channels-last/--no-channels-last", help="NHWC convolutions (faster here)."),
]
CompileOption = Annotated[
    bool,
    typer.Option(
        "--compile",
        help="torch.compile the network first (tens of seconds; pays off on large scenes).",
    ),
]


def _device(value: str) -> str:
    from saropt.inference.runtime import check_device

    try:
        check_device(value)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


#: The torch device of a command's network, checked before any work.
DeviceOption = Annotated[str, typer.Option(help="Torch device (cpu, cuda, cuda:N).",
                                           callback=_device)]  # fmt: skip


BackendOption = Annotated[
    str,
    typer.Option(
        help="torch, or onnx (ONNX Runtime, fp32; faster on CPUs here; pip install 'saropt[onnx]')."
    ),
]


#: Where a batch of independent jobs (database tiles, scenes) runs (saropt.io.cluster).
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Run on Dask: local:N (N worker processes here) or a running dask scheduler's "
        "address (tcp://host:8786; dask-jobqueue, dask-kubernetes). Default: this process."
    ),
]
CogOption = Annotated[
    bool, typer.Option("--cog", help="Write Cloud Optimized GeoTIFFs (tiled, overviews).")
]
RetriesOption = Annotated[
    int, typer.Option(help="Further tries of a failed tile or scene, then it is reported.", min=0)
]


def resolve_config(cls: type[C], config: Path | None, set_: list[str] | None, show: bool) -> C:
    """The config a train command runs with; prints it and exits when ``show``.

    Raises:
        ConfigError: See :func:`saropt.experiments.config.load_config`.
    """
    from saropt.experiments.config import dump_config, load_config

    cfg = load_config(cls, config, set_ or [])
    if show:
        console.print(dump_config(cfg), end="", markup=False, highlight=False)
        raise typer.Exit()
    return cfg


def int_list(text: str, what: str) -> tuple[int, ...]:
    """Comma-separated non-negative integers (``what`` names the option in errors)."""
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(f"{what} must be comma-separated integers, got {text!r}") from None
    if any(v < 0 for v in values):
        raise ConfigError(f"{what} must not be negative, got {text!r}")
    return values


def choice_list(text: str, allowed: Sequence[str], what: str) -> tuple[str, ...]:
    """Comma-separated names, each one of ``allowed`` (``what`` names the option in errors)."""
    chosen = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in allowed]
    if unknown or not chosen:
        raise ConfigError(f"{what}: unknown {unknown or text!r}; choose from {', '.join(allowed)}")
    return chosen


@contextmanager
def study_progress() -> Iterator[Callable[[int, int, str], None]]:
    """A bar over a study's runs; yields the ``progress(done, total, label)`` callback that
    the studies' ``run_study`` takes."""
    with progress_bar() as bar:
        task = bar.add_task("runs", total=None)

        def show(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        yield show
