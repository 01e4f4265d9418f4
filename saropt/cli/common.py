"""What every saropt command shares: consoles and the error handling."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from saropt.errors import SaroptError

P = ParamSpec("P")
R = TypeVar("R")

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

#: Exit code of a command stopped by bad input.
EXIT_BAD_INPUT = 2


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn saropt errors into a message and exit code 2 instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SaroptError as exc:
            err_console.print(f"[bold red]error[/] ({type(exc).__name__}): {exc}", highlight=False)
            raise typer.Exit(code=EXIT_BAD_INPUT) from None

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
