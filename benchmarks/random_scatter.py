"""Why random directions "retain" in p: a results.json's per-item scores, read two ways.

For each behaviour and condition at native's best alpha, prints the mean change in p (what the
verdict rule's retention uses) beside the mean change in the answers' log-odds (``ld``, and
``lo`` per token where the run recorded it), the per-item spread of the log-odds change, and
the change in p split by how the unsteered item leaned. A zero-mean scatter of log-odds moves
items that lean toward the matching answer down and the others up, so when most items lean
one way the mean p moves although the mean log-odds does not (RESULTS.md §7g). Then, per
instrument (p, and the per-token log-odds where recorded), each random target direction's
retention at that instrument's best alpha, with their mean and its standard error: how precisely
the verdict's control bar is measured.

    PYTHONPATH=src .venv/bin/python benchmarks/random_scatter.py runs/demo/results.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from steerbridge.evaluation import logodds
from steerbridge.evaluation.summary import summarize_behaviour


def rows(beh: dict[str, Any]) -> list[str]:
    c, alphas = beh["conditions"], beh["alphas"]
    best = beh["summary"]["best_alpha"]
    if best not in alphas:  # every alpha collapsed or non-finite: nothing to read
        return [f"  no best alpha (collapsed: {beh.get('collapsed')})"]
    i = alphas.index(best)
    p0, ld0 = np.asarray(c["none"]["p"], float), np.asarray(c["none"]["ld"], float)
    lean = p0 > 0.5
    native_dp = float(np.nanmean(np.asarray(c["native"]["p"], float)[i] - p0))
    native_dld = float(np.nanmean(np.asarray(c["native"]["ld"], float)[i] - ld0))
    out = [f"  unsteered: mean p {np.nanmean(p0):.2f}, {lean.mean():.0%} of items lean to the "
           f"matching answer; best alpha {best:+g}"]
    for name in c:
        if name in ("none", "source", "source_none"):
            continue
        p, ld = np.asarray(c[name]["p"], float)[i], np.asarray(c[name]["ld"], float)[i]
        dp, dld = p - p0, ld - ld0
        line = (f"  {name:12s} Δp {np.nanmean(dp):+.3f} (÷native {np.nanmean(dp) / native_dp:+.2f})"
                f"  Δlog-odds {np.nanmean(dld):+6.2f} (÷native {np.nanmean(dld) / native_dld:+.2f},"
                f" sd {np.nanstd(dld):.2f})  Δp leaning {np.nanmean(dp[lean]):+.3f} / other "
                f"{np.nanmean(dp[~lean]) if (~lean).any() else float('nan'):+.3f}")
        if "lo" in c[name] and "lo" in c["none"]:
            lo0, lo = np.asarray(c["none"]["lo"], float), np.asarray(c[name]["lo"], float)[i]
            nat = float(np.nanmean(np.asarray(c["native"]["lo"], float)[i] - lo0))
            line += f"  per-token log-odds ÷native {np.nanmean(lo - lo0) / nat:+.2f}"
        out.append(line)
    return out


def per_direction(beh: dict[str, Any]) -> list[str]:
    """Each random target direction's retention, per instrument, and the mean's standard error."""
    c, out = beh["conditions"], []
    views = [("p", c)] + ([("log-odds", logodds.as_primary(c))] if logodds.available(c) else [])
    for label, conds in views:
        s = summarize_behaviour(beh["alphas"], conds, n_boot=0)
        i = s.best_alpha_index
        if i is None:
            continue
        r = np.array([s.rows[i].retention[k] for k in s.rows[i].retention
                      if k.startswith("random:")], float)
        r = r[np.isfinite(r)]
        se = float(np.std(r, ddof=1) / np.sqrt(len(r))) if len(r) > 1 else float("nan")
        out.append(f"  {label:8s} best alpha {s.best_alpha:+g}: transferred "
                   f"{s.rows[i].retention.get('transferred', float('nan')):+.2f}; random "
                   f"{' '.join(f'{x:+.2f}' for x in r)} -> mean {np.mean(r):+.3f} ± {se:.3f} (se)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", type=Path, help="a results.json of `steerbridge run` / demo")
    args = ap.parse_args()
    res = json.loads(args.results.read_text())
    for name, beh in res.get("behaviours", {}).items():
        if "conditions" not in beh:
            print(f"{name}: no per-item scores ({'; '.join(beh.get('errors', [])) or 'skipped'})")
            continue
        print(name)
        print("\n".join(rows(beh) + per_direction(beh)))


if __name__ == "__main__":
    main()
