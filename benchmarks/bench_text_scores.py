"""A/B text sweep on the real target: the answers' log-softmax over the whole logit tensor
(float64 copy of every kept logit) against `models.continuations.token_logp`'s chunks.

Interleaved repeats of the same sweep (the demo's shape: 8 items a batch, text answers, a vector
at ±α, prefix replay), each way; the scores must be equal bit for bit.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_text_scores.py \\
        --out benchmarks/results/text-scores-chunked.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from steerbridge.evaluation import ab
from steerbridge.models import continuations
from steerbridge.models.loading import load
from steerbridge.safeio import write_json
from steerbridge.vectors import datasets
from steerbridge.vectors.extract import extract
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.text_answers import as_text_answers
from steerbridge.vectors.vector import random_like


def whole_tensor(logits: Tensor, rows: Tensor, pos: Tensor, tokens: Tensor) -> Tensor:
    """The earlier way: one float64 log-softmax over every kept logit."""
    return torch.log_softmax(logits.double(), dim=-1)[rows, pos, tokens]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--layer", type=int, default=12)
    ap.add_argument("--behaviour", default="caution")
    ap.add_argument("--items", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("runs/text-scores-chunked.json"))
    args = ap.parse_args()

    lm = load(args.model, dtype="auto")
    gen, test = datasets.builtin(args.behaviour)
    gen, test = as_text_answers(gen[:40]), as_text_answers(test[:args.items])
    vec = extract(lm, gen, [args.layer], "mean_diff", dataset_name=args.behaviour,
                  scales=measure_scales(lm, [args.layer]))
    prompts = ab.prepare(lm, test)
    vectors = {"native": vec, "random": random_like(vec, 0)}
    chunked = continuations.token_logp
    rows, outs = [], {}
    for rep in range(args.repeats):
        for way, fn in (("whole", whole_tensor), ("chunked", chunked)):
            continuations.token_logp = fn  # type: ignore[assignment]
            t0 = time.perf_counter()
            res = ab.sweep(lm, prompts, vectors, [-0.4, 0.4], batch_size=8)
            sec = time.perf_counter() - t0
            outs[way] = np.concatenate([res["none"]["ld"], *(res[k]["ld"].ravel()
                                                             for k in vectors)])
            rows.append({"repeat": rep, "way": way, "seconds": sec})
            print(f"repeat {rep} {way:8s} {sec:6.1f} s", flush=True)
        continuations.token_logp = chunked  # type: ignore[assignment]
    equal = bool(np.array_equal(outs["whole"], outs["chunked"]))
    med = {w: float(np.median([r["seconds"] for r in rows if r["way"] == w]))
           for w in ("whole", "chunked")}
    print(f"median whole {med['whole']:.1f} s, chunked {med['chunked']:.1f} s, ratio "
          f"{med['chunked'] / med['whole']:.2f}; scores equal bit for bit: {equal}")
    write_json(args.out, {"settings": {k: str(v) for k, v in vars(args).items()}, "rows": rows,
                          "median_s": med, "equal": equal}, force=True)


if __name__ == "__main__":
    main()
