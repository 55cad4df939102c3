"""State bridge vs effect-matched bridge vs distilled vector, with random target *and* random
source controls, on the real pair (issue 11). Label-free by construction: every method gets
`TransferInputs` built from the generate split with answers stripped; the native vector and the
test items are used only by the evaluation.

    PYTHONPATH=src nice .venv/bin/python benchmarks/transfer_methods.py \
        --behaviours corrigible-neutral-HHH survival-instinct \
        --out benchmarks/results/transfer-methods-12-14.json

Stages are cached under --cache (bridge, vectors, gradient sums), so a rerun resumes.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import torch

from steerbridge.bridge import methods as M
from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.distill import DistillSettings, distilled
from steerbridge.bridge.effect import GradientMoments, collect_gradient_moments, fit_effect_map
from steerbridge.bridge.effect_bridge import (
    EffectSettings,
    load_gradients,
    probe_batches,
    save_gradients,
)
from steerbridge.bridge.fitting import corpus_windows, fit_bridge
from steerbridge.bridge.method_inputs import TransferInputs, unlabelled_questions
from steerbridge.bridge.moments import Moments
from steerbridge.evaluation.ab import source_sweep
from steerbridge.evaluation.method_eval import evaluate_methods, verdict_lines
from steerbridge.models.loading import load
from steerbridge.run.behaviour_data import behaviour_data
from steerbridge.run.config import BehaviourConfig
from steerbridge.safeio import write_text
from steerbridge.vectors import datasets
from steerbridge.vectors.extract import extract
from steerbridge.vectors.vector import SteeringVector

CAA = Path(__file__).resolve().parents[2] / "shared" / "data" / "caa"
ANCHOR_BEHAVIOURS = ("hallucination", "refusal", "sycophancy", "coordinate-other-ais",
                     "myopic-reward", "caution", "formal-register")


def items(name: str) -> tuple[list[Any], list[Any]]:
    """(generate, test) items of a built-in or a CAA behaviour (A/B items only), read as a
    ``[[behaviours]]`` entry would be (`run.behaviour_data`: its checks and warnings too)."""
    if name in datasets.builtin_names():
        beh = BehaviourConfig(name=name, builtin=name, scoring="letter")
    else:
        beh = BehaviourConfig(name=name, multi_choice="drop", scoring="letter",
                              generate=CAA / "generate" / name / "generate_dataset.json",
                              test=CAA / "test" / name / "test_dataset_ab.json")
    data = behaviour_data(beh)
    return data.generate, data.test


def log(t0: float, msg: str) -> None:
    print(f"[{time.time() - t0:7.1f}s] {msg}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--behaviours", nargs="+", default=["corrigible-neutral-HHH",
                                                        "survival-instinct"])
    ap.add_argument("--source-layer", type=int, default=12)
    ap.add_argument("--target-layer", type=int, default=14)
    ap.add_argument("--bridge-tokens", type=int, default=12000)
    ap.add_argument("--vector-items", type=int, default=60)
    ap.add_argument("--grad-batches", type=int, default=10)
    ap.add_argument("--grad-window", type=int, default=32)
    ap.add_argument("--draws", type=int, default=4)
    ap.add_argument("--per-position", action="store_true",
                    help="one gradient pair per position (one delta per position), not per window")
    ap.add_argument("--anchor-prompts", type=int, default=24)
    ap.add_argument("--test-items", type=int, default=30)
    ap.add_argument("--alphas", type=float, nargs="+", default=[-0.2, 0.2])
    ap.add_argument("--distill-steps", type=int, default=10)
    ap.add_argument("--distill-prompts", type=int, default=8)
    ap.add_argument("--source", default="qwen2.5-coder-0.5b")
    ap.add_argument("--target", default="qwen2.5-coder-1.5b")
    ap.add_argument("--cache", default="runs/l11-cache")
    ap.add_argument("--out", default="benchmarks/results/transfer-methods-12-14.json")
    a = ap.parse_args()
    torch.manual_seed(0)
    t0 = time.time()
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    ls, lt = a.source_layer, a.target_layer
    src, tgt = _model(a.source), _model(a.target)
    log(t0, "models loaded")
    bpath = cache / f"bridge-{ls}-{lt}-{a.bridge_tokens}.safetensors"
    if bpath.exists():
        bridge = Bridge.load(bpath)
    else:
        bridge = fit_bridge(src, tgt, "builtin", ls, lt, max_tokens=a.bridge_tokens,
                            progress=False)
        bridge.save(bpath)
    log(t0, f"state bridge: {bridge.metrics.get('val', bridge.metrics)}")

    # -- effect-matched map: corpus windows + other behaviours' unlabelled prompts
    pp = "-pp" if a.per_position else ""
    anchors = [b for b in ANCHOR_BEHAVIOURS if b not in a.behaviours]
    tag = hashlib.sha256(" ".join(anchors).encode()).hexdigest()[:8]
    gpath = cache / (f"grads-{ls}-{lt}-{a.grad_batches}x{a.grad_window}-{a.draws}"
                     f"-{a.anchor_prompts}-{tag}{pp}.safetensors")
    if gpath.with_suffix(".json").exists():  # written before save_gradients: info beside it
        from safetensors.torch import load_file
        t = load_file(str(gpath))
        a_, b_, v_ = (Moments.from_tensors(t, p) for p in ("a.", "b.", "v."))
        gm = GradientMoments(a_, b_, v_, info=json.loads(gpath.with_suffix(".json").read_text()))
    elif gpath.exists():
        gm = load_gradients(gpath)
    else:
        win = corpus_windows("builtin", src.tokenizer, window=a.grad_window,
                             max_tokens=200_000)
        others = [q for b in anchors
                  for q in unlabelled_questions(items(b)[0][-a.anchor_prompts // 4:])]
        # the corpus's last windows (not the bridge's tokens), then the prompts, 8 a batch
        probe = EffectSettings(windows=a.grad_batches * 8, window=a.grad_window, draws=a.draws,
                               per_position=a.per_position, batch_size=8)
        batches = probe_batches(src.tokenizer, win, others, probe)
        done = [0]

        def tick(n: int) -> None:
            done[0] += 1
            log(t0, f"gradient batch {done[0]}/{len(batches)}")

        gm = collect_gradient_moments(src, tgt, ls, lt, batches, a.draws, progress=tick,
                                      per_position=a.per_position)
        save_gradients(gm, gpath)
    fit = fit_effect_map(gm, prior=bridge.W.double())
    fit0 = fit_effect_map(gm, prior=None)
    fit_info = {"pairs": gm.info, "lam_rel": fit.lam_rel, "val_r2": fit.val_r2,
                "prior_val_r2": fit.prior_r2, "split_half_cos_with_prior": fit.split_half_cos,
                "no_prior": {"lam_rel": fit0.lam_rel, "val_r2": fit0.val_r2,
                             "split_half_cos": fit0.split_half_cos}}
    log(t0, f"effect map: {json.dumps(fit_info)}")

    report: dict[str, Any] = {"args": vars(a), "bridge": bridge.metrics, "effect_fit": fit_info,
                              "behaviours": {}}
    neutral = tuple(src.tokenizer.decode(w) for w in
                    corpus_windows("builtin", src.tokenizer, window=32, max_tokens=4000).ids[:4])
    for name in a.behaviours:
        gen, test = items(name)
        gen_v = gen[: a.vector_items]
        vs = _cached(cache / f"{name}-src.safetensors",
                     lambda g=gen_v: extract(src, g, [ls]), src)
        vn = _cached(cache / f"{name}-native.safetensors",
                     lambda g=gen_v: extract(tgt, g, [lt]), tgt)
        log(t0, f"{name}: vectors")
        inputs = TransferInputs(src, vs, bridge, tgt, prompts=unlabelled_questions(gen),
                                neutral=neutral)
        ds = DistillSettings(alpha=max(abs(x) for x in a.alphas), steps=a.distill_steps,
                             max_prompts=a.distill_prompts, max_neutral=2)

        def run_methods(inp: TransferInputs, ds: DistillSettings = ds
                        ) -> dict[str, SteeringVector]:
            state = M.state_bridge(inp)
            effect = M.effect_matched(inp, fit)
            out = {"state": state, "effect": effect, "blend": M.blend(state, effect)}
            if a.distill_steps > 0:
                out["distilled"] = distilled(inp, state, ds)
            return out

        cand = run_methods(inputs)
        ctrl = run_methods(M.random_source(inputs, seed=100))
        gain = cand["distilled"].info["distill"]["gain"] if "distilled" in cand else None
        log(t0, f"{name}: methods + random-source controls built (distilled gain {gain})")
        test = test[: a.test_items]
        if a.source.startswith("tiny:"):  # the tiny tokenizer splits "(A": score bare letters
            test = [dataclasses.replace(it, matching=it.matching.strip("()"),
                                        non_matching=it.non_matching.strip("()")) for it in test]
        sc = source_sweep(src, test, vs, a.alphas)
        res = evaluate_methods(tgt, test, vn, cand, {k: [v] for k, v in ctrl.items()}, a.alphas,
                               source_conditions=sc)
        res["distill"] = ({k: v.info.get("distill") for k, v in
                           (("vector", cand["distilled"]), ("random_source", ctrl["distilled"]))}
                          if "distilled" in cand else None)
        print(verdict_lines(name, res["methods"], "state"), flush=True)
        for m, row in res["methods"].items():
            print(f"  {m:10s} " + " ".join(f"{k}={row[k]:+.3f}" for k in
                  ("retention", "odd_retention", "corr_change", "random_target_mean",
                   "random_source_mean", "answer_mass", "cos_native", "gain",
                   "source_odd_dp", "native_dp")), flush=True)
        report["behaviours"][name] = {k: res[k] for k in ("n_items", "alphas", "rule", "methods",
                                                          "distill", "summary")}
        write_text(a.out, json.dumps(report, indent=1, default=float), kind="json")
        log(t0, f"{name}: done")


def _model(name: str) -> Any:
    """A zoo alias or path; ``tiny:<hidden>x<layers>:<seed>`` for a smoke run on tiny models."""
    if name.startswith("tiny:"):
        from steerbridge.models.tiny import tiny_model

        shape, seed = name[5:].split(":")
        hidden, layers = shape.split("x")
        return tiny_model("qwen2", int(hidden), int(layers), int(seed))
    return load(name)


def _cached(path: Path, make: Any, lm: Any) -> SteeringVector:
    if path.exists():
        return SteeringVector.load(path, lm)
    v = make()
    v.save(path)
    return v


if __name__ == "__main__":
    main()
