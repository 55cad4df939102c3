"""The answer-matched gain's scoring: full forwards against prefix replay, on the real pair.

The gain scores the same generate prompts' two answers under several pushes (the source at ±α;
the target at ±α, then ±α at the refitted gain). `bridge.answer_gain.AnswerScorer` runs the
blocks before the steered layer once per batch and replays their output under every push. This
times the gain's sequence of scorings both ways (interleaved, the same inputs the demo's gain
sees: the run's source vector, W·v through its bridge, 40 generate prompts) and reports the
largest difference between the two ways' answer changes and fitted gains.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_gain.py --run runs/demo-builtin/run \
        --out benchmarks/results/gain-replay.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.answer_gain import AnswerScorer, fit_gain, with_gain
from steerbridge.bridge.method_inputs import (
    TransferInputs,
    unlabelled_answers,
    unlabelled_questions,
)
from steerbridge.bridge.methods import random_source, state_bridge
from steerbridge.models.loading import load
from steerbridge.safeio import write_json
from steerbridge.vectors import datasets
from steerbridge.vectors.text_answers import as_text_answers
from steerbridge.vectors.vector import SteeringVector


def gain_sequence(inputs: TransferInputs, alpha: float, n: int, replay: bool
                  ) -> tuple[float, dict[str, np.ndarray]]:
    """The gain's scorings (source ±α, target ±α, target ±α at the refitted gain): seconds and
    the answer changes."""
    qs, ans = inputs.prompts[:n], inputs.answers[:n]
    lt = int(inputs.bridge.target_layer)
    start = state_bridge(inputs)
    t0 = time.perf_counter()
    source = AnswerScorer(inputs.source, qs, ans, 8, min(inputs.vector.layers) if replay else None)
    target = AnswerScorer(inputs.target, qs, ans, 8, lt if replay else None)
    c_s = source.change(inputs.vector, alpha)
    c_t = target.change(start, alpha)
    c_g = target.change(with_gain(start, lt, fit_gain(c_t, c_s)), alpha)
    return time.perf_counter() - t0, {"source": c_s, "target": c_t, "refit": c_g}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", type=Path, required=True, help="a demo run dir (bridge, vectors)")
    ap.add_argument("--behaviours", nargs="+", default=["positive-tone", "caution"])
    ap.add_argument("--alpha", type=float, default=0.4)
    ap.add_argument("--prompts", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("runs/gain-replay.json"))
    args = ap.parse_args()

    bridge = Bridge.load(next(args.run.glob("bridge-*.safetensors")))
    src, tgt = load(bridge.source_name, dtype="auto"), load(bridge.target_name, dtype="auto")
    record: dict[str, object] = {"run": str(args.run), "settings": vars(args) | {
        "run": str(args.run), "out": str(args.out)}, "behaviours": {}}
    for name in args.behaviours:
        vec = SteeringVector.load(next(args.run.glob(f"vectors/{name}-*-source.safetensors")), src)
        gen = as_text_answers(datasets.builtin(name)[0][:80])
        inputs = TransferInputs(src, vec, bridge, tgt, prompts=unlabelled_questions(gen),
                                answers=unlabelled_answers(gen))
        rows = []
        for rep in range(args.repeats):
            for label, inp in (("vector", inputs), ("random source", random_source(inputs, 0))):
                full_s, full = gain_sequence(inp, args.alpha, args.prompts, replay=False)
                fast_s, fast = gain_sequence(inp, args.alpha, args.prompts, replay=True)
                diff = max(float(np.abs(full[k] - fast[k]).max()) for k in full)
                gains = [fit_gain(r["target"], r["source"]) for r in (full, fast)]
                rows.append({"repeat": rep, "input": label, "full_s": full_s, "replay_s": fast_s,
                             "max_abs_diff": diff, "gain_full": gains[0], "gain_replay": gains[1]})
                print(f"{name} {label:13s} full {full_s:6.1f} s  replay {fast_s:6.1f} s  "
                      f"ratio {fast_s / full_s:.2f}  max |Δ change| {diff:.2e}  gain "
                      f"{gains[0]:.4f} / {gains[1]:.4f}", flush=True)
        record["behaviours"][name] = rows  # type: ignore[index]
        write_json(args.out, record, force=True)
    every = [r for rows in record["behaviours"].values() for r in rows]  # type: ignore[union-attr]
    full_t, fast_t = sum(r["full_s"] for r in every), sum(r["replay_s"] for r in every)
    print(f"total: full {full_t:.0f} s, replay {fast_t:.0f} s, ratio {fast_t / full_t:.2f}")


if __name__ == "__main__":
    main()
