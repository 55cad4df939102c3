"""Where do random pushes move the answer? Per item, against the unsteered answer.

RESULTS 7m-7q: on some behaviours random target directions at native's norm move p(matching)
the same way whatever their direction, which caps any transfer's verdict; on others (one-word
feelings) they do not. A guess to test: a random push of this size blurs what the context says,
so each item's p moves toward one context-free value q, by an amount that grows with the
distance, Δ_i ≈ c (q − p_i). Then the mean random change is c (q − mean p): it cancels only
where the items' unsteered answers sit around q. This steers the target's test items with
random directions of native's norm (the screen's seeds, so the screen's directions), and fits,
per alpha, Δ_i (mean over directions) = a + b p_i by least squares: slope b (−c), the pull's
fixed point q = −a / b, the fit's R², mean p, mean Δ, and the even part (mean of the ±a
changes, which a first-order push cancels). Evaluation only; no transfer method reads it.

    PYTHONPATH=src .venv/bin/python -u benchmarks/random_pull.py --target-layer 12 \
        --caa /work/cand --behaviours formal-opening disputes-claim joy-own \
        --out runs/random-pull.json
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
from native_ceiling import Sweep, add_arguments  # sibling script (benchmarks/ on sys.path)

from steerbridge.safeio import write_json


def fit_pull(p: np.ndarray, change: np.ndarray) -> dict[str, float]:
    """Least squares change = a + b p over the items where both are finite: the slope, the fixed
    point −a/b (nan when b is 0), R², and the means."""
    ok = np.isfinite(p) & np.isfinite(change)
    p, change = p[ok], change[ok]
    b, a = np.polyfit(p, change, 1)
    resid = change - (a + b * p)
    total = float(np.sum((change - change.mean()) ** 2))
    return {"slope": float(b), "fixed_point": float(-a / b) if b else math.nan,
            "r2": 1 - float(np.sum(resid ** 2)) / total if total else math.nan,
            "mean_p": float(p.mean()), "mean_change": float(change.mean()), "n": int(ok.sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(ap, generate_items=80, random_seeds=(0, 1, 2, 3))
    ap.add_argument("--out", type=Path, default=Path("runs/random-pull.json"))
    args = ap.parse_args()
    sweep = Sweep(args)
    alphas = list(args.alphas)
    for name in args.behaviours:
        t0 = time.time()
        conds = sweep.conditions(name, with_native=False)
        base = np.asarray(conds["none"]["p"], float)
        per_alpha = np.mean([np.asarray(v["p"], float) - base
                             for k, v in conds.items() if k != "none"], axis=0)
        fits = {f"{a:+g}": fit_pull(base, per_alpha[i]) for i, a in enumerate(alphas)}
        even = {f"±{a:g}": fit_pull(base, (per_alpha[alphas.index(a)]
                                           + per_alpha[alphas.index(-a)]) / 2)
                for a in alphas if a > 0 and -a in alphas}
        sweep.record["behaviours"][name] = {"by_alpha": fits, "even": even,
                                            "unsteered_p": base.tolist(),
                                            "seconds": time.time() - t0}
        for label, f in {**fits, **{f"even {k}": v for k, v in even.items()}}.items():
            print(f"{name} α {label}: mean p {f['mean_p']:.2f}, mean random Δp "
                  f"{f['mean_change']:+.3f}; fit Δp = b (p − q): b {f['slope']:+.2f}, "
                  f"q {f['fixed_point']:.2f}, R² {f['r2']:.2f} (n {f['n']})", flush=True)
        write_json(args.out, sweep.record, force=True)


if __name__ == "__main__":
    main()
