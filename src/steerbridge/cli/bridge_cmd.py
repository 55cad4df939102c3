"""`steerbridge fit-bridge` and `steerbridge pairs`: fit affine maps between two models."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from steerbridge.bridge.builtin_corpus import BUILTIN_CORPUS
from steerbridge.bridge.corpus import DEFAULT_MAX_TOKENS, DEFAULT_WINDOW
from steerbridge.bridge.ood import DEFAULT_OOD_TOKENS
from steerbridge.cli import launch, pairs_transfer, score_cmd
from steerbridge.cli.console import check_output, console, err_console
from steerbridge.errors import SteerbridgeError

CORPUS_HELP = ("builtin (Python's documentation + prose, dialogue and A/B questions written for "
               "steerbridge), builtin-docs or builtin-text (either part alone), a .txt / .md / "
               ".jsonl file of your own, or hf:NAME; repeat to mix.")
DEFAULT_SOURCE = "qwen2.5-coder-0.5b"
DEFAULT_TARGET = "qwen2.5-coder-1.5b"


def _load_pair(source: str, target: str, dtype: str, device: Any = None,
               device_map: str | None = None) -> tuple[Any, Any]:
    from steerbridge.models.loading import load

    with err_console.status(f"loading {source} and {target} on {device}"):
        return (load(source, dtype=dtype, device=device),
                load(target, dtype=dtype, device=device, device_map=device_map))


def _windows(corpus: list[str], tokenizer: Any, window: int, max_tokens: int) -> Any:
    from steerbridge.bridge.corpus import load_corpus, tokenize

    w = tokenize(load_corpus(corpus or [BUILTIN_CORPUS]), tokenizer, window=window,
                 max_tokens=max_tokens)
    console.print(
        f"corpus {escape(w.corpus_name)}: {len(w):,} windows, {w.n_tokens:,} tokens "
        f"({w.info.get('plain_windows', 0)} plain, {w.info.get('chat_windows', 0)} chat; "
        f"chat header of {w.header_tokens} tokens left out), fingerprint {w.fingerprint}"
    )
    return w


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _summary(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    cols = [("source_layers", "src"), ("target_layer", "tgt"), ("screen_r2", "screen R²"),
            ("r2", "R²"), ("r2_plain", "R² plain"), ("r2_chat", "R² chat"),
            ("cosine", "cos"), ("centred_cosine", "centred cos"), ("mean_r2", "mean-pred R²"),
            ("mean_cosine", "mean-pred cos"), ("random_r2", "random R²"),
            ("random_cosine", "random cos"), ("n_train", "train tok")]
    for _, name in cols:
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(*(_fmt(r.get(k)) for k, _ in cols))
    return table


def _check_names(method: str, dtype: str) -> None:
    """A fit method and a dtype that exist, checked before any model loads."""
    from steerbridge.bridge.fits import METHODS
    from steerbridge.models.dtypes import resolve_dtype

    if method not in METHODS:
        raise SteerbridgeError(f"--method {method!r}: use one of {', '.join(METHODS)}.")
    resolve_dtype(dtype)


def _anchor_items(specs: list[str], n: int, read: str) -> dict[str, list[Any]]:
    """{spec as given: its first `n` items} for each --anchor spec, checked readable at `read`
    (so a bad name, read position or choice line fails before any model loads)."""
    from steerbridge.vectors import datasets
    from steerbridge.vectors.readout import items_for_read

    out: dict[str, list[Any]] = {}
    for spec in specs:
        ds = datasets.load(spec)
        if not ds.items:
            raise SteerbridgeError(f"Anchor dataset {spec!r} has no usable items.")
        out[spec] = list(ds.items[:n])
        items_for_read(out[spec], read)
    return out


def fit_bridge_cmd(
    source: str = typer.Option(DEFAULT_SOURCE, help="Source (small) model."),
    target: str = typer.Option(DEFAULT_TARGET, help="Target (large) model."),
    source_layer: list[int] = typer.Option([12], "--source-layer", "-s",
                                           help="Source layer; repeat for many-to-one."),
    target_layer: int = typer.Option(14, "--target-layer", "-t", help="Target layer."),
    corpus: list[str] = typer.Option(None, "--corpus", help=CORPUS_HELP),
    method: str = typer.Option("ridge", help="ridge, procrustes, lowrank or sgd."),
    rank: int = typer.Option(None, min=1, help="Rank for --method lowrank."),
    max_tokens: int = typer.Option(DEFAULT_MAX_TOKENS, min=1, help="Tokens fed to the models."),
    window: int = typer.Option(DEFAULT_WINDOW, min=2, help="Tokens per window."),
    batch_size: int = typer.Option(8, min=1, help="Windows per forward batch."),
    outlier_factor: float = typer.Option(5.0, min=0, help="Drop tokens with norm > this x "
                                                          "median; 0 keeps all."),
    dtype: str = typer.Option("auto", help="auto (bf16 only where the CPU has bf16 units), "
                                          "bfloat16 or float32."),
    cache_dir: Path = typer.Option(Path("~/.cache/steerbridge/moments"),
                                   help="Where collected statistics are cached."),
    out: Path = typer.Option(Path("bridge.safetensors"), "--out", "-o", help="Bridge file."),
    force: bool = typer.Option(False, "--force", help="Replace -o even if it holds another "
                               "kind of file (a dataset, a vector...)."),
    anchor: list[str] = typer.Option(None, "--anchor", help="A/B dataset (built-in name, CAA "
                                     ".json or evals .jsonl) whose paired answer-state "
                                     "differences join the fit; repeat for several. Leave out "
                                     "the behaviour you will test transfer on."),
    anchor_items: int = typer.Option(150, min=1, help="Items read from each --anchor dataset."),
    anchor_weight: float = typer.Option(1.0, help="Total anchor weight relative to the corpus "
                                                  "tokens (1 = as much as the corpus)."),
    anchor_read: str = typer.Option("answer_letter", help="Where anchors are read: "
                                    "answer_letter or answer_text (match the vectors' --read)."),
    device: str = typer.Option("auto", help=launch.DEVICE_HELP + " Under torchrun: each "
                               "rank's own GPU."),
    device_map: str = typer.Option(None, help=launch.DEVICE_MAP_HELP),
    batch_tokens: int = typer.Option(None, help="Padded tokens per forward batch instead of "
                                     "--batch-size windows (GPUs: e.g. 16384)."),
    ood: list[Path] = typer.Option(None, "--ood", help="A UTF-8 text file to score the fitted "
                                   "bridge on, out of distribution; repeat for several. Writes "
                                   "OUT.ood.json beside the bridge."),
    ood_tokens: int = typer.Option(DEFAULT_OOD_TOKENS, min=2, help="Tokens scored from the "
                                   "start of each --ood text."),
) -> None:
    """Fit one bridge (layer l = output of decoder block l) and print its held-out metrics.

    Under `torchrun --nproc-per-node N -m steerbridge.cli fit-bridge ...` the collection is
    sharded over the N ranks; rank 0 writes the bridge and prints.
    """
    from steerbridge.bridge.fitting import fit_bridge

    t0 = time.perf_counter()
    check_output(out, "bridge", (".safetensors",), force)  # before any work, not after
    _check_names(method, dtype)
    anchors = _anchor_items(anchor or [], anchor_items, anchor_read)
    ood_out = out.with_name(out.stem + ".ood.json")
    if ood:
        score_cmd.check_texts(ood)
        check_output(ood_out, "json", (".json",), force)
    shard, dev = launch.setup(device)
    src, tgt = _load_pair(source, target, dtype, dev, launch.device_map_option(device_map))
    windows = _windows(corpus, src.tokenizer, window, max_tokens)
    opts: dict[str, Any] = {"rank": rank} if rank is not None else {}
    bridge = fit_bridge(src, tgt, windows, source_layer, target_layer, method=method,
                        cache_dir=cache_dir, batch_size=batch_size,
                        outlier_factor=outlier_factor, anchors=anchors,
                        anchor_weight=anchor_weight, anchor_read=anchor_read,
                        batch_tokens=batch_tokens, **opts)
    if not shard.is_main:
        return
    path = bridge.save(out, force=force)
    from steerbridge.bridge.pair_report import bridge_row

    console.print(_summary([bridge_row(bridge)], f"bridge {source} → {target} ({method})"))
    console.print(f"dropped tokens: {bridge.metrics.get('dropped')}")
    if ood:
        score_cmd.report_ood(bridge, src, tgt, ood, ood_out, ood_tokens, window, force,
                             batch_size=batch_size, outlier_factor=outlier_factor,
                             batch_tokens=batch_tokens)
    console.print(f"[green]bridge written to {escape(str(path))}[/] "
                  f"({time.perf_counter() - t0:.0f} s)")


def pairs_cmd(
    source: str = typer.Option(DEFAULT_SOURCE, help="Source (small) model."),
    target: str = typer.Option(DEFAULT_TARGET, help="Target (large) model."),
    corpus: list[str] = typer.Option(None, "--corpus", help=CORPUS_HELP),
    max_tokens: int = typer.Option(
        DEFAULT_MAX_TOKENS, min=1, help="Tokens fed to the models for the full fits."),
    sample_tokens: int = typer.Option(4096, min=1, help="Train tokens for the all-pairs screen."),
    source_layers: str = typer.Option("all", help="Source layers to screen: all, or "
                                                  "START-STOP[:STEP] (inclusive), or 1,2,5."),
    target_layers: str = typer.Option("all", help="Target layers to screen (same syntax)."),
    fit_sources: str = typer.Option("auto", help="Source layers to fit fully, each with its "
                                    "best screened target: auto (4 spread over the middle "
                                    "half of the stack), none (use --top-k), or a layer list."),
    top_k: int = typer.Option(4, min=1, help="With --fit-sources none: how many of the best "
                                             "screened pairs to fit fully."),
    many_to_one: int = typer.Option(2, min=0, help="Also fit k best source layers → best "
                                                   "target (0 = off)."),
    window: int = typer.Option(DEFAULT_WINDOW, min=2, help="Tokens per window."),
    batch_size: int = typer.Option(8, min=1, help="Windows per forward batch."),
    outlier_factor: float = typer.Option(5.0, min=0, help="Drop tokens with norm > this x "
                                                          "median."),
    dtype: str = typer.Option("auto", help="auto (bf16 only where the CPU has bf16 units), "
                                          "bfloat16 or float32."),
    cache_dir: Path = typer.Option(Path("~/.cache/steerbridge/moments"),
                                   help="Where collected statistics are cached."),
    out_dir: Path = typer.Option(Path("pairs"), "--out-dir", "-o", help="Output directory."),
    force: bool = typer.Option(False, "--force", help="Replace files in --out-dir that hold "
                               "another kind of content."),
    device: str = typer.Option("auto", help=launch.DEVICE_HELP),
    device_map: str = typer.Option(None, help=launch.DEVICE_MAP_HELP),
    by: str = typer.Option("r2", "--by", help="Rank the fitted pairs by r2 (held-out state "
                           "fit) or transfer (A/B retention of built-in behaviours beside "
                           "random controls; writes pairs_transfer.csv/.json/.png too)."),
    behaviour: list[str] = typer.Option(None, "--behaviour", help=pairs_transfer.BEHAVIOUR_HELP),
    alphas: str = typer.Option("-0.4,0.4", help=pairs_transfer.ALPHAS_HELP),
    test_items: int = typer.Option(40, help="With --by transfer: test items per behaviour."),
    generate_items: int = typer.Option(80, help="With --by transfer: generate items per "
                                       "behaviour (vector extraction)."),
    answer_prefix: str = typer.Option("", help="With --by transfer: text that opens every "
                                      "answer, e.g. '(' when '(A)' is not one token."),
    answer_format: str = typer.Option("text", "--format", help="With --by transfer: text (each "
                                      "answer scored as the text the model would say; the "
                                      "default, as in the demo), plain, instruction, paren or "
                                      "instruction+paren (A/B letters)."),
    ab_files: list[str] = typer.Option(None, "--ab", help=pairs_transfer.AB_HELP),
    method: str = typer.Option(None, "--method", help=pairs_transfer.METHOD_HELP),
    method_alpha: float = typer.Option(0.4, "--method-alpha",
                                       help=pairs_transfer.METHOD_ALPHA_HELP),
    positions: str = typer.Option("all", "--positions", help=pairs_transfer.POSITIONS_HELP),
    rank_by: str = typer.Option("p", "--rank-by", help=pairs_transfer.RANK_BY_HELP),
) -> None:
    """Screen every layer pair, fit the chosen ones fully; write heatmap, table and bridges.

    With --by transfer, also measure how much of each built-in behaviour every fitted bridge
    carries (retention beside random controls) and rank the pairs by that.
    """
    from steerbridge.bridge.pair_report import table_rows, write_heatmap, write_table
    from steerbridge.bridge.pairs import middle_layers, screen_pairs
    from steerbridge.models.layers import parse_layers

    t0 = time.perf_counter()
    _check_names("ridge", dtype)
    for spec in (source_layers, target_layers, fit_sources):  # bad specs fail before loading
        if spec not in ("all", "auto", "none"):
            parse_layers(spec)
    if out_dir.exists() and not out_dir.is_dir():
        raise SteerbridgeError(f"--out-dir {out_dir} is a file; give a folder for the outputs.")
    for name, kind in (("pairs.csv", "text"), ("pairs.json", "json"),
                       ("pairs_heatmap.png", "image")):
        check_output(out_dir / name, kind, (Path(name).suffix,), force)
    measure = pairs_transfer.settings(by, behaviour, alphas, test_items, generate_items,
                                      answer_prefix, batch_size, out_dir, force,
                                      answer_format, method, method_alpha, ab_files,
                                      positions, rank_by)
    dev = launch.single_process("pairs", device)
    src, tgt = _load_pair(source, target, dtype, dev, launch.device_map_option(device_map))
    windows = _windows(corpus, src.tokenizer, window, max_tokens)
    fit: list[int] | None = None  # "none": the top-k screened pairs
    if fit_sources == "auto":
        fit = middle_layers(src.num_layers)
    elif fit_sources != "none":
        fit = parse_layers(fit_sources, src.num_layers)
    result = screen_pairs(src, tgt, windows, top_k=top_k, many_to_one=many_to_one,
                          fit_sources=fit,
                          source_layers=parse_layers(source_layers, src.num_layers),
                          target_layers=parse_layers(target_layers, tgt.num_layers),
                          sample_tokens=sample_tokens, batch_size=batch_size,
                          outlier_factor=outlier_factor, cache_dir=cache_dir)
    csv_path, json_path = write_table(result, out_dir, force=force)
    png = write_heatmap(result, out_dir / "pairs_heatmap.png", f"{source} → {target}",
                        force=force)
    best = result.bridges[0]
    bpaths = [br.save(out_dir / f"bridge_L{'+'.join(map(str, br.source_layers))}"
                                f"_L{br.target_layer}.safetensors", force=force)
              for br in result.bridges]
    rows = table_rows(result)
    console.print(_summary(rows, f"best layer pairs {source} → {target} (held-out test tokens)"))
    console.print(f"dropped tokens: {json.dumps(best.metrics.get('dropped'))}")
    for p in (png, csv_path, json_path):
        console.print(f"[green]wrote[/] {escape(str(p))}")
    console.print(f"[green]wrote[/] {len(bpaths)} bridges, best first: {escape(str(bpaths[0]))}"
                  + "".join(f", {p.name}" for p in bpaths[1:]))
    if measure is not None:
        for p in pairs_transfer.run(src, tgt, result.bridges, measure, out_dir,
                                    f"{source} → {target}", best.provenance, force):
            console.print(f"[green]wrote[/] {escape(str(p))}")
    console.print(f"done in {time.perf_counter() - t0:.0f} s")


def register(app: typer.Typer) -> None:
    """Add `fit-bridge` and `pairs` to the steerbridge app."""
    app.command("fit-bridge")(fit_bridge_cmd)
    app.command("pairs")(pairs_cmd)
