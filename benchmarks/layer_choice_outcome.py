"""Score benchmarks/results/layerchoice/RULE.txt: fixed 10 -> 12, fixed 12 -> 15, and the rule.

Reads the rule's choices (source_layer_choice.py's JSON) and the p verdicts of pipeline runs
(results.json) and of `steerbridge pairs --by transfer` (pairs_transfer.json) at both pairs (a
pipeline run's judgement wins where both have the behaviour), and prints per behaviour and per
arm the verdict, retention and margin (retention − random target mean), then each arm's
"transfers" count and mean margin.

    python benchmarks/layer_choice_outcome.py \
        --choice benchmarks/results/layerchoice/source-choice.json \
        --run 10:12=benchmarks/results/joy/feelings-pipeline/results.json \
        --run 12:15=benchmarks/results/layerchoice/feelings-12-15/results.json \
        --pairs benchmarks/results/nonfeeling/pairs-greeting/pairs_transfer.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

Pair = tuple[int, int]


def _pair(text: str) -> Pair:
    src, _, tgt = text.partition(":")
    return int(src), int(tgt)


def from_run(path: Path) -> dict[str, dict[str, Any]]:
    """{behaviour: judgement} of a pipeline run."""
    res = json.loads(path.read_text())
    return {n: b["judgement"] for n, b in res["behaviours"].items() if "judgement" in b}


def from_pairs(path: Path) -> dict[Pair, dict[str, dict[str, Any]]]:
    """{pair: {behaviour: judgement}} of a pairs --by transfer run (single-source pairs)."""
    res = json.loads(path.read_text())
    return {(int(p["row"]["source_layers"]), int(p["row"]["target_layer"])):
            {n: b["judgement"] for n, b in p["behaviours"].items()} for p in res["pairs"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--choice", type=Path, required=True)
    ap.add_argument("--run", action="append", default=[], help="SRC:TGT=results.json")
    ap.add_argument("--pairs", type=Path, action="append", default=[])
    args = ap.parse_args()
    table: dict[Pair, dict[str, dict[str, Any]]] = {}
    for path in args.pairs:
        for pair, judged in from_pairs(path).items():
            table.setdefault(pair, {}).update(judged)
    for spec in args.run:  # a pipeline run's judgement wins over the sweep's for a behaviour
        pair, _, path = spec.partition("=")
        table.setdefault(_pair(pair), {}).update(from_run(Path(path)))
    choice = json.loads(args.choice.read_text())["behaviours"]
    fixed = sorted(table)
    arms: dict[str, list[tuple[str, float]]] = {f"{s}->{t}": [] for s, t in fixed}
    arms["rule"] = []
    for name, c in choice.items():
        chosen = tuple(c["chosen_pair"])
        cells = []
        for pair in fixed:
            j = table[pair].get(name)
            if j is None:
                raise SystemExit(f"{name}: no result at {pair[0]} -> {pair[1]}")
            margin = j["retention"] - j["random_target_mean"]
            arms[f"{pair[0]}->{pair[1]}"].append((j["verdict"], margin))
            if pair == chosen:
                arms["rule"].append((j["verdict"], margin))
            cells.append(f"{pair[0]}->{pair[1]}: {j['verdict']} {j['retention']:+.2f} "
                         f"(random {j['random_target_mean']:+.2f}, corr {j['corr_change']:.2f})")
        print(f"{name}: rule picks {chosen[0]}->{chosen[1]}; " + "; ".join(cells))
    for arm, rows in arms.items():
        n = sum(v == "transfers" for v, _ in rows)
        mean = sum(m for _, m in rows) / len(rows)
        print(f"arm {arm}: transfers {n}/{len(rows)}, mean margin {mean:+.3f}")


if __name__ == "__main__":
    main()
