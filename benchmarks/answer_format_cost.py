"""What scoring answers as text costs against letters: steered A/B sweep time per format.

The demo's target A/B sweep is three quarters of its run (BENCHMARKS.md "Evaluation"). A text
answer (`steerbridge.vectors.text_answers`) runs the question's stem once per answer; a letter
answer runs the question with its choice list once. This times `evaluation.ab.sweep` on the
same items, vectors and alphas in each format, in one process, and prints the ratio, so the
demo's time in text format can be projected from its measured letter time.

    PYTHONPATH=src .venv/bin/python benchmarks/answer_format_cost.py --model qwen2.5-coder-1.5b \
        --items 16 --out benchmarks/results/dose/format-cost.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from steerbridge.evaluation.ab import prepare, sweep
from steerbridge.evaluation.dose import FORMATS
from steerbridge.models.dtypes import cpu_name
from steerbridge.models.loading import load
from steerbridge.safeio import write_json
from steerbridge.vectors import datasets
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.vector import SteeringVector


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--layer", type=int, default=14)
    ap.add_argument("--behaviours", nargs="+",
                    default=["positive-tone", "formal-register", "factual-correction"])
    ap.add_argument("--formats", nargs="+", default=["plain", "text"])
    ap.add_argument("--items", type=int, default=16)
    ap.add_argument("--vectors", type=int, default=2)
    ap.add_argument("--alphas", nargs="+", type=float, default=[-0.2, 0.2])
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--out", type=Path, default=Path("runs/format-cost.json"))
    args = ap.parse_args()
    lm = load(args.model, dtype="auto")
    scale = measure_scales(lm, [args.layer])[args.layer]
    vecs = {f"v{k}": SteeringVector(
        {args.layer: torch.randn(lm.hidden_size, generator=torch.Generator().manual_seed(k))},
        {args.layer: scale}, lm.name, lm.fingerprint, lm.hidden_size, "random", "none")
        for k in range(args.vectors)}
    record: dict[str, object] = {"machine": cpu_name(), "settings": vars(args) | {
        "out": str(args.out)}, "seconds": {}, "tokens_per_item": {}}
    for fmt in args.formats:
        f, total, tokens, n = FORMATS[fmt], 0.0, 0, 0
        for beh in args.behaviours:
            _, test = datasets.builtin(beh)
            prompts = prepare(lm, f.apply(test[: args.items]), f.system)
            tokens += sum(len(p.prompt_ids) * (2 if len(p.matching_ids) > 1 else 1)
                          + len(p.matching_ids) + len(p.non_matching_ids)
                          for p in prompts)
            n += len(prompts)
            t0 = time.perf_counter()
            sweep(lm, prompts, vecs, args.alphas, args.batch_size)
            total += time.perf_counter() - t0
        record["seconds"][fmt] = total  # type: ignore[index]
        record["tokens_per_item"][fmt] = tokens / n  # type: ignore[index]
        print(f"{fmt}: {total:.1f} s for {n} items x {len(vecs)} vectors x {len(args.alphas)} "
              f"alphas (+ unsteered); {tokens / n:.0f} tokens per item", flush=True)
        write_json(args.out, record, force=True)
    secs = record["seconds"]
    if "plain" in secs and "text" in secs:  # type: ignore[operator]
        ratio = secs["text"] / secs["plain"]  # type: ignore[index]
        record["text_over_plain"] = ratio
        print(f"text / plain: {ratio:.2f}x", flush=True)
        write_json(args.out, record, force=True)


if __name__ == "__main__":
    main()
