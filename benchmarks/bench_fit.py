"""Fit speed: closed-form ridge vs the paper's AdamW recipe, on the same real tokens.

Collects raw rows of one layer pair of the real models (default 4 → 5, a shallow pair so the
models run little on this AVX2-only CPU; default corpus, float32 forward), fits
ridge (float64 moments, λ chosen on the val split) and the `sgd` recipe (AdamW, lr 1e-4, batches
of 32 x 512 tokens, 4 epochs), and reports the time each needs to reach a held-out MSE: the
ridge's, or, if sgd never gets there, the best sgd reached in its 4 epochs. SGD time excludes
the time spent scoring it after each step.

    .venv/bin/python benchmarks/bench_fit.py [--max-tokens 12000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from steerbridge.bridge.collection import pair_batches
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.fits import fit_ridge, fit_sgd
from steerbridge.bridge.moments import Moments
from steerbridge.models.loading import load


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-layer", type=int, default=4)
    ap.add_argument("--target-layer", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=12_000)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--long-seconds", type=float, default=120.0,
                    help="then run sgd on until it reaches the ridge MSE or this many seconds")
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    src = load("qwen2.5-coder-0.5b", dtype=args.dtype)
    tgt = load("qwen2.5-coder-1.5b", dtype=args.dtype)
    w = tokenize(load_corpus("builtin"), src.tokenizer, max_tokens=args.max_tokens)
    pair = ((args.source_layer,), args.target_layer)
    xs: dict[int, list[torch.Tensor]] = {0: [], 1: []}
    ys: dict[int, list[torch.Tensor]] = {0: [], 1: []}
    t0 = time.perf_counter()
    for pb in pair_batches(src, tgt, w, [pair]):
        x, y, keep = pb.rows(pair)
        for code in (0, 1):
            sel = keep & (pb.split == code)
            xs[code].append(x[sel])
            ys[code].append(y[sel])
    collect_s = time.perf_counter() - t0
    x_tr, y_tr = torch.cat(xs[0]), torch.cat(ys[0])
    x_va, y_va = torch.cat(xs[1]), torch.cat(ys[1])
    val = Moments.from_data(x_va, y_va)
    n_val_el = val.count * val.dy
    print(f"collected {x_tr.shape[0]:,} train / {x_va.shape[0]:,} val rows in {collect_s:.0f} s")

    # ridge: float64 moments from the rows, then the λ-grid solve
    t0 = time.perf_counter()
    train = Moments.zeros(x_tr.shape[1], y_tr.shape[1])
    for i in range(0, x_tr.shape[0], 8192):
        train.update(x_tr[i:i + 8192], y_tr[i:i + 8192])
    t1 = time.perf_counter()
    w_r, b_r, info = fit_ridge(train, val)
    t2 = time.perf_counter()
    ridge_mse = val.sse(w_r, b_r) / n_val_el
    ridge_moments_s, ridge_solve_s = t1 - t0, t2 - t1
    print(f"ridge: val MSE {ridge_mse:.4f} (λ_rel {info['lambda_rel']}), moments "
          f"{ridge_moments_s:.2f} s + solve over {len(info['val_r2_by_lambda'])} λ "
          f"{ridge_solve_s:.2f} s")

    trace: list[tuple[int, float, float]] = []
    scoring = {"s": 0.0}

    def cb(step: int, secs: float, w_: torch.Tensor, b_: torch.Tensor) -> None:
        s0 = time.perf_counter()
        trace.append((step, secs - scoring["s"], val.sse(w_, b_) / n_val_el))
        scoring["s"] += time.perf_counter() - s0

    fit_sgd(x_tr, y_tr, epochs=args.epochs, callback=cb)
    best = min(trace, key=lambda r: r[2])
    reached = next((r for r in trace if r[2] <= ridge_mse), None)
    goal = ridge_mse if reached else best[2]
    sgd_s = reached[1] if reached else best[1]
    ridge_total = ridge_moments_s + ridge_solve_s
    print(f"sgd ({args.epochs} epochs, {trace[-1][0]} steps, {trace[-1][1]:.1f} s): best val MSE "
          f"{best[2]:.4f} at step {best[0]}; first / last MSE {trace[0][2]:.4f} / "
          f"{trace[-1][2]:.4f}; reached ridge MSE: {'yes' if reached else 'no'}")
    print(f"time to MSE {goal:.4f}: sgd {sgd_s:.1f} s; ridge {ridge_total:.2f} s from rows "
          f"({sgd_s / ridge_total:.0f}x less), {ridge_solve_s:.2f} s from moments "
          f"({sgd_s / ridge_solve_s:.0f}x less)")
    # the same recipe run on past 4 epochs: how long until it matches the ridge, if ever?
    long: list[tuple[int, float, float]] = []
    scoring["s"] = 0.0

    def cb_long(step: int, secs: float, w_: torch.Tensor, b_: torch.Tensor) -> bool:
        s0 = time.perf_counter()
        mse = val.sse(w_, b_) / n_val_el
        scoring["s"] += time.perf_counter() - s0
        long.append((step, secs - scoring["s"], mse))
        return mse <= ridge_mse or secs - scoring["s"] > args.long_seconds

    fit_sgd(x_tr, y_tr, epochs=1_000_000, callback=cb_long)
    hit = long[-1][2] <= ridge_mse
    print(f"sgd run on: {'reached' if hit else 'did not reach'} the ridge MSE after "
          f"{long[-1][0]} steps, {long[-1][1]:.1f} s (MSE {long[-1][2]:.4f}); ratio to ridge "
          f"from rows {long[-1][1] / ridge_total:.0f}x{'' if hit else ' (lower bound)'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"n_train": x_tr.shape[0], "n_val": x_va.shape[0], "ridge_mse": ridge_mse,
                       "ridge_moments_s": ridge_moments_s, "ridge_solve_s": ridge_solve_s,
                       "sgd_trace": trace, "goal_mse": goal, "sgd_s": sgd_s,
                       "reached": reached is not None, "long_trace": long}, f, indent=1)


if __name__ == "__main__":
    main()
