"""Shared rich console, progress bars and error handling for the command line."""

from __future__ import annotations

import errno
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from steerbridge.errors import SteerbridgeError, SteerbridgeWarning

console = Console(stderr=False)
err_console = Console(stderr=True)
for _c in (console, err_console):
    if not _c.is_terminal:  # a log file: do not squeeze tables into 80 columns
        _c.width = max(_c.width, 200)


class LogProgress:
    """What `progress_bar` gives when stderr is not a terminal (a log file, CI, nohup).

    A rich bar only draws on a terminal, so a long job written to a log would show nothing
    until it ends; this prints one plain line per task at most every `every` seconds, and one
    when the task completes. It offers the part of rich's `Progress` API that steerbridge uses.
    """

    def __init__(self, console: Console, every: float = 30.0) -> None:
        self.console = console
        self.every = every
        self._tasks: dict[TaskID, dict[str, Any]] = {}

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        for tid in self._tasks:
            self._report(tid, force=True)

    def add_task(self, description: str, total: float | None = None, **_: Any) -> TaskID:
        tid = TaskID(len(self._tasks))
        now = time.monotonic()
        self._tasks[tid] = {"desc": description, "total": total, "done": 0.0, "t0": now,
                            "last": now, "final": False}
        return tid

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        self.update(task_id, completed=self._tasks[task_id]["done"] + advance)

    def update(self, task_id: TaskID, completed: float | None = None, **_: Any) -> None:
        if completed is not None:
            self._tasks[task_id]["done"] = float(completed)
        self._report(task_id)

    def _report(self, tid: TaskID, force: bool = False) -> None:
        t = self._tasks[tid]
        now = time.monotonic()
        complete = t["total"] is not None and t["done"] >= t["total"]
        if t["final"] or not (force or complete or now - t["last"] >= self.every):
            return
        t["last"], t["final"] = now, complete
        elapsed = now - t["t0"]
        total = t["total"]
        if total:
            eta = elapsed * (total - t["done"]) / t["done"] if t["done"] else float("nan")
            self.console.print(f"{t['desc']}: {t['done']:,.0f}/{total:,.0f} "
                               f"({100 * t['done'] / total:.0f} %), {elapsed:.0f} s elapsed, "
                               f"about {eta:.0f} s left", highlight=False)
        else:
            self.console.print(f"{t['desc']}: {t['done']:,.0f} after {elapsed:.0f} s",
                               highlight=False)


AnyProgress = Progress | LogProgress


def progress_bar(bytes_mode: bool = False) -> AnyProgress:
    """A rich progress bar for counts (default) or bytes; plain log lines off a terminal."""
    if not err_console.is_terminal:
        return LogProgress(err_console)
    cols = [TextColumn("[bold]{task.description}"), BarColumn()]
    if bytes_mode:
        cols += [DownloadColumn(), TransferSpeedColumn()]
    else:
        cols += [MofNCompleteColumn()]
    cols += [TimeElapsedColumn(), TimeRemainingColumn()]
    return Progress(*cols, console=err_console, transient=False)


def byte_progress(progress: AnyProgress,
                  description: str) -> Callable[[int], Callable[[int], None]]:
    """Factory: given a total byte count, add a task and return its advance callback."""

    def start(total: int) -> Callable[[int], None]:
        task = progress.add_task(description, total=total)
        return lambda n: progress.advance(task, n)

    return start


@contextmanager
def bar_progress(label: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """What ``progress=True`` shows under the CLI (see `steerbridge.progress`)."""
    with progress_bar() as bar:
        task = bar.add_task(escape(label), total=total)
        yield lambda done, _total: bar.update(task, completed=done)


def say_error(message: object) -> None:
    """Print an error; the message is plain text (its ``[brackets]`` are not Rich markup)."""
    err_console.print(f"[bold red]error:[/] {escape(str(message))}", highlight=False)


def say_warning(message: object) -> None:
    """Print a warning as plain text."""
    err_console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False)


def check_output(path: Path, kind: str, suffixes: tuple[str, ...], force: bool) -> None:
    """Refuse, before any work, an output path of the wrong type or one that holds another kind
    of file (unless `force`); `steerbridge.safeio.check_replace` again guards the write."""
    from steerbridge.safeio import check_replace

    if path.suffix not in suffixes:
        raise SteerbridgeError(f"Output {path}: give a file ending in {' or '.join(suffixes)}.")
    check_replace(path, kind, force)


def fail(message: str) -> typer.Exit:
    say_error(message)
    return typer.Exit(code=2)


def _show_warning(message: Warning | str, category: type[Warning], *args: Any,
                  **kwargs: Any) -> None:
    if issubclass(category, SteerbridgeWarning):
        say_warning(message)
    else:
        _python_showwarning(message, category, *args, **kwargs)


_python_showwarning = warnings.showwarning


def _os_message(err: OSError) -> str:
    where = f" {err.filename}" if err.filename else ""
    if err.errno == errno.ENOSPC:
        return f"no space left on the device{where}: free some space or write elsewhere."
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot write{where}: {err.strerror}. Write somewhere else."
    return f"{err.strerror or err}{where}."


def run_app(app: typer.Typer) -> None:
    """Run the app: a `SteerbridgeError` or an I/O error becomes a one-line message and exit
    code 2 (no traceback); Ctrl-C exits 130 (a rerun resumes from the run directory's caches);
    `SteerbridgeWarning`s print as plain warnings."""
    warnings.showwarning = _show_warning
    try:
        app()
    except SteerbridgeError as err:
        say_error(err)
        sys.exit(2)
    except OSError as err:
        say_error(_os_message(err))
        sys.exit(2)
    except KeyboardInterrupt:
        say_error("interrupted; finished stages are kept, a rerun resumes from them.")
        sys.exit(130)
    finally:
        warnings.showwarning = _python_showwarning
