"""`steerbridge llamacpp gguf | export | import | eval`: steering vectors in llama.cpp.

Needs the optional extra: ``pip install 'steerbridge[llamacpp]'`` (only `eval` runs llama.cpp;
`gguf`, `export` and `import` work without it).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from steerbridge.cli.console import console, err_console
from steerbridge.errors import SteerbridgeError

app = typer.Typer(
    help="Take steering vectors to llama.cpp: GGUF control vectors, and A/B evaluation and "
    "greedy generation in llama.cpp itself (pip install 'steerbridge\\[llamacpp]').",
    no_args_is_help=True,
)


def _floats(text: str, opt: str) -> list[float]:
    try:
        return [float(a) for a in text.split(",") if a.strip()]
    except ValueError as err:
        raise SteerbridgeError(f"{opt} {text!r}: give comma-separated numbers.") from err


@app.command("gguf")
def gguf_cmd(alias: str = typer.Argument(..., help="Offline alias, e.g. qwen2.5-coder-1.5b.")
             ) -> None:
    """Assemble and keep the quantised GGUF of an alias (the file llama.cpp runs)."""
    from steerbridge.models.gguf_file import ensure_gguf

    path = ensure_gguf(alias, lambda m: err_console.print(f"[cyan]{alias}[/]: {m}"))
    console.print(f"GGUF of {alias}: [bold]{path}[/]")


@app.command("export")
def export_cmd(
    vector: Path = typer.Argument(..., help="Steering vector .safetensors (or .gguf)."),
    alpha: float = typer.Option(..., help="Strength folded into the file: llama.cpp adds "
                                "alpha·v̂·scale at every position with --control-vector FILE."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .gguf control vector."),
    model_hint: str = typer.Option(None, help="controlvector.model_hint (default: from the "
                                   "vector's model name)."),
) -> None:
    """Write a llama.cpp control vector carrying alpha·v̂·scale (the alpha is in its metadata)."""
    from steerbridge.vectors.export import load, save_gguf

    vec = load(vector)
    save_gguf(vec, out, model_hint=model_hint, alpha=alpha)
    console.print(f"layers {vec.layers} of {vec.model_name} at alpha {alpha:+}: "
                  f"llama-cli -m MODEL.gguf --control-vector {out}")
    console.print(f"control vector written to [bold]{out}[/]")


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="GGUF control vector from another tool."),
    model_hint: str = typer.Option(..., "--model-hint", help="The model it is for: alias, HF "
                                   "directory or .gguf model (checked against the file)."),
    out: Path = typer.Option(None, "--out", "-o", help="Save it as a steerbridge vector "
                             ".safetensors for that model (loads the model once)."),
) -> None:
    """Load a foreign control vector for a named model; show its layers, norms and alpha."""
    from steerbridge.vectors import foreign
    from steerbridge.vectors.export import load_gguf

    vec = load_gguf(file)
    if not foreign.is_foreign(vec):
        raise SteerbridgeError(f"{file} was written by steerbridge (for {vec.model_name}); "
                               "use it directly, no import needed.")
    adopted = foreign.adopt(vec, foreign.identity_of(model_hint))
    table = Table(title=f"{file.name}: hint {foreign.file_hint(vec)!r} -> {model_hint}")
    table.add_column("layer (= llama.cpp direction.k = output of block k)", justify="right")
    table.add_column("norm (push at alpha 1)", justify="right")
    for layer, norm in foreign.describe(adopted):
        table.add_row(str(layer), f"{norm:.4f}")
    console.print(table)
    console.print(f"alpha: {foreign.ALPHA_SEMANTICS}")
    if out is not None:
        from steerbridge.models.loading import load

        with err_console.status(f"loading {model_hint} for its fingerprint"):
            lm = load(model_hint)
        foreign.adopt(vec, foreign.ModelIdentity.of(lm)).save(out)
        console.print(f"vector written to [bold]{out}[/]")


@app.command("eval")
def eval_cmd(
    model: str = typer.Argument(..., help="Alias (its kept GGUF) or a .gguf model file."),
    vector: Path = typer.Option(..., "--vector", "-v", help="Vector .safetensors or .gguf "
                                "(steerbridge's or another tool's)."),
    alphas: str = typer.Option("-0.2,0.2", help="Comma-separated alphas for the A/B sweep."),
    behaviour: str = typer.Option("positive-tone", help="Built-in behaviour: its test items "
                                  "and open prompts."),
    limit: int = typer.Option(40, help="A/B test items (0 = all)."),
    n_prompts: int = typer.Option(5, help="Open prompts for greedy generation (0 = none)."),
    gen_alpha: float = typer.Option(None, help="Alpha for generation (default: first alpha)."),
    max_new_tokens: int = typer.Option(40, help="Tokens to generate."),
    compare: bool = typer.Option(False, "--compare", help="Also run transformers on the same "
                                 "items (dequantised float model) and report the agreement."),
    allow_other_model: bool = typer.Option(False, "--allow-other-model", help="Accept a vector "
                                           "made for another model of the same hidden size."),
    threads: int = typer.Option(None, help="llama.cpp threads (default: its own choice)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write every number as JSON here."),
) -> None:
    """A/B logit differences and greedy text in llama.cpp, with and without the vector."""
    from steerbridge.evaluation import llamacpp_compare as lc
    from steerbridge.models.gguf_file import resolve_gguf
    from steerbridge.vectors import datasets
    from steerbridge.vectors import llamacpp as cpp_mod
    from steerbridge.vectors.export import load as load_vector

    alpha_list = _floats(alphas, "--alphas")
    if not alpha_list:
        raise SteerbridgeError("--alphas: give at least one alpha.")
    cpp_mod.require_llama_cpp()
    path, alias = resolve_gguf(model)
    _, test = datasets.builtin(behaviour)
    items = test[:limit] if limit > 0 else test
    prompts = datasets.builtin_open_prompts(behaviour)[:n_prompts] if n_prompts > 0 else []
    with err_console.status(f"loading {path.name} in llama.cpp"):
        cpp = cpp_mod.LlamaCppModel(path, name=alias or path.name, n_threads=threads)
    vec = cpp_mod.for_model(load_vector(vector), cpp, alias, allow_other_model)
    if compare:
        from steerbridge.models.loading import load

        with err_console.status(f"loading {model} in transformers"):
            hf = load(model if alias else str(path))
        with err_console.status("A/B and generation in transformers and llama.cpp"):
            res = lc.compare(hf, cpp, items, vec, alpha_list, prompts, gen_alpha,
                             max_new_tokens)
        _print_compare(res)
    else:
        with err_console.status("A/B and generation in llama.cpp"):
            res = lc.evaluate(cpp, cpp_mod.hf_tokenizer(path, alias), items, vec, alpha_list,
                              prompts, gen_alpha, max_new_tokens)
        _print_eval(res)
    if out is not None:
        lc.save_json(out, res)
        console.print(f"results written to [bold]{out}[/]")


def _print_eval(res: dict) -> None:
    table = Table(title=f"A/B in llama.cpp, {res['model']}, {res['n_items']} items")
    for col in ("alpha", "mean logit diff", "mean p(matching)", "answer mass"):
        table.add_column(col, justify="right")
    for row in res["summary"]:
        table.add_row(f"{row['alpha']:+}", f"{row['mean_ld']:+.3f}", f"{row['mean_p']:.3f}",
                      f"{row['mean_mass']:.3f}")
    console.print(table)
    if "generations" in res:
        _print_gens(res["generations"], res["tone"], "llama.cpp")


def _print_gens(gens: dict, tone: dict, engine: str) -> None:
    table = Table(title=f"greedy in {engine}, alpha {gens['alpha']:+} (VADER shift "
                        f"{tone['shift'].get('vector', float('nan')):+.3f})", show_lines=True)
    table.add_column("prompt")
    table.add_column("unsteered")
    table.add_column("steered")
    for s in gens["samples"]:
        table.add_row(s["prompt"], s["outputs"]["none"], s["outputs"]["vector"])
    console.print(table)


def _print_compare(res: dict) -> None:
    par = res["parity"]
    b = par["baseline"]
    console.print(f"unsteered A/B logit difference, llama.cpp vs transformers over "
                  f"{par['n_items']} items: r = {b['r_ld']:.3f}, RMS gap {b['rms_gap']:.3f}")
    table = Table(title="change in the A/B logit difference caused by the vector")
    for col in ("alpha", "r per item", "mean shift HF", "mean shift llama.cpp", "ratio",
                "unsteered gap / steered gap (ms)"):
        table.add_column(col, justify="right")
    for row in par["per_alpha"]:
        table.add_row(f"{row['alpha']:+}", f"{row['r_shift']:.3f}",
                      f"{row['mean_shift_hf']:+.3f}", f"{row['mean_shift_llamacpp']:+.3f}",
                      f"{row['ratio']:.3f}", f"{row['explained_size']:.2f}")
    console.print(table)
    fails = res["rule_failures"]
    console.print("agreement rule (r >= 0.9, same sign, within 25 %): "
                  + ("[green]met[/]" if not fails else "[red]not met[/]: " + "; ".join(fails)))
    if "generations" in res:
        g = res["generations"]
        tp = g["tone_parity"]
        console.print(f"greedy VADER shift: transformers {tp['shift_hf']:+.3f}, llama.cpp "
                      f"{tp['shift_llamacpp']:+.3f}; prompts moved the same way "
                      f"{tp['moved_same_way']}/{len(tp['per_prompt_hf'])}")
        _print_gens(g["llamacpp"], g["tone_llamacpp"], "llama.cpp")


def register(main: typer.Typer) -> None:
    """Add the `llamacpp` group to the main app."""
    main.add_typer(app, name="llamacpp")
