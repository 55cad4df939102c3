"""`steerbridge fit-effect`: the effect-matched bridge file from a state-bridge prior."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from steerbridge.cli import launch
from steerbridge.cli.bridge_cmd import DEFAULT_SOURCE, DEFAULT_TARGET, _load_pair, _windows
from steerbridge.cli.console import check_output, console


def _defaults() -> Any:
    from steerbridge.bridge.effect_bridge import EffectSettings

    return EffectSettings()


def _questions(specs: list[str], n: int) -> list[str]:
    """The first `n` questions of each A/B dataset, answers and labels dropped."""
    from steerbridge.bridge.method_inputs import unlabelled_questions
    from steerbridge.vectors import datasets

    return [q for spec in specs for q in unlabelled_questions(datasets.load(spec).items[:n])]


def _table(metrics: dict[str, Any]) -> Table:
    t = Table(title="effect-matched bridge (held-out gradient pairs)")
    for col in ("λ_rel", "held-out R²", "prior R²", "split-half cos", "pairs", "windows"):
        t.add_column(col, justify="right")
    fmt = [metrics.get(k) for k in ("lam_rel", "val_r2", "prior_val_r2", "split_half_cos",
                                     "pairs", "windows")]
    t.add_row(*("-" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v)
                for v in fmt))
    return t


def fit_effect_cmd(
    prior: Path = typer.Option(..., "--prior", help="The state bridge (from fit-bridge or a "
                               "run directory): its layers, and the prior the fit shrinks to."),
    source: str = typer.Option(DEFAULT_SOURCE, help="Source (small) model."),
    target: str = typer.Option(DEFAULT_TARGET, help="Target (large) model."),
    corpus: list[str] = typer.Option(None, "--corpus", help="builtin, .txt, .jsonl or hf:NAME."),
    windows: int = typer.Option(_defaults().windows, min=0, help="Corpus windows probed."),
    window: int = typer.Option(_defaults().window, min=2, help="Tokens per corpus window."),
    max_tokens: int = typer.Option(200_000, min=1, help="Corpus tokens read (the last "
                                   "--windows windows are probed)."),
    draws: int = typer.Option(_defaults().draws, min=1, help="Probe draws per window."),
    per_position: bool = typer.Option(_defaults().per_position, "--per-position/--per-window",
                                      help="One gradient pair per token position, or per "
                                      "window."),
    prompts: list[str] = typer.Option(None, "--prompts", help="A/B dataset whose questions "
                                      "(answers and labels dropped) are probed too; repeat. "
                                      "Never the test set you will measure on."),
    prompts_per_dataset: int = typer.Option(_defaults().prompts_per_behaviour, min=0),
    batch_size: int = typer.Option(_defaults().batch_size, min=1),
    seed: int = typer.Option(_defaults().seed),
    dtype: str = typer.Option("auto", help="auto, bfloat16 or float32."),
    out: Path = typer.Option(Path("effect-bridge.safetensors"), "--out", "-o"),
    force: bool = typer.Option(False, "--force", help="Replace -o even if it holds another "
                               "kind of file."),
    device: str = typer.Option("auto", help=launch.DEVICE_HELP),
    device_map: str = typer.Option(None, help=launch.DEVICE_MAP_HELP),
) -> None:
    """Fit the effect-matched bridge (ridge on probe-gradient pairs toward the --prior state
    bridge) and write it as a bridge file (W_eff, b = 0) that `steerbridge transfer` reads."""
    from steerbridge.bridge.affine import Bridge
    from steerbridge.bridge.effect_bridge import EffectSettings, fit_effect_bridge, probe_batches

    t0 = time.perf_counter()
    check_output(out, "bridge", (".safetensors",), force)
    state = Bridge.load(prior)
    questions = _questions(prompts or [], prompts_per_dataset)
    settings = EffectSettings(windows=windows, window=window, draws=draws,
                              per_position=per_position,
                              prompts_per_behaviour=prompts_per_dataset, batch_size=batch_size,
                              seed=seed)
    dev = launch.single_process("fit-effect", device)
    src, tgt = _load_pair(source, target, dtype, dev, launch.device_map_option(device_map))
    state.check_model("source", src)
    state.check_model("target", tgt)
    w = _windows(corpus, src.tokenizer, window, max_tokens)
    batches = probe_batches(src.tokenizer, w, questions, settings)
    console.print(f"layers {state.source_layers} → {state.target_layer}; {len(batches)} probe "
                  f"batches ({min(windows, len(w))} windows, {len(questions)} questions)")
    bridge = fit_effect_bridge(src, tgt, state, batches, settings, progress=True)
    path = bridge.save(out, force=force)
    console.print(_table(bridge.metrics))
    console.print(f"[green]effect-matched bridge written to {escape(str(path))}[/] "
                  f"({time.perf_counter() - t0:.0f} s)")


def register(app: typer.Typer) -> None:
    """Add `fit-effect` to the steerbridge app."""
    app.command("fit-effect")(fit_effect_cmd)
