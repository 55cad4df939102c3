"""The pipeline's transfer stage: each behaviour's source vector carried into the target by the
configured method (``[transfer] method``), with random *source* controls through the same method.

Runs with both models loaded (the distilled method steers the source), before the source model
is freed. The method sees `TransferInputs` only: the source model and vector, the state bridge,
the target, the behaviour's generate-split questions without labels (text-scored behaviours:
with their two answer texts, unordered) and plain neutral text —
never the native vector, the labels or the test items.

``method = "select"`` makes every ``[transfer.select] candidates`` vector, keeps the one whose
effect on the target best matches the source's own change (`bridge.select.select_by_effect`)
and records the winner and every score; each random-source control goes through the same
choice (its own winner and scores are recorded too).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.builtin_corpus import BUILTIN_CORPUS
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.method_inputs import (
    TransferInputs,
    unlabelled_answers,
    unlabelled_questions,
)
from steerbridge.bridge.methods import apply, random_source
from steerbridge.bridge.select import select_by_effect
from steerbridge.run.behaviour_data import BehaviourData
from steerbridge.run.config import BehaviourConfig
from steerbridge.run.stages import Context, layer_scales
from steerbridge.vectors.vector import SteeringVector


@dataclass(frozen=True)
class Transfers:
    """A behaviour's transferred vector and its random-source controls (by seed); with
    ``select``, the winners and scores (`selection`); with ``[transfer.anchors]``, what its
    anchored bridge was fitted on (`anchors`)."""

    vector: SteeringVector
    controls: dict[int, SteeringVector]
    method: str
    selection: dict[str, Any] | None = field(default=None)
    anchors: dict[str, Any] | None = field(default=None)  # the anchored bridge's record


def neutral_text(ctx: Context, n: int, tokens: int) -> tuple[str, ...]:
    """`n` plain windows of the built-in corpus as text (neutral text for distilled / select)."""
    if n == 0:
        return ()
    tok = (ctx.source or ctx.models()[0]).tokenizer
    w = tokenize(load_corpus(BUILTIN_CORPUS), tok, window=tokens, max_tokens=tokens * n * 4)
    plain = [ids for ids, s in zip(w.ids, w.source, strict=True) if s == "plain"][:n]
    return tuple(tok.decode(ids) for ids in plain)


def method_inputs(ctx: Context, bridge: Bridge, src_vec: SteeringVector,
                  data: BehaviourData, beh: BehaviourConfig | None = None) -> TransferInputs:
    """What the method may see (`TransferInputs` has no field for anything else). For a
    text-scored behaviour that includes each prompt's two answer texts, unordered."""
    src, tgt = ctx.models()
    t = ctx.cfg.transfer
    n = max(t.distill.max_neutral if "distilled" in t.uses else 0,
            t.select.max_neutral if t.method == "select" else 0)
    neutral = neutral_text(ctx, n, t.distill.neutral_tokens)
    answers = unlabelled_answers(data.generate) if beh is not None and beh.scoring == "text" \
        else ()
    return TransferInputs(src, src_vec, bridge, tgt, prompts=unlabelled_questions(data.generate),
                          answers=answers, neutral=neutral)


def stage_transfer(ctx: Context, beh: BehaviourConfig, bridge: Bridge, effect: Bridge | None,
                   inputs: TransferInputs, anchors: dict[str, Any] | None = None) -> Transfers:
    """The method's vector and its random-source controls, at the target layer's scale."""
    t = ctx.cfg.transfer
    _, tgt = ctx.models()
    lt = ctx.cfg.bridge.target_layer
    scale = layer_scales(ctx, tgt, lt)[lt]
    t0 = time.perf_counter()
    ctx.hooks.stage(f"{beh.name}: transferring by {t.method!r} (+{len(t.random_source_seeds)} "
                    "random source controls)")

    picks: dict[str, Any] = {}
    # the gain fit steers both models where the evaluation steers the target
    gain = replace(t.gain.settings(), positions=ctx.cfg.evaluation.positions)

    def run(inp: TransferInputs, key: str) -> SteeringVector:
        if t.method != "select":
            return apply(t.method, inp, effect=effect, scale=scale, blend_weight=t.blend_weight,
                         distill=t.distill.settings(), gain=gain)
        s = t.select
        sel = select_by_effect(inp, s.candidates, effect=effect, scale=scale,
                               blend_weight=t.blend_weight, distill=t.distill.settings(),
                               gain=gain, alpha=s.alpha, max_prompts=s.max_prompts,
                               max_neutral=s.max_neutral)
        picks[key] = sel.summary()
        return sel.vector

    vector = run(inputs, "vector")
    controls = {int(s): run(random_source(inputs, int(s)), str(int(s)))
                for s in t.random_source_seeds}
    ctx.timings[f"transfer_{beh.name}_s"] = time.perf_counter() - t0
    selection = None
    if t.method == "select":
        selection = {**picks.pop("vector"), "alpha": t.select.alpha, "controls": picks}
        ctx.hooks.stage(f"{beh.name}: selected {selection['winner']!r} ("
                        + ", ".join(f"{k} {v:.4g}" for k, v in selection["scores"].items())
                        + "; lower KL wins)")
    return Transfers(vector, controls, t.method, selection, anchors)

