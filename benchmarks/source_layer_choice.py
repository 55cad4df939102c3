"""Which source layer does a behaviour live at? A choice made from the source model alone.

RESULTS 7r: one layer pair for every behaviour trades one against another, and the 0.5B's own
vector moves the 0.5B more at one layer than another, by behaviour. This measures, per
behaviour and candidate source layer, the source's own effect on the generate split only: the
mean-difference vector built from its first half, scored on its second half (odd Δp at ±alpha
beside a random direction of equal norm). The rule (benchmarks/results/layerchoice/RULE.txt)
picks, per behaviour, the candidate pair whose source layer shows the larger odd Δp. No test
item and nothing of the target is read: the choice is label-free on the target.

    PYTHONPATH=src .venv/bin/python -u benchmarks/source_layer_choice.py \
        --pairs 10:12 12:15 --caa runs/feelings-data --behaviours joy fear ... \
        --builtin formal-greeting caution --out runs/layerchoice.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from steerbridge.evaluation.dose import answer_format, dose_response
from steerbridge.models.dtypes import cpu_name
from steerbridge.models.loading import load
from steerbridge.run.behaviour_data import behaviour_data
from steerbridge.run.config import BehaviourConfig
from steerbridge.safeio import write_json


def generate_items(name: str, caa: Path | None) -> list[Any]:
    """A behaviour's generate split as A/B items (the text format converts them): built-in, or
    the CAA folder's generate file."""
    if caa is None:
        cfg = BehaviourConfig(name=name, builtin=name, scoring="letter")
    else:
        cfg = BehaviourConfig(name=name, scoring="letter",
                              generate=caa / "generate" / name / "generate_dataset.json",
                              test=caa / "test" / name / "test_dataset_ab.json")
    return list(behaviour_data(cfg).generate)


def parse_pair(text: str) -> tuple[int, int]:
    src, _, tgt = text.partition(":")
    return int(src), int(tgt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", nargs="+", type=parse_pair, default=[(10, 12), (12, 15)],
                    help="candidate layer pairs SRC:TGT (the first wins ties)")
    ap.add_argument("--caa", type=Path, help="a CAA data folder for --behaviours")
    ap.add_argument("--behaviours", nargs="*", default=[])
    ap.add_argument("--builtin", nargs="*", default=[], help="built-in behaviours")
    ap.add_argument("--half", type=int, default=40,
                    help="generate items building the vector; the next as many score it")
    ap.add_argument("--alpha", type=float, default=0.4)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--out", type=Path, default=Path("runs/layerchoice.json"))
    args = ap.parse_args()
    lm = load(args.model, dtype="auto")
    layers = sorted({s for s, _ in args.pairs})
    fmt = answer_format("text")
    names = [(n, args.caa) for n in args.behaviours] + [(n, None) for n in args.builtin]
    out: dict[str, Any] = {"settings": {**{k: str(v) for k, v in vars(args).items()},
                                        "cpu": cpu_name(), "dtype": str(lm.dtype)},
                           "behaviours": {}}
    for name, caa in names:
        t0 = time.time()
        gen = generate_items(name, caa)
        if len(gen) < 2 * args.half:
            raise SystemExit(f"{name}: {len(gen)} generate items, the rule needs {2 * args.half}")
        res = dose_response(lm, gen[:args.half], gen[args.half:2 * args.half], layers,
                            [-args.alpha, args.alpha], fmt, behaviour=name)
        odd = {d.layer: d.odd_dp[0] for d in res.layers}
        rnd = {d.layer: d.random_odd_dp[0] for d in res.layers}
        best = max(args.pairs, key=lambda p: (odd[p[0]], -args.pairs.index(p)))
        out["behaviours"][name] = {"odd_dp": odd, "random_odd_dp": rnd, "none_p": res.none_p,
                                   "chosen_pair": list(best), "seconds": time.time() - t0}
        shown = ", ".join(f"L{la} {odd[la]:+.3f} (random {rnd[la]:+.3f})" for la in layers)
        print(f"{name}: source odd Δp ±{args.alpha:g} on generate items "
              f"{args.half + 1}-{2 * args.half}: {shown}; unsteered p {res.none_p:.2f} → pair "
              f"{best[0]} → {best[1]} [{time.time() - t0:.0f} s]", flush=True)
        write_json(args.out, out)


if __name__ == "__main__":
    main()
