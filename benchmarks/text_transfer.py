"""Transfer through one fitted bridge, built-in behaviours scored as text answers (or letters).

The A/B letter score asks a model to pick a letter; the 0.5B picks at chance and its own vector
barely moves the letter (RESULTS.md §7c). Scored as text (`steerbridge.vectors.text_answers`),
the same vector moves the 0.5B strongly. This runs `evaluation.pair_transfer` (native vector for
evaluation only; W·v; random target directions; random source vectors through the same bridge;
the source's own effect) on a bridge file already fitted, so no collection is repeated.

    PYTHONPATH=src .venv/bin/python benchmarks/text_transfer.py \
        --bridge runs/l11-cache/bridge-12-14-30000.safetensors --format text \
        --out benchmarks/results/dose/text-transfer-12-14.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.distill import DistillSettings
from steerbridge.evaluation.formatting import fmt_resamples
from steerbridge.evaluation.pair_transfer import Settings, method_carry, pair_transfer
from steerbridge.evaluation.results import nan_to_none
from steerbridge.models.loading import load
from steerbridge.safeio import write_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bridge", type=Path, required=True)
    ap.add_argument("--format", default="text")
    ap.add_argument("--behaviours", nargs="+",
                    default=["positive-tone", "formal-register", "caution", "factual-correction"])
    ap.add_argument("--alphas", nargs="+", type=float, default=[-0.2, 0.2])
    ap.add_argument("--test-items", type=int, default=32)
    ap.add_argument("--generate-items", type=int, default=40)
    ap.add_argument("--random-seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--method", default="state", choices=["state", "gain", "distilled"],
                    help="the label-free method carrying the source vector (and its controls)")
    ap.add_argument("--method-alpha", type=float, default=0.2,
                    help="the push the gain / distillation matches the source's change at")
    ap.add_argument("--distill-steps", type=int, default=20)
    ap.add_argument("--distill-prompts", type=int, default=8)
    ap.add_argument("--caa", type=Path, default=None,
                    help="a CAA data folder (generate/NAME/generate_dataset.json, "
                         "test/NAME/test_dataset_ab.json): --behaviours may name its behaviours")
    ap.add_argument("--positions", default="all", choices=["all", "generated"],
                    help="where every model is steered (sweeps and the gain fit): every "
                         "position, or each answer's tokens and the position predicting the first")
    ap.add_argument("--out", type=Path, default=Path("runs/text-transfer.json"))
    args = ap.parse_args()

    distill = DistillSettings(alpha=args.method_alpha, steps=args.distill_steps,
                              max_prompts=args.distill_prompts, max_neutral=0)
    files = tuple((n, str(args.caa / "generate" / n / "generate_dataset.json"),
                   str(args.caa / "test" / n / "test_dataset_ab.json"))
                  for n in args.behaviours
                  if args.caa and (args.caa / "generate" / n).is_dir())
    bridge = Bridge.load(args.bridge)
    src, tgt = load(bridge.source_name, dtype="auto"), load(bridge.target_name, dtype="auto")
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    record: dict[str, object] = {"bridge": str(args.bridge), "settings": settings,
                                 "behaviours": {}}
    for name in args.behaviours:  # one at a time: each result is written as soon as it exists
        t0 = time.time()
        s = Settings(behaviours=(name,), alphas=tuple(args.alphas), test_items=args.test_items,
                     generate_items=args.generate_items, answer_format=args.format,
                     random_seeds=tuple(args.random_seeds), n_boot=200, files=files,
                     transfer=args.method, transfer_alpha=args.method_alpha,
                     positions=args.positions)
        res = pair_transfer(src, tgt, [bridge], s, progress=False,
                            carry=method_carry(s, distill))[0]
        record["behaviours"][name] = {"row": res.row, **res.details[name],  # type: ignore[index]
                                      "seconds": time.time() - t0}
        j = res.details[name]["judgement"]
        print(f"{name}: {j['verdict']} ({j['why']}; "
              f"{fmt_resamples(j.get('item_resamples'), j['verdict'])}) source odd Δp "
              f"{j['source_odd_dp']:+.3f}, native Δp {j['native_dp']:+.3f} "
              f"[{time.time() - t0:.0f} s]", flush=True)
        lo = res.details[name].get("judgement_logodds")
        if lo:
            print(f"  log-odds instrument: {lo['verdict']} ({lo['why']}; "
                  f"{fmt_resamples(lo.get('item_resamples'), lo['verdict'])})", flush=True)
        write_json(args.out, nan_to_none(record), force=True)


if __name__ == "__main__":
    main()
