"""The pipeline's effect-matched bridge stage: probe text → gradient moments → bridge file.

Probe text is label-free by construction: the end of the bridge's corpus (windows) and every
behaviour's generate-split questions with their answers stripped (`unlabelled_questions`);
never test items, labels or the native vector. The key hashes the models, the layers, the
state bridge (the prior), the settings and the probe tokens themselves. Gradient moments are
cached under ``moments/grads-<key>.safetensors`` and the fitted map as an ordinary bridge file
``effect-bridge-<key>.safetensors`` (``W_eff``, ``b = 0``); a cached file that does not read
back is set aside and made again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.effect_bridge import (
    collect,
    fit_effect_bridge,
    load_gradients,
    probe_batches,
    save_gradients,
)
from steerbridge.bridge.method_inputs import unlabelled_questions
from steerbridge.bridge.probes import ProbeBatch
from steerbridge.cachekeys import content_key
from steerbridge.run.behaviour_data import BehaviourData
from steerbridge.run.cache import cached
from steerbridge.run.keys import models_part
from steerbridge.run.stages import Context, progress_for


def probe_prompts(ctx: Context, data: Sequence[BehaviourData]) -> list[str]:
    """Each behaviour's first generate-split questions, answers and labels stripped."""
    n = ctx.cfg.transfer.effect.prompts_per_behaviour
    return [q for d in data for q in unlabelled_questions(d.generate[:n])]


def _batches(ctx: Context, data: Sequence[BehaviourData]) -> list[ProbeBatch]:
    src, _ = ctx.models()
    e, b = ctx.cfg.transfer.effect, ctx.cfg.bridge
    windows = tokenize(load_corpus(list(b.corpus)), src.tokenizer, window=e.window,
                       max_tokens=max(b.max_tokens, e.windows * e.window))
    return probe_batches(src.tokenizer, windows, probe_prompts(ctx, data), e.settings())


def _tokens_digest(batches: Sequence[ProbeBatch]) -> str:
    h = hashlib.sha256()
    for pb in batches:
        for row, mask in zip(pb.ids.tolist(), pb.mask.tolist(), strict=True):
            h.update(json.dumps([t for t, m in zip(row, mask, strict=True) if m]).encode())
        h.update(json.dumps(pb.pair.tolist()).encode())
    return h.hexdigest()[:16]


def effect_key(ctx: Context, batches: Sequence[ProbeBatch]) -> str:
    """The effect-matched bridge's key (see the module docstring)."""
    ctx.models()
    b = ctx.cfg.bridge
    return content_key(stage="effect", models=models_part(ctx.cfg, ctx.ids),
                       layers=[b.source_layer, b.target_layer], prior=ctx.key("bridge"),
                       settings=ctx.cfg.transfer.effect.model_dump(),
                       probes=_tokens_digest(batches))


def prepare_effect(ctx: Context, data: Sequence[BehaviourData]) -> list[ProbeBatch]:
    """Build the probe batches and set ``ctx.effect_key`` (before any evaluation key)."""
    batches = _batches(ctx, data)
    ctx.effect_key = effect_key(ctx, batches)
    return batches


def stage_effect(ctx: Context, prior: Bridge, batches: Sequence[ProbeBatch]) -> Bridge:
    """Fit (or load) the effect-matched bridge with `prior` (the state bridge) as prior."""
    src, tgt = ctx.models()
    key = ctx.effect_key or effect_key(ctx, batches)
    path = ctx.files.effect_bridge(key)
    reused = cached(path, lambda p: Bridge.load(p, src, tgt))
    if reused is not None:
        ctx.hooks.stage(f"effect bridge: reusing {path.name}")
        return reused
    e = ctx.cfg.transfer.effect
    gpath = ctx.files.gradients(key)
    gm = cached(gpath, load_gradients)
    t0 = time.perf_counter()
    if gm is None:
        ctx.hooks.stage(f"effect bridge: probe gradients on {len(batches)} batches × {e.draws} "
                        f"draws ({'per position' if e.per_position else 'per window'})")
        gm = collect(src, tgt, prior, batches, e.settings(),
                     progress_for(ctx, "probe gradients (both models)"))
        save_gradients(gm, gpath)
    else:
        ctx.hooks.stage(f"effect bridge: reusing {gpath.name}")
    bridge = fit_effect_bridge(src, tgt, prior, batches, e.settings(), moments=gm)
    bridge.save(path)
    m = bridge.metrics
    ctx.hooks.stage(f"effect bridge: lambda_rel {m['lam_rel']:g}, held-out R² {m['val_r2']}, "
                    f"split-half cos {m['split_half_cos']}, {m['pairs']} pairs")
    ctx.timings["effect_bridge_s"] = time.perf_counter() - t0
    return bridge


def fitted_effect(ctx: Context) -> Bridge | None:
    """The run's effect-matched bridge if this run's key has one on disk (every evaluation was
    reused, so the stage did not run)."""
    if ctx.effect_key is None:
        return None
    return cached(ctx.files.effect_bridge(ctx.effect_key), Bridge.load)


def effect_summary(bridge: Bridge | None) -> dict[str, Any] | None:
    """The effect-matched bridge's metrics for results.json."""
    return None if bridge is None else {"method": bridge.method, **bridge.metrics}
