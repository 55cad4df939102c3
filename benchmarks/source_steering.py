"""Does the source vector steer its own model's free text? (control for issue 4)

A bridge can only carry what the source vector holds. Before blaming the map for a transfer
that does not steer, steer the small model with its own mean-difference vector on the same
open prompts, beside random directions of the same norm, with the same "moved" rule as
`transfer_generation.py`.

    .venv/bin/python benchmarks/source_steering.py --layer 12 --alphas -0.2 -0.4 -0.6 \
        --out runs/source-steering
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from transfer_generation import add_common_args, load_prompts, sweep, vader_scores, verdicts

from steerbridge.models.loading import load
from steerbridge.vectors import datasets, steering
from steerbridge.vectors import vector as vectors
from steerbridge.vectors.extract import extract


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--layer", type=int, default=12)
    add_common_args(ap)
    ap.add_argument("--out", default="runs/source-steering")
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gen, _ = datasets.builtin(args.behaviour)
    prompts = load_prompts(args.prompt_file, args.behaviour)[: args.prompts]
    lm = load(args.model, dtype=args.dtype)
    v = extract(lm, gen[: args.items], [args.layer], progress=True,
                dataset_name=args.behaviour, read=args.read)
    conds = {"own": v, **{f"random:{s}": vectors.random_like(v, seed=s) for s in args.seeds}}
    base = steering.generate(lm, prompts, max_new_tokens=args.tokens)
    base_v = vader_scores(base)
    record: dict[str, Any] = {"model": args.model, "layer": args.layer, "prompts": prompts,
                              "unsteered": base, "unsteered_vader": base_v, "runs": []}
    print(f"{args.model} layer {args.layer}; unsteered mean VADER {statistics.mean(base_v):+.2f}",
          flush=True)
    # "transferred" is the slot `verdicts` judges; here it holds the model's own vector
    sweep(lm, prompts, conds, args, record, out, rename={"own": "transferred"})
    record["verdicts"] = verdicts(record["runs"], args.need, base_v)
    for vd in record["verdicts"]:
        rnd = max(x for k, x in vd["shift"].items() if k.startswith("random"))
        print(f"  alpha {vd['alpha']:+.2f}: own {vd['transferred']}, random max "
              f"{vd['random_max']} -> {'PASS' if vd['pass'] else 'no'}; mean shift own "
              f"{vd['shift']['transferred']:+.2f}, best random {rnd:+.2f}", flush=True)
    (out / "results.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
