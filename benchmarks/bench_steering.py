"""Steering speed on the real Qwen pair (0.5B -> 1.5B).

    .venv/bin/python benchmarks/bench_steering.py speed   # overhead + extraction items/s

Greedy generation on the 1.5B, unsteered vs steered (one layer, positions "all"), same prompts
and lengths, interleaved repeats in one process; and extraction throughput (A/B items per
second) on both models. Prints ratios. Whether a transferred vector steers free text is
`transfer_generation.py`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from steerbridge.models.loading import load
from steerbridge.vectors import datasets, steering
from steerbridge.vectors.extract import extract

SOURCE, TARGET = "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "jane_austen.txt"


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------ speed


def speed(args: argparse.Namespace) -> None:
    gen, _ = datasets.builtin("positive-tone")
    items = gen[: args.items]
    results: dict[str, Any] = {}
    for name, layer in ((SOURCE, 12), (TARGET, 14)):
        lm = load(name, dtype=args.dtype)
        extract(lm, items[:4], [layer], scales={layer: 1.0})  # warm-up
        t = timed(lambda lm=lm, layer=layer: extract(lm, items, [layer],
                                                       scales={layer: 1.0}))
        results[f"extract_items_per_s[{name}]"] = len(items) / t
        print(f"extract {name} layer {layer}: {len(items)} items in {t:.1f} s = "
              f"{len(items) / t:.2f} items/s", flush=True)
    # lm is now the target: steered vs unsteered generation
    vec = extract(lm, items[:8], [14], scales={14: 40.0})
    prompts = datasets.builtin_open_prompts("positive-tone")[: args.batch]
    steering.generate(lm, prompts[:2], max_new_tokens=4)  # warm-up
    plain, steered = [], []
    for _ in range(args.repeats):  # interleaved so drift hits both equally
        plain.append(timed(lambda: steering.generate(lm, prompts, max_new_tokens=args.tokens)))
        steered.append(timed(lambda: steering.generate(lm, prompts, vec, 0.2,
                                                       max_new_tokens=args.tokens)))
        print(f"  unsteered {plain[-1]:.2f} s  steered {steered[-1]:.2f} s", flush=True)
    p, s = statistics.median(plain), statistics.median(steered)
    pair_ratios = sorted(b / a for a, b in zip(plain, steered, strict=True))
    results.update(unsteered_s=p, steered_s=s, overhead=s / p - 1, unsteered_all=plain,
                   steered_all=steered, paired_overhead_median=statistics.median(pair_ratios) - 1,
                   paired_overhead_range=[pair_ratios[0] - 1, pair_ratios[-1] - 1])
    print(f"paired overhead: median {100 * (statistics.median(pair_ratios) - 1):+.1f} %, range "
          f"{100 * (pair_ratios[0] - 1):+.1f} .. {100 * (pair_ratios[-1] - 1):+.1f} %")
    ratio = results[f"extract_items_per_s[{SOURCE}]"] / results[f"extract_items_per_s[{TARGET}]"]
    print(f"generation {args.batch} prompts x {args.tokens} tokens on {TARGET}: unsteered "
          f"{p:.2f} s, steered {s:.2f} s (median of {args.repeats}): overhead "
          f"{100 * (s / p - 1):+.1f} %")
    print(f"extraction: {SOURCE} is {ratio:.2f}x the items/s of {TARGET}")
    print(json.dumps(results, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--items", type=int, default=24)
    s.add_argument("--batch", type=int, default=4)
    s.add_argument("--tokens", type=int, default=24)
    s.add_argument("--repeats", type=int, default=4)
    s.add_argument("--dtype", default="float32")
    s.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(getattr(args, "threads", 2))
    speed(args)


if __name__ == "__main__":
    main()
