"""`steerbridge demo` before the pipeline exists: install the pair, show info, generate.

Superseded by the full demo in `steerbridge.commands.run_cmd` once that module is present.
"""

from __future__ import annotations

import time

import torch
import typer
from rich.table import Table

from steerbridge import zoo
from steerbridge.commands.console import byte_progress, console, progress_bar

PAIR = ("qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b")
PROMPT = "Write one sentence about why the sky is blue."


def demo(
    quick: bool = typer.Option(False, "--quick", help="Fewer items (unused at this stage)."),
) -> None:
    """Install the default pair, print both models' info and a short greedy generation."""
    from steerbridge.models import load

    for alias in PAIR:
        with progress_bar(bytes_mode=True) as progress:
            zoo.install(
                alias,
                progress=lambda m: progress.console.print(m),
                on_bytes_total=byte_progress(progress, f"{alias} chunks"),
            )
    for alias in PAIR:
        t0 = time.perf_counter()
        m = load(alias)
        table = Table(
            title=f"{alias} (loaded in {time.perf_counter() - t0:.1f} s)", show_header=False
        )
        for k, v in m.info().items():
            table.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
        console.print(table)
        chat = [{"role": "user", "content": PROMPT}]
        ids = m.tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with torch.no_grad():
            out = m.model.generate(**ids, max_new_tokens=40, do_sample=False)  # type: ignore[operator]
        text = m.tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
        console.print(f"[bold]{alias}[/] > {PROMPT}\n{text}\n")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
