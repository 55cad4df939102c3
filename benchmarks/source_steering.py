"""Does the source vector steer its own model's free text? (control for issue 4)

A bridge can only carry what the source vector holds. Before blaming the map for a transfer
that does not steer, steer the small model with its own mean-difference vector on the same
open prompts, beside random directions of the same norm, with the same "moved" rule as
`transfer_generation.py` (`steerbridge.evaluation.freetext`).

    .venv/bin/python benchmarks/source_steering.py --layer 12 --alphas -0.2 -0.4 -0.6 \
        --out runs/source-steering
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
from pathlib import Path
from typing import Any

from steerbridge.evaluation import freetext
from steerbridge.evaluation.freetext import ScoredRun
from steerbridge.models.loading import load
from steerbridge.vectors import datasets, steering
from steerbridge.vectors import vector as vectors
from steerbridge.vectors.extract import extract


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--layer", type=int, default=12)
    freetext.add_arguments(ap)
    ap.add_argument("--out", default="runs/source-steering")
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gen, _ = datasets.builtin(args.behaviour)
    prompts = freetext.open_prompts(args.behaviour, args.prompt_file)[: args.prompts]
    lm = load(args.model, dtype=args.dtype)
    v = extract(lm, gen[: args.items], [args.layer], progress=True,
                dataset_name=args.behaviour, read=args.read)
    conds = {"own": v, **{f"random:{s}": vectors.random_like(v, seed=s) for s in args.seeds}}
    base = steering.generate(lm, prompts, max_new_tokens=args.tokens)
    base_v = freetext.vader_scores(base)
    record: dict[str, Any] = {"model": args.model, "layer": args.layer, "prompts": prompts,
                              "unsteered": base, "unsteered_vader": base_v, "runs": []}
    print(f"{args.model} layer {args.layer}; unsteered mean VADER {statistics.mean(base_v):+.2f}",
          flush=True)
    runs: list[ScoredRun] = []
    for run in freetext.scored_runs(lm, prompts, conds, args.alphas, base_v, args.threshold,
                                    args.tokens):
        print(f"  alpha {run.alpha:+.2f} {run.vector:12s} moved {run.moved}/{len(prompts)}  "
              f"mean VADER {statistics.mean(run.vader):+.2f}", flush=True)
        # "transferred" is the slot the rule judges; here it holds the model's own vector
        slot = "transferred" if run.vector == "own" else run.vector
        runs.append(dataclasses.replace(run, vector=slot))
        record["runs"] = [r.to_dict() for r in runs]
        (out / "results.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    found = freetext.verdicts(runs, args.need, base_v)
    record["verdicts"] = [vd.to_dict() for vd in found]
    for vd in found:
        shift = vd.shift or {}
        rnd = max(x for k, x in shift.items() if k.startswith("random"))
        print(f"  alpha {vd.alpha:+.2f}: own {vd.transferred}, random max "
              f"{vd.random_max} -> {'PASS' if vd.passed else 'no'}; mean shift own "
              f"{shift['transferred']:+.2f}, best random {rnd:+.2f}", flush=True)
    (out / "results.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
