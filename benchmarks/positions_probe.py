"""Native vs random target directions on the target alone, steering every position or only the
answer's (the answer's tokens and the prompt's last token, which predicts the first).

No transfer: the target's own vector (mean difference on the generate split) and random
directions of its norm, swept on the test split as text answers. Prints, per behaviour,
positions setting, instrument (p, per-token log-odds) and alpha, native's shift and each random
direction's shift as a share of native's: the random-target control's size before any method
runs. RESULTS.md §7h.

    PYTHONPATH=src .venv/bin/python benchmarks/positions_probe.py --layer 12 \
        --behaviours positive-tone formal-register caution \
        --out benchmarks/results/positions/probe-L12.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from steerbridge.evaluation import ab
from steerbridge.evaluation.pair_transfer import Settings, behaviour_items
from steerbridge.models.loading import load
from steerbridge.safeio import write_json
from steerbridge.vectors.extract import extract
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.vector import random_like

SWEEPS = (("all", (-0.4, 0.4)), ("generated", (-0.8, -0.4, 0.4, 0.8)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--layer", type=int, default=12)
    ap.add_argument("--behaviours", nargs="+",
                    default=["positive-tone", "formal-register", "caution"])
    ap.add_argument("--random-seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--test-items", type=int, default=32)
    ap.add_argument("--generate-items", type=int, default=80)
    ap.add_argument("--out", type=Path, default=Path("runs/positions-probe.json"))
    args = ap.parse_args()

    lm = load(args.model, dtype="auto")
    scales = measure_scales(lm, [args.layer])
    record: dict[str, object] = {"settings": {k: str(v) for k, v in vars(args).items()},
                                 "behaviours": {}}
    for name in args.behaviours:
        t0 = time.time()
        s = Settings(behaviours=(name,), answer_format="text", test_items=args.test_items,
                     generate_items=args.generate_items)
        items = behaviour_items(name, s)
        native = extract(lm, items.generate, [args.layer], "mean_diff", dataset_name=name,
                         scales=scales)
        vecs = {"native": native, **{f"random:{k}": random_like(native, k)
                                     for k in args.random_seeds}}
        prompts = ab.prepare(lm, items.test)
        out: dict[str, object] = {}
        for positions, alphas in SWEEPS:
            res = ab.sweep(lm, prompts, vecs, alphas, 8, positions)  # type: ignore[arg-type]
            for inst in ("p", "lo"):
                none = np.nanmean(res["none"][inst])
                shift = {c: [float(np.nanmean(r) - none) for r in res[c][inst]] for c in vecs}
                for ai, a in enumerate(alphas):
                    nat = shift["native"][ai]
                    share = [shift[f"random:{k}"][ai] / nat for k in args.random_seeds]
                    print(f"{name} L{args.layer} {positions:9s} {inst:2s} a={a:+.1f} native "
                          f"{nat:+.3f} random/native "
                          + " ".join(f"{x:+.2f}" for x in share)
                          + f" mean {np.mean(share):+.2f}", flush=True)
                out[f"{positions}:{inst}"] = {"alphas": list(alphas), "shift": shift}
        record["behaviours"][name] = {**out, "seconds": time.time() - t0}  # type: ignore[index]
        print(f"{name}: {time.time() - t0:.0f} s", flush=True)
        write_json(args.out, record, force=True)


if __name__ == "__main__":
    main()
