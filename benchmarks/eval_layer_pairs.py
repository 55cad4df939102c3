"""Which layer pair transfers steering best? Measures the demo's defaults.

For several (source layer, target layer) pairs: fit a ridge bridge (one collection pass for all
pairs), extract mean-difference vectors on both models at every layer involved (one pass per
model and behaviour), transfer, and run the A/B sweep with native, transferred and random
conditions. Prints one JSON line per (pair, behaviour) and writes them to --out.

    .venv/bin/python benchmarks/eval_layer_pairs.py --out /tmp/pairs-eval.jsonl
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.collection import collect_pair_moments
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.fitting import describe
from steerbridge.bridge.transfer import transfer
from steerbridge.evaluation import ab as evaluate
from steerbridge.evaluation.results import BehaviourSummary, nan_to_none
from steerbridge.models.loading import load
from steerbridge.vectors import datasets
from steerbridge.vectors.extract import extract


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", default="6:7,9:10,12:14,15:17,18:21")
    ap.add_argument("--behaviours", default="positive-tone,formal-register,caution")
    ap.add_argument("--alphas", default="-0.2,-0.1,0.1,0.2")
    ap.add_argument("--tokens", type=int, default=30_000)
    ap.add_argument("--max-test", type=int, default=24)
    ap.add_argument("--max-generate", type=int, default=96)
    ap.add_argument("--cache", default="/tmp/sb5/pair-moments")
    ap.add_argument("--out", default="/tmp/sb5/pairs-eval.jsonl")
    args = ap.parse_args()
    torch.set_num_threads(2)
    pairs = [tuple(int(x) for x in p.split(":")) for p in args.pairs.split(",")]
    alphas = [float(a) for a in args.alphas.split(",")]
    t0 = time.perf_counter()
    src, tgt = load("qwen2.5-coder-0.5b"), load("qwen2.5-coder-1.5b")
    windows = tokenize(load_corpus("builtin"), src.tokenizer, window=128,
                       max_tokens=args.tokens)
    stats = collect_pair_moments(src, tgt, windows, [((s,), t) for s, t in pairs],
                                 cache_dir=args.cache, progress=False)
    bridges = {}
    for s, t in pairs:
        br = Bridge.fit_stats(stats[((s,), t)], "ridge")
        describe(br, src, tgt, windows)
        bridges[(s, t)] = br
    print(f"bridges fitted in {time.perf_counter() - t0:.0f} s", flush=True)
    s_layers = sorted({s for s, _ in pairs})
    t_layers = sorted({t for _, t in pairs})
    with open(args.out, "w") as out:
        for name in args.behaviours.split(","):
            gen, test = datasets.builtin(name)
            gen, test = gen[: args.max_generate], test[: args.max_test]
            vs = extract(src, gen, s_layers)
            vt = extract(tgt, gen, t_layers)
            for s, t in pairs:
                t1 = time.perf_counter()
                native = vt.select([t])
                moved = transfer(bridges[(s, t)], vs.select([s]), target_scale=native.scales[t])
                res = evaluate.evaluate_behaviour(tgt, test, native, moved, alphas,
                                                  random_seeds=[0], n_boot=300)
                summ = BehaviourSummary.from_dict(res["summary"])
                h, tr, rnd = summ.headline, summ.headline.transferred, summ.headline.random
                assert tr is not None and rnd is not None  # always evaluated here
                row = {
                    "behaviour": name, "pair": [s, t],
                    "bridge_r2": bridges[(s, t)].metrics.get("test", {}).get("r2"),
                    "cos": res["cosine"]["transferred"],
                    "native_rel_norm": native.relative_norm(t),
                    "best_alpha": h.best_alpha, "native_dp": h.native_dp, "transferred_dp": tr.dp,
                    "transferred_retention": tr.retention,
                    "random_retention_mean": rnd.retention_mean,
                    "transferred_corr_change": tr.corr_change.value,
                    "random_corr_change": rnd.corr_change,
                    "none_answer_mass": h.none_answer_mass,
                    "native_answer_mass": h.native_answer_mass,
                    "transferred_answer_mass": tr.answer_mass,
                    "retention_per_alpha": summ.column("retention", "transferred"),
                    "native_dp_per_alpha": summ.column("delta_p", "native"),
                    "seconds": time.perf_counter() - t1,
                }
                line = json.dumps(nan_to_none(row))
                print(line, flush=True)
                out.write(line + "\n")
                out.flush()
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
