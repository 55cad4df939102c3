"""The same steering vector in llama.cpp (Q4_K_M GGUF) and in transformers (dequantised float32).

Runs, on the real 1.5B:

1. the layer probe: a random direction at llama.cpp's ``direction.k`` against transformers'
   layers ``k-1, k, k+1`` (which layer does ``direction.k`` steer?);
2. the A/B sweep of each given vector in both engines: per-item shift of the logit difference,
   its correlation, the mean shifts, and the unsteered (quantisation) gap as a baseline;
3. greedy continuations of open positive-tone prompts in both engines, scored by VADER.

    PYTHONPATH=src nice python benchmarks/llamacpp_parity.py \
        --vector native=runs/l14/positive-tone-1.5b-l14.safetensors \
        --items 40 --alphas -0.2,0.2 --gen-alpha -0.4 --prompts 5 \
        --out benchmarks/results/llamacpp

Writes ``probe.json`` and ``<name>.json`` per vector into --out, and prints a summary.
``--reparity FILE.json ...`` recomputes the parity figures of saved runs (no model loaded).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--vector", action="append", default=[], help="name=path (repeatable)")
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--alphas", default="-0.2,0.2")
    ap.add_argument("--gen-alpha", type=float, default=-0.4)
    ap.add_argument("--prompts", type=int, default=5)
    ap.add_argument("--max-new-tokens", type=int, default=40)
    ap.add_argument("--probe-layers", default="3,14,26")
    ap.add_argument("--probe-alpha", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--cpp-threads", type=int, default=1,
                    help="llama.cpp threads (1 is faster than 2 on a shared 2-core machine)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/llamacpp"))
    ap.add_argument("--reparity", nargs="+", type=Path, help="saved <name>.json files")
    args = ap.parse_args()
    if args.reparity:
        reparity(args.reparity)
        return

    from steerbridge.evaluation import llamacpp_compare as lc
    from steerbridge.models.gguf_file import resolve_gguf
    from steerbridge.models.loading import load
    from steerbridge.vectors import datasets, llamacpp
    from steerbridge.vectors.export import load as load_vector
    from steerbridge.vectors.vector import measure_scales

    torch.set_num_threads(args.threads)
    path, alias = resolve_gguf(args.model)
    t0 = time.perf_counter()
    hf = load(args.model, dtype="float32")
    cpp = llamacpp.LlamaCppModel(path, name=alias or path.name,
                                n_threads=args.cpp_threads)
    print(f"loaded both engines in {time.perf_counter() - t0:.1f} s", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    env = {"cpu": "AMD EPYC (AVX2 only), 2 cores, shared", "hf_dtype": "float32",
           "torch_threads": args.threads, "llama_cpp_threads": args.cpp_threads,
           "gguf": path.name, "llama_cpp_python": _version("llama_cpp_python"),
           "torch": torch.__version__, "transformers": _version("transformers")}

    _, test = datasets.builtin("positive-tone")
    items = test[:args.items]
    probe_layers = [int(x) for x in args.probe_layers.split(",") if x]
    if probe_layers:
        t0 = time.perf_counter()
        prompts = [hf.tokenizer.encode(datasets.chat_prompt(hf.tokenizer, it.question),
                                       add_special_tokens=False) for it in items[:4]]
        scales = measure_scales(hf, probe_layers)
        probes = [lc.layer_probe(hf, cpp, prompts, k, args.probe_alpha, scales[k])
                  for k in probe_layers]
        lc.save_json(args.out / "probe.json", {"env": env, "probes": probes,
                                               "seconds": time.perf_counter() - t0})
        for p in probes:
            rows = ", ".join(f"HF layer {r['hf_layer']}: r={r['r']:.4f} (rms diff "
                             f"{r['rms_diff']:.3f})" for r in p["rows"])
            print(f"llama.cpp direction.{p['llamacpp_direction']} -> {rows}; best "
                  f"{p['best_hf_layer']}", flush=True)

    alphas = [float(a) for a in args.alphas.split(",")]
    open_prompts = datasets.builtin_open_prompts("positive-tone")[:args.prompts]
    for spec in args.vector:
        name, vpath = spec.split("=", 1)
        vec = llamacpp.for_model(load_vector(vpath), cpp, alias)
        t0 = time.perf_counter()
        res = lc.compare(hf, cpp, items, vec, alphas, open_prompts, args.gen_alpha,
                         args.max_new_tokens)
        res["env"], res["vector"] = env, {"path": vpath, "lineage": vec.lineage,
                                          "layers": vec.layers}
        res["seconds"]["total"] = time.perf_counter() - t0
        lc.save_json(args.out / f"{name}.json", res)
        print(f"\n== {name}: {vpath}", flush=True)
        print(json.dumps({"parity": res["parity"], "rule_failures": res["rule_failures"],
                          "seconds": res["seconds"]}, indent=1))
        if "generations" in res:
            tp = res["generations"]["tone_parity"]
            print(f"VADER shift at alpha {args.gen_alpha:+}: HF {tp['shift_hf']:+.3f}, "
                  f"llama.cpp {tp['shift_llamacpp']:+.3f}, per prompt same way "
                  f"{tp['moved_same_way']}/{len(tp['per_prompt_hf'])}", flush=True)


def reparity(files: list[Path]) -> None:
    """Recompute `parity` and the rule check of saved comparison files, in place."""
    import numpy as np

    from steerbridge.evaluation import llamacpp_ab
    from steerbridge.evaluation.llamacpp_compare import NAME, save_json

    for f in files:
        res = json.loads(f.read_text())
        arr = {e: {c: {k: np.asarray(v) if k != "nan_alphas" else v for k, v in d.items()}
                   for c, d in res[e].items()} for e in ("hf", "llamacpp")}
        res["parity"] = llamacpp_ab.parity(arr["hf"], arr["llamacpp"], NAME, res["alphas"])
        res["rule_failures"] = llamacpp_ab.passes(res["parity"])
        save_json(f, res)
        print(f"{f}:", json.dumps(res["parity"], indent=1), res["rule_failures"])


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "absent"


if __name__ == "__main__":
    main()
