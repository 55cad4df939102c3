"""Which push to judge each behaviour at, from native-ceiling runs alone (never a transfer result).

The rule of benchmarks/results/alpha/RULE.txt, applied mechanically: for each push a (largest
first), native's best alpha at that push is whichever of ±a moves p more; the behaviour is
within reach at a when |native Δp| ≥ --min-native there and the random directions at native's
norm retain at most --max-random of it in |mean|. The largest such a is selected; none means
the behaviour keeps its verdict at the largest push.

    PYTHONPATH=src .venv/bin/python benchmarks/select_push.py \
        benchmarks/results/alpha/ceiling-*.json benchmarks/results/anchored/ceiling-*.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def rows(record: dict[str, Any]) -> list[dict[str, float]]:
    """One ``{alpha, native_change, random_mean}`` per alpha of a ceiling run's p figures (runs
    from before per-alpha figures give the best alpha's only)."""
    p = record["p"]
    if "by_alpha" in p:
        return [{k: r[k] for k in ("alpha", "native_change", "random_mean")}
                for r in p["by_alpha"]]
    return [{"alpha": p["best_alpha"], "native_change": p["native_change"],
             "random_mean": p["random_mean"]}]


def select(table: list[dict[str, float]], min_native: float, max_random: float
           ) -> tuple[float | None, list[str]]:
    """The selected push (None: none within reach) and a line per push considered."""
    lines, chosen = [], None
    for a in sorted({abs(r["alpha"]) for r in table}, reverse=True):
        best = max((r for r in table if abs(r["alpha"]) == a),
                   key=lambda r: abs(r["native_change"]))
        ok = abs(best["native_change"]) >= min_native and abs(best["random_mean"]) <= max_random
        lines.append(f"  push {a:g}: native {best['native_change']:+.3f} at α "
                     f"{best['alpha']:+g}, random at native's norm {best['random_mean']:+.2f}"
                     f" -> {'within reach' if ok else 'no'}")
        if ok and chosen is None:
            chosen = a
    return chosen, lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--min-native", type=float, default=0.2)
    ap.add_argument("--max-random", type=float, default=0.05)
    args = ap.parse_args()
    table: dict[str, dict[float, dict[str, float]]] = {}
    for f in args.files:
        for name, rec in json.loads(f.read_text())["behaviours"].items():
            for r in rows(rec):  # a later file's figure at the same alpha replaces an earlier
                table.setdefault(name, {})[r["alpha"]] = r
    for name, by_alpha in table.items():
        chosen, lines = select(list(by_alpha.values()), args.min_native, args.max_random)
        print(f"{name}: " + (f"judged at push {chosen:g}" if chosen is not None
                             else "none within reach: keeps its verdict at the largest push"))
        print("\n".join(lines))


if __name__ == "__main__":
    main()
