"""`steerbridge score-bridge`: a fitted bridge's R² on other text, beside its held-out figure.

`report_ood` is shared with ``fit-bridge --ood``: score each text file, print the in- and
out-of-distribution rows side by side, write the JSON report atomically.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from steerbridge.bridge.corpus import DEFAULT_WINDOW
from steerbridge.bridge.ood import DEFAULT_OOD_TOKENS
from steerbridge.cli import launch
from steerbridge.cli.console import check_output, console, err_console
from steerbridge.errors import SteerbridgeError


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)


def ood_table(report: dict[str, Any], title: str) -> Table:
    """The report's rows: text, kind, R², cosine, relative error, tokens scored, R² drop."""
    table = Table(title=title)
    cols = [("text", "text"), ("kind", ""), ("r2", "R²"), ("cosine", "cos"),
            ("rel_error", "rel. error"), ("n", "tokens"), ("r2_drop", "R² drop")]
    for key, name in cols:
        table.add_column(name, justify="left" if key in ("text", "kind") else "right")
    for r in report["rows"]:
        table.add_row(*(escape(_fmt(r.get(k))) for k, _ in cols))
    return table


def check_texts(texts: list[Path]) -> None:
    """Read (and refuse) every text file before any model loads."""
    from steerbridge.bridge.ood import text_corpus

    for p in texts:
        text_corpus(p)


def report_ood(bridge: Any, source: Any, target: Any, texts: list[Path], out: Path,
               max_tokens: int, window: int, force: bool, **options: Any) -> Path:
    """Score `bridge` on each text, print the side-by-side table, write the JSON to `out`."""
    from steerbridge.bridge.ood import ood_report, score_texts
    from steerbridge.safeio import write_json

    scores = score_texts(bridge, source, target, texts, window=window, max_tokens=max_tokens,
                         progress=True, **options)
    report = ood_report(bridge, scores)
    report["settings"] = {"max_tokens": max_tokens, "window": window,
                          "texts": [str(p) for p in texts], **options}
    title = (f"bridge {bridge.source_name} L{'+'.join(map(str, bridge.source_layers))} → "
             f"{bridge.target_name} L{bridge.target_layer}: in- and out-of-distribution")
    console.print(ood_table(report, title))
    path = write_json(out, report, force=force)
    console.print(f"[green]out-of-distribution report written to {escape(str(path))}[/]")
    return path


def score_bridge_cmd(
    bridge_path: Path = typer.Argument(..., metavar="BRIDGE", help="A bridge .safetensors."),
    text: list[Path] = typer.Option(..., "--text", help="A UTF-8 text file (.txt; .jsonl read "
                                    "as a corpus) to score the bridge on; repeat for several."),
    source: str = typer.Option(None, help="Source model (default: the one the bridge names)."),
    target: str = typer.Option(None, help="Target model (default: the one the bridge names)."),
    max_tokens: int = typer.Option(DEFAULT_OOD_TOKENS, min=2,
                                   help="Tokens scored from the start of each text."),
    window: int = typer.Option(DEFAULT_WINDOW, min=2, help="Tokens per window."),
    batch_size: int = typer.Option(8, min=1, help="Windows per forward batch."),
    outlier_factor: float = typer.Option(5.0, min=0, help="Drop tokens with norm > this x "
                                                          "median (as in the fit); 0 keeps all."),
    dtype: str = typer.Option("auto", help="auto, bfloat16 or float32."),
    out: Path = typer.Option(None, "--out", "-o", help="JSON report (default: BRIDGE with "
                             ".ood.json)."),
    force: bool = typer.Option(False, "--force", help="Replace -o even if it holds another "
                               "kind of file."),
    device: str = typer.Option("auto", help=launch.DEVICE_HELP),
) -> None:
    """Score a fitted bridge on other text: R² and cosine of its predictions of the target's
    states, beside the held-out figures of the corpus it was fitted on."""
    from steerbridge.bridge.affine import Bridge
    from steerbridge.models.dtypes import resolve_dtype
    from steerbridge.models.loading import load

    t0 = time.perf_counter()
    out = out if out is not None else bridge_path.with_name(bridge_path.stem + ".ood.json")
    check_output(out, "json", (".json",), force)
    resolve_dtype(dtype)
    check_texts(text)
    bridge = Bridge.load(bridge_path)
    src_name, tgt_name = source or bridge.source_name, target or bridge.target_name
    if not src_name or not tgt_name:
        raise SteerbridgeError(f"{bridge_path} does not name its models: give --source and "
                               "--target.")
    dev = launch.single_process("score-bridge", device)
    with err_console.status(f"loading {src_name} and {tgt_name} on {dev}"):
        src, tgt = load(src_name, dtype=dtype, device=dev), load(tgt_name, dtype=dtype, device=dev)
    report_ood(bridge, src, tgt, text, out, max_tokens, window, force, batch_size=batch_size,
               outlier_factor=outlier_factor)
    console.print(f"done in {time.perf_counter() - t0:.0f} s")


def register(app: typer.Typer) -> None:
    """Add `score-bridge` to the steerbridge app."""
    app.command("score-bridge")(score_bridge_cmd)
