"""Text answers scored with the prompt once and both answers on its KV cache, against one row
per answer (prompt repeated), on the real pair: the A/B text sweep and the answer-matched gain.

Both ways replay the unsteered prefix (`models.continuations`); "rows" is the layout before
(forced by making `continuations.shares_prompt` answer no). Interleaved repeats, the demo's
shapes: the sweep scores `--items` test items of a built-in behaviour under its native vector
and a random direction at ±α on the 1.5B; the gain runs its sequence of scorings (source ±α,
target ±α, ±α at the refitted gain) on 40 generate prompts through a demo run's bridge. The
layouts batch different shapes, so bf16 rounding differs: the largest differences are reported.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_shared_prompt.py --run runs/demo-builtin/run \\
        --out benchmarks/results/shared-prompt.json
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from bench_gain import gain_sequence  # the gain's scorings, as benchmarks/bench_gain.py times

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.answer_gain import AnswerScorer
from steerbridge.bridge.method_inputs import (
    TransferInputs,
    unlabelled_answers,
    unlabelled_questions,
)
from steerbridge.bridge.methods import random_source
from steerbridge.evaluation import ab
from steerbridge.models import continuations
from steerbridge.models.loading import load
from steerbridge.safeio import write_json
from steerbridge.vectors import datasets
from steerbridge.vectors.extract import extract
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.text_answers import as_text_answers
from steerbridge.vectors.vector import SteeringVector, random_like

WAYS = ("rows", "shared")


@contextmanager
def layout(way: str) -> Iterator[None]:
    """One row per answer ("rows") or the prompt once ("shared")."""
    original = continuations.shares_prompt
    if way == "rows":
        continuations.shares_prompt = lambda _lm, _n: False
    try:
        yield
    finally:
        continuations.shares_prompt = original  # type: ignore[assignment]


def timed(way: str, fn: Callable[[], Any]) -> tuple[float, Any]:
    with layout(way):
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out


def compare(name: str, run: Callable[[], dict[str, np.ndarray]], repeats: int
            ) -> dict[str, Any]:
    """Interleaved repeats of `run` each way: seconds, ratio, largest differences."""
    rows, outs = [], {}
    for rep in range(repeats):
        for way in WAYS:
            sec, outs[way] = timed(way, run)
            rows.append({"repeat": rep, "way": way, "seconds": sec})
            print(f"{name} repeat {rep} {way:6s} {sec:6.1f} s", flush=True)
    med = {w: float(np.median([r["seconds"] for r in rows if r["way"] == w])) for w in WAYS}
    diff = {k: float(np.nanmax(np.abs(outs["rows"][k] - outs["shared"][k]))) for k in outs["rows"]}
    scale = {k: float(np.nanmax(np.abs(outs["rows"][k]))) for k in outs["rows"]}
    ratio = med["shared"] / med["rows"]
    print(f"{name}: median rows {med['rows']:.1f} s, shared {med['shared']:.1f} s, ratio "
          f"{ratio:.2f}; max |Δ| {diff} (largest |value| {scale})", flush=True)
    return {"rows": rows, "median_s": med, "ratio": ratio, "max_abs_diff": diff,
            "max_abs_value": scale}


def sweep_run(lm: Any, behaviour: str, items: int, layer: int, batch_size: int = 8
              ) -> Callable[[], dict[str, np.ndarray]]:
    gen, test = datasets.builtin(behaviour)
    gen, test = as_text_answers(gen[:40]), as_text_answers(test[:items])
    vec = extract(lm, gen, [layer], "mean_diff", dataset_name=behaviour,
                  scales=measure_scales(lm, [layer]))
    prompts = ab.prepare(lm, test)
    vectors = {"native": vec, "random": random_like(vec, 0)}

    def run() -> dict[str, np.ndarray]:
        res = ab.sweep(lm, prompts, vectors, [-0.4, 0.4], batch_size=batch_size)
        return {k: np.concatenate([res["none"][k], *(res[v][k].ravel() for v in vectors)])
                for k in ("ld", "p", "lo")}

    return run


def gain_run(inputs: TransferInputs, alpha: float) -> Callable[[], dict[str, np.ndarray]]:
    def run() -> dict[str, np.ndarray]:
        return gain_sequence(inputs, alpha, 40, replay=True)[1]

    return run


def noise_floor(args: argparse.Namespace, bridge: Bridge, src: Any, tgt: Any,
                record: dict[str, Any]) -> None:
    """How far the earlier layout ("rows") itself moves when batched 4 instead of 8: the bf16
    rounding any change of batch shapes brings, to read the layouts' differences against."""
    with layout("rows"):
        four = sweep_run(tgt, args.behaviour, args.items, int(bridge.target_layer), 4)()
        eight = sweep_run(tgt, args.behaviour, args.items, int(bridge.target_layer))()
        record["sweep_rows_batch_4_vs_8"] = {k: float(np.nanmax(np.abs(four[k] - eight[k])))
                                             for k in four}
        vec = SteeringVector.load(next(args.run.glob(
            f"vectors/{args.behaviour}-*-source.safetensors")), src)
        gen = as_text_answers(datasets.builtin(args.behaviour)[0][:80])
        qs, ans = unlabelled_questions(gen)[:40], unlabelled_answers(gen)[:40]
        layer = min(vec.layers)
        c = [AnswerScorer(src, qs, ans, b, layer).change(vec, args.alpha) for b in (4, 8)]
        record["gain_source_change_rows_batch_4_vs_8"] = float(np.abs(c[0] - c[1]).max())
    print("rows layout, batch 4 vs 8: max |Δ|", {k: v for k, v in record.items()
                                                 if k != "settings"}, flush=True)
    write_json(args.out, record, force=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", type=Path, required=True, help="a demo run dir (bridge, vectors)")
    ap.add_argument("--behaviour", default="caution")
    ap.add_argument("--items", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=0.4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--gain-repeats", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("runs/shared-prompt.json"))
    ap.add_argument("--noise-floor", action="store_true", help="only measure how far one row "
                    "per answer moves when batched 4 instead of 8 (bf16 rounding)")
    args = ap.parse_args()

    bridge = Bridge.load(next(args.run.glob("bridge-*.safetensors")))
    src, tgt = load(bridge.source_name, dtype="auto"), load(bridge.target_name, dtype="auto")
    record: dict[str, Any] = {"settings": {k: str(v) for k, v in vars(args).items()}}
    if args.noise_floor:
        noise_floor(args, bridge, src, tgt, record)
        return
    record["sweep"] = compare("sweep", sweep_run(tgt, args.behaviour, args.items,
                                                 int(bridge.target_layer)), args.repeats)
    write_json(args.out, record, force=True)
    vec = SteeringVector.load(next(args.run.glob(f"vectors/{args.behaviour}-*-source.safetensors")),
                              src)
    gen = as_text_answers(datasets.builtin(args.behaviour)[0][:80])
    inputs = TransferInputs(src, vec, bridge, tgt, prompts=unlabelled_questions(gen),
                            answers=unlabelled_answers(gen))
    for label, inp in (("gain vector", inputs), ("gain random source", random_source(inputs, 0))):
        record[label] = compare(label, gain_run(inp, args.alpha), args.gain_repeats)
        write_json(args.out, record, force=True)


if __name__ == "__main__":
    main()
