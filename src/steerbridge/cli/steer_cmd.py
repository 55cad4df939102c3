"""`steerbridge extract | transfer | generate`: steering vectors from the command line."""

from __future__ import annotations

import math
import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from steerbridge.cli import launch
from steerbridge.cli.console import check_output, console, err_console
from steerbridge.errors import SteerbridgeError


def extract(
    model: str = typer.Argument(..., help="Model alias, HF directory or .gguf file."),
    dataset: str = typer.Option("positive-tone", "--dataset", "-d",
                                help="Built-in behaviour name, CAA .json or evals .jsonl."),
    layers: str = typer.Option("12", "--layers", "-l", help="Layers (block outputs): 12, 9,12 "
                               "or 8-12."),
    method: str = typer.Option("mean_diff", help="mean_diff, pca_diff or logistic_probe."),
    out: Path = typer.Option(Path("vector.safetensors"), "--out", "-o",
                             help="Output .safetensors (or .gguf for a llama.cpp control vector)."),
    limit: int = typer.Option(0, min=0, help="Use only the first N items (0 = all)."),
    multi_choice: str = typer.Option("keep", help="Over two choices: keep or drop."),
    dtype: str = typer.Option("bfloat16", help="bfloat16 or float32."),
    batch_size: int = typer.Option(16, min=1, help="Sequences per forward."),
    read: str = typer.Option("answer_letter", help="Where to read: answer_letter (CAA) or "
                             "answer_text (the end of the chosen line: what the answer says)."),
    force: bool = typer.Option(False, "--force", help="Replace -o even if it holds another "
                               "kind of file."),
    device: str = typer.Option("auto", help=launch.DEVICE_HELP),
    device_map: str = typer.Option(None, help=launch.DEVICE_MAP_HELP),
) -> None:
    """Extract a steering vector from A/B items and save it."""
    from steerbridge.models.dtypes import resolve_dtype
    from steerbridge.models.layers import parse_layers
    from steerbridge.models.loading import load
    from steerbridge.vectors import datasets
    from steerbridge.vectors.aggregators import get_method
    from steerbridge.vectors.extract import extract as extract_vector
    from steerbridge.vectors.readout import items_for_read

    if multi_choice not in ("keep", "drop"):
        raise SteerbridgeError(f"--multi-choice {multi_choice!r}: use keep or drop.")
    parse_layers(layers)  # a bad --layers fails before loading
    check_output(out, "vector", (".safetensors", ".gguf"), force)
    get_method(method)
    resolve_dtype(dtype)
    ds = datasets.load(dataset, multi_choice)  # type: ignore[arg-type]
    items = ds.items[:limit] if limit > 0 else ds.items
    items_for_read(items, read)  # a bad --read or choice line fails before loading
    err_console.print(escape(ds.summary()))
    dev = launch.single_process("extract", device)
    with err_console.status(f"loading {model}"):
        lm = load(model, dtype=dtype, device=dev, device_map=launch.device_map_option(device_map))
    t0 = time.perf_counter()
    vec = extract_vector(lm, items, parse_layers(layers, lm.num_layers), method=method,
                         batch_size=batch_size, dataset_name=ds.name, progress=True, read=read)
    dt = time.perf_counter() - t0
    _save(vec, out, force)
    table = Table(title=f"{method} on {lm.name} from {vec.info['n_items']} items "
                        f"({vec.info['n_items'] / dt:.1f} items/s)")
    for col in ("layer", "|v|", "scale (median norm)", "|v| / scale"):
        table.add_column(col, justify="right")
    for layer in vec.layers:
        table.add_row(str(layer), f"{float(vec.directions[layer].norm()):.3f}",
                      f"{vec.scales[layer]:.2f}", f"{vec.relative_norm(layer):.3f}")
    console.print(table)
    console.print(f"vector written to [bold]{escape(str(out))}[/]")


def _save(vec: object, out: Path, force: bool = False) -> None:
    from steerbridge.vectors.export import save_gguf
    from steerbridge.vectors.vector import SteeringVector

    assert isinstance(vec, SteeringVector)
    if out.suffix == ".gguf":
        save_gguf(vec, out, force=force)
    else:
        vec.save(out, force=force)


def transfer(
    vector: Path = typer.Argument(..., help="Source-model vector (.safetensors)."),
    bridge: Path = typer.Argument(..., help="Bridge .safetensors file."),
    out: Path = typer.Option(Path("transferred.safetensors"), "--out", "-o",
                             help="Output .safetensors or .gguf."),
    target: str = typer.Option(None, help="Target model, to measure its layer scale "
                                          "(unless --target-scale or the bridge stores it)."),
    target_scale: float = typer.Option(None, help="Typical token norm of the target layer."),
    with_bias: bool = typer.Option(False, "--with-bias", help="W·v + b (paper), not W·v."),
    force: bool = typer.Option(False, "--force", help="Replace -o even if it holds another "
                               "kind of file."),
    device: str = typer.Option("auto", help="Where --target runs: " + launch.DEVICE_HELP),
) -> None:
    """Carry a vector into the bridge's target model (W·v by default)."""
    from steerbridge.bridge.affine import Bridge
    from steerbridge.bridge.transfer import transfer
    from steerbridge.vectors.export import load as load_vector

    check_output(out, "vector", (".safetensors", ".gguf"), force)
    br = Bridge.load(bridge)
    vec = load_vector(vector)
    tgt = None
    if target is not None and target_scale is None:
        from steerbridge.models.loading import load

        dev = launch.single_process("transfer", device)
        with err_console.status(f"loading {target}"):
            tgt = load(target, device=dev)
    moved = transfer(br, vec, with_bias=with_bias, target=tgt, target_scale=target_scale)
    _save(moved, out, force)
    lt = moved.layers[0]
    console.print(escape(f"{vec.model_name} layers {list(br.source_layers)} -> "
                         f"{moved.model_name} layer {lt}: |W·v| / scale = "
                         f"{moved.relative_norm(lt):.3f}"))
    console.print(escape(f"lineage: {' | '.join(moved.lineage)}"))
    console.print(f"vector written to [bold]{escape(str(out))}[/]")


def generate(
    model: str = typer.Argument(..., help="Model alias, HF directory or .gguf file."),
    vector: Path = typer.Option(..., "--vector", "-v", help="Vector .safetensors/.gguf."),
    prompts: list[str] = typer.Option(None, "--prompt", "-p",
                                      help="Prompt (repeatable); default: the behaviour's own."),
    behaviour: str = typer.Option("positive-tone", help="Built-in behaviour for default prompts."),
    alphas: str = typer.Option("-0.2,0.2", help="Comma-separated alphas (units of median norm)."),
    max_new_tokens: int = typer.Option(40, min=1, help="Tokens to generate."),
    positions: str = typer.Option("all", help="all, prompt or generated."),
    random_control: bool = typer.Option(False, "--random", help="Also a random direction of "
                                        "equal norm at each alpha."),
    dtype: str = typer.Option("bfloat16", help="bfloat16 or float32."),
    device: str = typer.Option("auto", help=launch.DEVICE_HELP),
    device_map: str = typer.Option(None, help=launch.DEVICE_MAP_HELP),
) -> None:
    """Unsteered and steered greedy continuations side by side."""
    from steerbridge.models.loading import load
    from steerbridge.vectors import datasets, steering
    from steerbridge.vectors import vector as vectors
    from steerbridge.vectors.export import load as load_vector

    try:
        alpha_list = [float(a) for a in alphas.split(",") if a.strip()]
    except ValueError:
        raise SteerbridgeError(f"--alphas {alphas!r}: give comma-separated numbers.") from None
    if not alpha_list or not all(math.isfinite(a) for a in alpha_list):
        raise SteerbridgeError(f"--alphas {alphas!r}: give comma-separated finite numbers, "
                               "e.g. -0.2,0.2 (units of the layer's median token norm).")
    if positions not in ("all", "prompt", "generated"):
        raise SteerbridgeError(f"--positions {positions!r}: use all, prompt or generated.")
    texts = list(prompts) if prompts else datasets.builtin_open_prompts(behaviour)[:3]
    dev = launch.single_process("generate", device)
    with err_console.status(f"loading {model}"):
        lm = load(model, dtype=dtype, device=dev, device_map=launch.device_map_option(device_map))
    vec = load_vector(vector, lm)
    runs: list[tuple[str, list[str]]] = [("unsteered", steering.generate(
        lm, texts, max_new_tokens=max_new_tokens))]
    for a in alpha_list:
        with err_console.status(f"alpha {a:+}"):
            runs.append((f"alpha {a:+}", steering.generate(
                lm, texts, vec, a, max_new_tokens=max_new_tokens,
                positions=positions)))  # type: ignore[arg-type]
            if random_control:
                runs.append((f"random {a:+}", steering.generate(
                    lm, texts, vectors.random_like(vec), a, max_new_tokens=max_new_tokens,
                    positions=positions)))  # type: ignore[arg-type]
    for i, prompt in enumerate(texts):
        table = Table(title=escape(prompt), show_lines=True)
        table.add_column("run", style="bold")
        table.add_column("continuation")
        for label, outs in runs:
            table.add_row(label, escape(outs[i]))
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add `extract`, `transfer` and `generate` to the main app."""
    app.command("extract")(extract)
    app.command("transfer")(transfer)
    app.command("generate")(generate)
