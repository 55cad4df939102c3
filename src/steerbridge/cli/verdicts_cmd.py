"""`steerbridge verdicts RESULTS.json`: a run's verdicts re-read from its results.json, each with
how often resamples of its test items give the same verdict. No models are loaded: the per-item
scores are in the file, so this also works on runs made before the resamples were recorded."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from steerbridge.cli.console import check_output, console
from steerbridge.errors import SteerbridgeError


def verdict_table(results: dict[str, Any], title: str) -> Table | None:
    """`evaluation.verdict_table` as a rich table (None when no behaviour was judged)."""
    from steerbridge.evaluation.verdict_table import VERDICT_COLUMNS, verdict_rows

    rows = verdict_rows(results)
    if not rows:
        return None
    table = Table(title=title)
    for col in VERDICT_COLUMNS:
        table.add_column(col)
    for row in rows:
        table.add_row(*(escape(c) for c in row))
    return table


def add_resamples(results: dict[str, Any], n: int, seed: int, again: bool = False,
                  push: float | None = None) -> list[str]:
    """Attach fresh item resamples to every judged behaviour of `results` (in place; with
    `again`, judge it afresh by the current rule first; with `push`, afresh at α ±push only);
    return the names of the behaviours that could not be resampled, with why."""
    from steerbridge.evaluation.ceiling import reread as reread_ceiling
    from steerbridge.evaluation.resampling import (
        at_push,
        item_resamples,
        rejudge,
        stored_behaviour,
    )

    skipped = []
    # benchmark files (benchmarks/text_transfer.py) name the method once, in their settings
    settings = results.get("settings")
    method = str(settings.get("method", "state")) if isinstance(settings, dict) else "state"
    for name, beh in results["behaviours"].items():
        judged = beh.get("judgement") if isinstance(beh, dict) else None
        if not isinstance(judged, dict) or "verdict" not in judged:
            skipped.append(f"{name} (no judgement with random controls: the run predates them)")
            continue
        judged.setdefault("method", method)
        try:
            inputs = stored_behaviour(beh)
            if push is not None:
                try:
                    inputs = at_push(inputs, push)
                except SteerbridgeError:  # its verdict at the run's pushes is not this one
                    beh["judgement"] = {"verdict": "not judgeable", "method": judged["method"],
                                        "why": f"not scored at push ±{push:g}", "push": push}
                    beh.pop("judgement_logodds", None)
                    raise
            if again or push is not None:
                fresh, lo = rejudge(inputs)
                judged.update({**fresh, "method": judged["method"], "push": push})
                if lo is not None:
                    beh["judgement_logodds"] = {**lo, "push": push}
                reread_ceiling(beh, inputs)  # a stored native ceiling, at these alphas too
            res = item_resamples(**inputs, n=n, seed=seed)
        except SteerbridgeError as err:
            skipped.append(f"{name} ({err})")
            continue
        judged["item_resamples"] = res["p"]
        if isinstance(beh.get("judgement_logodds"), dict):
            beh["judgement_logodds"]["item_resamples"] = res["log-odds"]
    return skipped


def verdicts_cmd(
    results: Path = typer.Argument(..., help="A results.json written by `steerbridge run` or "
                                   "`steerbridge demo`, or the run directory holding it."),
    resamples: int = typer.Option(200, min=20, help="Item resamples per behaviour (about 1.5 s "
                                  "per 200 on a 2-core CPU)."),
    seed: int = typer.Option(0, help="Seed of the resampling (the run itself uses 0)."),
    out: Path | None = typer.Option(None, help="Also write a copy of the results.json with the "
                                    "resamples recorded (the input is never changed)."),
    force: bool = typer.Option(False, help="Replace --out even if it holds another kind of file."),
    rejudge: bool = typer.Option(False, "--rejudge", help="Judge every behaviour afresh from its "
                                 "per-item scores by this version's rule (runs judged by an older "
                                 "one get today's figures, e.g. the control's standard error)."),
    push: float | None = typer.Option(None, help="Judge afresh at α ±PUSH only, from the "
                                      "scores the run holds (native's best α taken among those "
                                      "two): e.g. where random directions move the answer at the "
                                      "run's largest push. Implies --rejudge."),
) -> None:
    """Print each behaviour's verdict with the share of test-item resamples that give the same
    verdict and a 95 % interval of its retention: how much the verdict owes to which items
    were drawn."""
    from steerbridge.evaluation.results import nan_to_none
    from steerbridge.evaluation.verdicts import verdict_lines
    from steerbridge.safeio import read_json, write_json

    if out is not None:
        check_output(out, "json", (".json",), force)
    if push is not None and not (math.isfinite(push) and push > 0):
        raise SteerbridgeError(f"--push {push}: give the size of the push, a positive alpha the "
                               "run scored (e.g. --push 0.2 judges at α −0.2 and +0.2).")
    if results.is_dir():
        results = results / "results.json"
    data = read_json(results, "Results file")
    if not isinstance(data, dict) or not isinstance(data.get("behaviours"), dict):
        raise SteerbridgeError(f"{results} is not a steerbridge results.json (no 'behaviours'); "
                               "give the results.json a run wrote (runs/<name>/results.json).")
    skipped = add_resamples(data, resamples, seed, again=rejudge, push=push)
    at = f" at push ±{push:g}" if push is not None else ""
    if (table := verdict_table(data, f"Verdicts of {results}{at}")) is not None:
        console.print(table)
    for line in verdict_lines(data):
        console.print(escape(line), soft_wrap=True)
    for why in skipped:
        console.print(f"[yellow]not resampled:[/] {escape(why)}")
    if out is not None:
        write_json(out, nan_to_none(data), force=force)
        console.print(f"Wrote {escape(str(out))}")


def register(app: typer.Typer) -> None:
    app.command("verdicts")(verdicts_cmd)
