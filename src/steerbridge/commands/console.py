"""Shared rich console, progress bars and error handling for the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from steerbridge.errors import SteerbridgeError

console = Console(stderr=False)
err_console = Console(stderr=True)


def progress_bar(bytes_mode: bool = False) -> Progress:
    """A rich progress bar for counts (default) or bytes."""
    cols = [TextColumn("[bold]{task.description}"), BarColumn()]
    if bytes_mode:
        cols += [DownloadColumn(), TransferSpeedColumn()]
    else:
        cols += [MofNCompleteColumn()]
    cols += [TimeElapsedColumn(), TimeRemainingColumn()]
    return Progress(*cols, console=err_console, transient=False)


def byte_progress(progress: Progress, description: str) -> Callable[[int], Callable[[int], None]]:
    """Factory: given a total byte count, add a task and return its advance callback."""

    def start(total: int) -> Callable[[int], None]:
        task = progress.add_task(description, total=total)
        return lambda n: progress.advance(task, n)

    return start


def fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def run_app(app: typer.Typer) -> None:
    try:
        app()
    except SteerbridgeError as err:
        err_console.print(f"[bold red]error:[/] {err}")
        sys.exit(2)
