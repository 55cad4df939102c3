"""Could any transfer pass the verdict rule's control bar? The target's own vector, judged.

The rule's "transfers" needs random target directions *of the carried vector's norm* to retain
at most 0.1 of native's effect on average. That bar is a property of the behaviour, the target
layer and the push, not of the transfer method: a method that returned the target's own
(native) vector exactly would face random directions at native's norm. This steers the target
with its native vector and with random directions of the same norm (the same seeds as the
transfer runs, so the same directions), at every alpha, and reports at native's best alpha (and
at every alpha, and for the odd part of every ±a pair) the random directions' mean retention ±
its standard error, per instrument (p and per-token log-odds). Where |mean| > 0.1, no method
carrying the behaviour at native's push can reach "transfers" under the rule; only a method
whose vector needs less push could, or a smaller push. Evaluation only:
the native vector is what transfer is judged against, never a transfer method's input.

    PYTHONPATH=src .venv/bin/python benchmarks/native_ceiling.py --target-layer 14 \
        --caa ../shared/data/caa --behaviours coordinate-other-ais myopic-reward \
        --alphas -0.4 0.4 --test-items 50 --random-seeds 0 1 2 3 4 5 --out runs/ceiling.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from steerbridge.evaluation import ab
from steerbridge.evaluation.ceiling import shares
from steerbridge.evaluation.pair_transfer import Settings, behaviour_items
from steerbridge.models.loading import load
from steerbridge.safeio import write_json
from steerbridge.vectors.extract import extract
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.vector import random_like


def add_arguments(ap: argparse.ArgumentParser, generate_items: int = 40,
                  random_seeds: tuple[int, ...] = (0, 1, 2, 3, 4, 5)) -> None:
    """The options a native-against-random sweep takes (this script's, random_pull.py's)."""
    ap.add_argument("--target", default="qwen2.5-coder-1.5b")
    ap.add_argument("--target-layer", type=int, required=True)
    ap.add_argument("--behaviours", nargs="+", required=True)
    ap.add_argument("--caa", type=Path, default=None, help="a CAA data folder")
    ap.add_argument("--format", default="text")
    ap.add_argument("--alphas", nargs="+", type=float, default=[-0.4, 0.4])
    ap.add_argument("--test-items", type=int, default=32)
    ap.add_argument("--generate-items", type=int, default=generate_items)
    ap.add_argument("--random-seeds", nargs="+", type=int, default=list(random_seeds))


class Sweep:
    """The target, its layer's scale and the settings: each behaviour's native vector and
    test prompts, steered by random directions of native's norm (the transfer runs' seeds)."""

    def __init__(self, args: argparse.Namespace) -> None:
        files = tuple((n, str(args.caa / "generate" / n / "generate_dataset.json"),
                       str(args.caa / "test" / n / "test_dataset_ab.json"))
                      for n in args.behaviours
                      if args.caa and (args.caa / "generate" / n).is_dir())
        self.settings = Settings(behaviours=tuple(args.behaviours), alphas=tuple(args.alphas),
                                 test_items=args.test_items,
                                 generate_items=args.generate_items,
                                 answer_format=args.format,
                                 random_seeds=tuple(args.random_seeds), files=files)
        self.target = load(args.target, dtype="auto")
        self.layer = args.target_layer
        self.scales = measure_scales(self.target, [self.layer])
        self.record: dict[str, Any] = {
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "behaviours": {}}

    def conditions(self, name: str, with_native: bool = True) -> dict[str, Any]:
        """`ab.sweep`'s per-item scores on the behaviour's test items: unsteered, native (unless
        not `with_native`) and ``random:<seed>`` at native's norm, at every alpha."""
        s = self.settings
        items = behaviour_items(name, s)
        native = extract(self.target, items.generate, [self.layer], s.method,
                         batch_size=s.batch_size, dataset_name=name, scales=self.scales)
        vecs = {**({"native": native} if with_native else {}),
                **{f"random:{k}": random_like(native, seed=k) for k in s.random_seeds}}
        return ab.sweep(self.target, ab.prepare(self.target, items.test), vecs,
                        list(s.alphas), s.batch_size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    ap.add_argument("--out", type=Path, default=Path("runs/native-ceiling.json"))
    args = ap.parse_args()
    sweep = Sweep(args)
    record = sweep.record
    for name in args.behaviours:
        t0 = time.time()
        conds = sweep.conditions(name)
        out = {score: shares(conds, list(args.alphas), score) for score in ("p", "lo")}
        record["behaviours"][name] = {**out, "n_items": len(conds["none"]["p"]),
                                      "seconds": time.time() - t0}
        for score, r in out.items():
            print(f"{name} [{score}]: native {r['native_change']:+.3f} at α {r['best_alpha']:+g};"
                  f" random directions at native's norm retain {r['random_mean']:+.2f} ± "
                  f"{r['random_se']:.2f} (max |{r['random_max_abs']:.2f}|, "
                  f"{len(r['random'])} dirs): 'transfers' "
                  f"{'reachable' if r['reachable'] else 'out of reach for any method'}"
                  f" [{time.time() - t0:.0f} s]", flush=True)
            for row in r["by_alpha"]:
                print(f"    α {row['alpha']:+g}: native {row['native_change']:+.3f}, random "
                      f"{row['random_mean']:+.2f} ± {row['random_se']:.2f}", flush=True)
            for row in r["odd"]:
                print(f"    odd ±{row['alpha']:g}: native {row['native_odd_change']:+.3f}, "
                      f"random {row['random_mean']:+.2f} ± {row['random_se']:.2f}", flush=True)
        write_json(args.out, record, force=True)


if __name__ == "__main__":
    main()
