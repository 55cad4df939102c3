"""`steerbridge dose`: does a model's own vector steer that model, at which layer and strength,
and under which answer format? The check before blaming a bridge for a transfer that fails."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from steerbridge.cli import launch
from steerbridge.cli.bridge_cmd import DEFAULT_SOURCE
from steerbridge.cli.console import check_output, console, err_console
from steerbridge.errors import SteerbridgeError

FORMAT_HELP = ("Answer format(s) to compare (repeat; default text, as runs score): plain, "
               "instruction ('Answer with (A) or (B) only.' appended), paren (the answer "
               "opened with '('), instruction+paren, text (the question without its choices, "
               "each answer scored as text), system (a system line asking for a letter).")


def _signed(v: float | None) -> str:
    return "-" if v is None else f"{v:+.3f}"


SCORE_ON_HELP = ("test: build the vector from the generate split, score the test split. "
                 "generate: build it from the first half of the generate items, score the "
                 "second half, and read no test item: the source-side measurement a transfer "
                 "method or a layer choice may use (RESULTS.md §7s).")


def dose_table(result: Any, scored: str = "test items") -> Table:
    """One row per layer: odd Δp per alpha pair (random direction beside it), mass, verdict."""
    fmt = result.format.name
    t = Table(title=f"{result.model} · {result.behaviour} · format {fmt}: unsteered answer mass "
                    f"{result.none_mass:.2f}, p(match) {result.none_p:.2f}, "
                    f"{result.n_test} {scored}")
    t.add_column("layer", justify="right")
    t.add_column("|v|/scale", justify="right")
    first = result.layers[0] if result.layers else None
    for a in first.odd_alphas if first else []:
        t.add_column(f"odd Δp ±{a:g} (random)", justify="right")
    t.add_column("mass min", justify="right")
    t.add_column("steers", justify="left")
    best = result.best_layer()
    for d in result.layers:
        odd = [f"{_signed(o)} ({_signed(r)})"
               for o, r in zip(d.odd_dp, d.random_odd_dp, strict=True)]
        verdict = ("[green]yes[/]" if d.steers() else "no") + (" · strongest" if d is best else "")
        t.add_row(str(d.layer), f"{d.relative_norm:.2f}", *odd, f"{min(d.mass):.2f}", verdict)
    return t


def _machine(lm: Any) -> dict[str, str]:
    """What the figures were measured on (name the CPU beside every figure)."""
    import torch

    from steerbridge.models.dtypes import cpu_name

    return {"cpu": cpu_name(), "torch": torch.__version__, "dtype": str(lm.dtype),
            "device": str(lm.device)}


def _behaviour(name: str, data: Path | None, max_generate: int, max_test: int,
               score_on: str = "test") -> Any:
    """(items the vector is built from, items it is scored on) of one behaviour."""
    from steerbridge.run.behaviour_data import behaviour_data
    from steerbridge.run.config import BehaviourConfig
    from steerbridge.vectors import datasets

    if data is None and name not in datasets.builtin_names():
        raise SteerbridgeError(f"{name!r} is not a built-in behaviour "
                               f"({', '.join(datasets.builtin_names())}); give --data FILE for "
                               "your own A/B items.")
    # the items as written (scoring = "letter"): each --format converts them itself
    cfg = BehaviourConfig(name=name if data is None else data.stem, scoring="letter",
                          builtin=name if data is None else None, data=data)
    bd = behaviour_data(cfg)
    if score_on == "test":
        return bd.generate[:max_generate], bd.test[:max_test]
    gen = bd.generate[:max_generate]
    if len(gen) < 4:
        raise SteerbridgeError(f"{name}: --score-on generate splits the generate items in two "
                               f"halves, and there are {len(gen)}; give at least 4 (raise "
                               "--max-generate or use --score-on test).")
    half = len(gen) // 2
    return gen[:half], gen[half:2 * half]


def _check_formats(tasks: dict[str, Any], formats: list[Any]) -> None:
    """Put every behaviour's items through every format once, so that items a format cannot
    take (text answers from letters without choice lines) fail before the model loads."""
    for name, (gen, test) in tasks.items():
        for fmt in formats:
            try:
                fmt.apply([*gen, *test])
            except SteerbridgeError as err:
                raise SteerbridgeError(f"--format {fmt.name} on {name}: {err} With steerbridge "
                                       "dose, that means a letter format (--format plain, "
                                       "instruction or paren).") from None


def dose_cmd(
    behaviour: list[str] = typer.Option(None, "--behaviour", "-b", help="Built-in behaviour(s) "
                                        "(default: every built-in)."),
    data: Path = typer.Option(None, "--data", help="Your own A/B file instead (CAA JSON or "
                              "model-written-evals JSONL), split into generate and test."),
    model: str = typer.Option(DEFAULT_SOURCE, help="The model steered by its own vector."),
    layers: str = typer.Option("4-20:4", help="Layers: START-STOP[:STEP] (inclusive) or 1,2,5."),
    alphas: list[float] = typer.Option([-0.4, -0.2, 0.2, 0.4], "--alpha", help="Steering "
                                       "strengths in layer-scale units (repeat; give ±a pairs)."),
    answer_format: list[str] = typer.Option(["text"], "--format", help=FORMAT_HELP),
    max_generate: int = typer.Option(80, min=2, help="Generate items the vector is built from."),
    max_test: int = typer.Option(40, min=1, help="Test items scored (--score-on test)."),
    score_on: str = typer.Option("test", "--score-on", help=SCORE_ON_HELP),
    batch_size: int = typer.Option(8, min=1, help="Prompts per forward batch."),
    dtype: str = typer.Option("auto", help="auto, bfloat16 or float32."),
    out: Path = typer.Option(Path("dose.json"), "--out", "-o", help="JSON results."),
    force: bool = typer.Option(False, "--force", help="Replace -o even if it holds another "
                               "kind of file."),
    device: str = typer.Option("auto", help=launch.DEVICE_HELP),
) -> None:
    """Sweep a model's own steering vector over layers and alphas on its own A/B items: odd Δp
    and answer mass beside a random direction of equal norm, per answer format."""
    from steerbridge.evaluation.dose import answer_format as get_format
    from steerbridge.evaluation.dose import check_alphas, dose_response
    from steerbridge.evaluation.results import nan_to_none
    from steerbridge.models.dtypes import resolve_dtype
    from steerbridge.models.layers import parse_layers
    from steerbridge.models.loading import load
    from steerbridge.safeio import write_json
    from steerbridge.vectors import datasets

    t0 = time.perf_counter()
    if score_on not in ("test", "generate"):
        raise SteerbridgeError(f"--score-on {score_on!r}: give test or generate.")
    formats = [get_format(f) for f in answer_format]
    check_alphas(alphas)
    parse_layers(layers)
    check_output(out, "json", (".json",), force)
    resolve_dtype(dtype)
    names = ([data.stem] if data is not None else behaviour or datasets.builtin_names())
    if data is not None and behaviour:
        raise SteerbridgeError("Give --behaviour NAME (built-in) or --data FILE, not both.")
    tasks = {n: _behaviour(n, data, max_generate, max_test, score_on) for n in names}
    _check_formats(tasks, formats)
    dev = launch.single_process("dose", device)
    with err_console.status(f"loading {model} on {dev}"):
        lm = load(model, dtype=dtype, device=dev)
    wanted = parse_layers(layers, lm.num_layers)
    results: list[dict[str, Any]] = []
    record = {"settings": {"model": model, "layers": wanted, "alphas": alphas,
                           "formats": answer_format, "max_generate": max_generate,
                           "max_test": max_test, "score_on": score_on,
                           "machine": _machine(lm)}, "results": results}
    for name, (gen, test) in tasks.items():
        for fmt in formats:
            res = dose_response(lm, gen, test, wanted, alphas, fmt, behaviour=name,
                                batch_size=batch_size, progress=True)
            console.print(dose_table(res, "test items" if score_on == "test" else
                                     "held-out generate items (no test item read)"))
            results.append(res.to_dict())
            # written after every sweep, so an interruption loses nothing finished
            write_json(out, nan_to_none(record), force=True)
    console.print(f"[green]wrote[/] {escape(str(out))}  done in {time.perf_counter() - t0:.0f} s")


def register(app: typer.Typer) -> None:
    """Add `dose` to the steerbridge app."""
    app.command("dose")(dose_cmd)
