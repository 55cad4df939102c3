"""The pipeline's transfer stage: each behaviour's source vector carried into the target by the
configured method (``[transfer] method``), with random *source* controls through the same method.

Runs with both models loaded (the distilled method steers the source), before the source model
is freed. The method sees `TransferInputs` only: the source model and vector, the state bridge,
the target, the behaviour's generate-split questions without answers and plain neutral text —
never the native vector, the labels or the test items.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.builtin_corpus import BUILTIN_CORPUS
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.method_inputs import TransferInputs, unlabelled_questions
from steerbridge.bridge.methods import apply, random_source
from steerbridge.run.behaviour_data import BehaviourData
from steerbridge.run.config import BehaviourConfig
from steerbridge.run.stages import Context, layer_scales
from steerbridge.vectors.vector import SteeringVector


@dataclass(frozen=True)
class Transfers:
    """A behaviour's transferred vector and its random-source controls (by seed)."""

    vector: SteeringVector
    controls: dict[int, SteeringVector]
    method: str


def neutral_text(ctx: Context, n: int, tokens: int) -> tuple[str, ...]:
    """`n` plain windows of the built-in corpus as text (the distilled method's neutral text)."""
    if n == 0:
        return ()
    tok = (ctx.source or ctx.models()[0]).tokenizer
    w = tokenize(load_corpus(BUILTIN_CORPUS), tok, window=tokens, max_tokens=tokens * n * 4)
    plain = [ids for ids, s in zip(w.ids, w.source, strict=True) if s == "plain"][:n]
    return tuple(tok.decode(ids) for ids in plain)


def method_inputs(ctx: Context, bridge: Bridge, src_vec: SteeringVector,
                  data: BehaviourData) -> TransferInputs:
    """What the method may see (`TransferInputs` has no field for anything else)."""
    src, tgt = ctx.models()
    d = ctx.cfg.transfer.distill
    neutral = neutral_text(ctx, d.max_neutral, d.neutral_tokens) \
        if ctx.cfg.transfer.method == "distilled" else ()
    return TransferInputs(src, src_vec, bridge, tgt, prompts=unlabelled_questions(data.generate),
                          neutral=neutral)


def stage_transfer(ctx: Context, beh: BehaviourConfig, bridge: Bridge, effect: Bridge | None,
                   inputs: TransferInputs) -> Transfers:
    """The method's vector and its random-source controls, at the target layer's scale."""
    t = ctx.cfg.transfer
    _, tgt = ctx.models()
    lt = ctx.cfg.bridge.target_layer
    scale = layer_scales(ctx, tgt, lt)[lt]
    t0 = time.perf_counter()
    ctx.hooks.stage(f"{beh.name}: transferring by {t.method!r} (+{len(t.random_source_seeds)} "
                    "random source controls)")

    def run(inp: TransferInputs) -> SteeringVector:
        return apply(t.method, inp, effect=effect, scale=scale, blend_weight=t.blend_weight,
                     distill=t.distill.settings())

    vector = run(inputs)
    controls = {int(s): run(random_source(inputs, int(s))) for s in t.random_source_seeds}
    ctx.timings[f"transfer_{beh.name}_s"] = time.perf_counter() - t0
    return Transfers(vector, controls, t.method)


def describe(tr: Transfers) -> dict[str, Any]:
    """The transfer's lineage and settings for results.json."""
    return {"method": tr.method, "lineage": tr.vector.lineage,
            "info": {k: v for k, v in tr.vector.info.items()
                     if k in ("transfer", "distill", "effect_fit")},
            "random_source_seeds": sorted(tr.controls)}
