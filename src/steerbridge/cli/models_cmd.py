"""`steerbridge models list | install | info | path`: the offline model zoo."""

from __future__ import annotations

import time
from functools import partial

import typer
from rich.markup import escape
from rich.table import Table

from steerbridge.cli import launch
from steerbridge.cli.console import (
    AnyProgress,
    byte_progress,
    console,
    err_console,
    progress_bar,
)
from steerbridge.models import zoo

app = typer.Typer(
    help="The offline model zoo: models that install from the package registry.",
    no_args_is_help=True,
)


@app.command("list")
def list_models() -> None:
    """List the offline aliases and whether each is installed."""
    table = Table(title=f"Offline models (cache: {zoo.models_dir()})")
    for col in ("alias", "model", "installed", "licence"):
        table.add_column(col)
    for e, ok in zoo.list_entries():
        table.add_row(e.alias, e.model, "[green]yes[/]" if ok else "no", e.licence)
    console.print(table)


def _say(progress: AnyProgress, alias: str, message: str) -> None:
    progress.console.print(f"[cyan]{escape(alias)}[/]: {escape(message)}")


@app.command("install")
def install(
    aliases: list[str] = typer.Argument(None, help="Aliases to install (default: the Qwen pair)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if a copy exists."),
    dtype: str = typer.Option(
        "float32",
        help="Stored dtype: float32 (exact dequantised values) or bfloat16 (half the disk).",
    ),
) -> None:
    """Install models from the registry's data packages into the cache (atomic, idempotent)."""
    for alias in aliases or ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]:
        zoo.entry(alias)
        t0 = time.perf_counter()
        with progress_bar(bytes_mode=True) as progress:
            path = zoo.install(
                alias,
                force=force,
                dtype=dtype,
                progress=partial(_say, progress, alias),
                on_bytes_total=byte_progress(progress, f"{alias} chunks"),
            )
        console.print(f"[green]{alias}[/] ready at {path} ({time.perf_counter() - t0:.1f} s)")


@app.command("path")
def path(alias: str) -> None:
    """Print the cache directory of an alias (installed or not)."""
    console.print(str(zoo.model_path(alias)))


@app.command("info")
def info(
    spec: str = typer.Argument(..., help="Alias, local HF directory, .gguf file or cached hub id."),
    dtype: str = typer.Option(
        "auto",
        help="auto (bfloat16 where the hardware is fast at it, else float32), bfloat16 or float32.",
    ),
    layers_path: str = typer.Option(None, help="Attribute path of the decoder-block list."),
    device: str = typer.Option("auto", help=launch.DEVICE_HELP),
    device_map: str = typer.Option(None, help=launch.DEVICE_MAP_HELP),
) -> None:
    """Load a model and print its architecture, size, dtype, device, path and fingerprint."""
    from steerbridge.models.loading import load

    t0 = time.perf_counter()
    dev = launch.single_process("models info", device)
    with err_console.status(f"loading {spec}"):
        m = load(spec, dtype=dtype, layers_path=layers_path, device=dev,
                 device_map=launch.device_map_option(device_map))
    table = Table(title=f"{spec} (loaded in {time.perf_counter() - t0:.1f} s)", show_header=False)
    for k, v in m.info().items():
        table.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    console.print(table)
