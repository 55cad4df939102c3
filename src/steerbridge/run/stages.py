"""The pipeline's stages: each makes (or reuses from the run directory) one artifact.

A stage reads the config and the loaded models from the shared `Context`, writes its artifact
under the content key of what it reads (`steerbridge.run.keys`; ``run.rundir``), and reports
through `Hooks`. A cached artifact that no longer reads back (truncated, edited, foreign) is
set aside as ``NAME.corrupt-<time>`` with a warning and made again (`run.cache`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

import torch

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.builtin_corpus import BUILTIN_DOCS
from steerbridge.bridge.corpus import DEFAULT_WINDOW, load_corpus, tokenize
from steerbridge.bridge.distributed import current_shard
from steerbridge.bridge.fitting import fit_bridge
from steerbridge.bridge.methods import carried
from steerbridge.bridge.pairs import screen
from steerbridge.bridge.transfer import transfer
from steerbridge.evaluation import ab, freetext
from steerbridge.evaluation.ceiling import add_ceiling, ceiling_vectors
from steerbridge.evaluation.results import BehaviourSummary
from steerbridge.evaluation.side_effects import side_effects
from steerbridge.models.devices import resolve_device
from steerbridge.models.dtypes import resolve_dtype
from steerbridge.models.loading import LoadedModel, load
from steerbridge.run.behaviour_data import BehaviourData
from steerbridge.run.cache import cached, cached_json, cached_scales
from steerbridge.run.config import BehaviourConfig, Config
from steerbridge.run.keys import ModelIds, model_ids, stage_hash
from steerbridge.run.rundir import Role, RunDir, write_json
from steerbridge.vectors.extract import extract
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.vector import SteeringVector, random_like


@dataclass
class Hooks:
    """How the pipeline reports progress: a stage message and counted tasks."""
    stage: Callable[[str], None] = lambda msg: None
    task: Callable[[str, int], Callable[[int], None]] = lambda desc, total: (lambda n: None)


@dataclass
class Context:
    """What the stages share."""
    cfg: Config
    run_dir: Path
    hooks: Hooks
    source: LoadedModel | None = None
    target: LoadedModel | None = None
    ids: ModelIds | None = None  # the models' fingerprints and dtype, kept when one is freed
    timings: dict[str, float] = field(default_factory=dict)
    keys: dict[tuple[str, str | None], str] = field(default_factory=dict)  # this run's keys
    device: torch.device | None = None  # overrides models.device (e.g. this torchrun rank's)
    effect_key: str | None = None  # the effect-matched bridge's key, when the method uses it

    @property
    def files(self) -> RunDir:
        return RunDir(self.run_dir)

    def models(self) -> tuple[LoadedModel, LoadedModel]:
        if self.source is None or self.target is None:
            t0 = time.perf_counter()
            m = self.cfg.models
            device = self.device if self.device is not None else resolve_device(m.device)
            dtype = resolve_dtype(m.dtype, str(device))
            self.hooks.stage(f"loading {m.source} and {m.target} "
                             f"({str(dtype).replace('torch.', '')}, {device})")
            self.source = load(m.source, dtype=dtype, device=device)
            self.target = load(m.target, dtype=dtype, device=device, device_map=m.device_map)
            self.timings["load_models_s"] = time.perf_counter() - t0
        if self.ids is None:
            self.ids = model_ids(self.source, self.target)
        return self.source, self.target

    def key(self, stage: str, behaviour: str | None = None) -> str:
        """The content key of a stage (`steerbridge.run.keys.stage_hash`) for these models,
        computed once per run (the input files are hashed once)."""
        if self.ids is None:
            self.models()
        if (stage, behaviour) not in self.keys:
            self.keys[stage, behaviour] = stage_hash(
                self.cfg, stage, behaviour, self.ids,  # type: ignore[arg-type]
                effect=self.effect_key if stage == "evaluation" else None)
        return self.keys[stage, behaviour]

    def system(self, beh: BehaviourConfig) -> str | None:
        """The behaviour's own system line, else the vectors section's."""
        return beh.system_prompt if beh.system_prompt is not None else \
            self.cfg.vectors.system_prompt


def run_windows(ctx: Context) -> Any:
    """The run's corpus windows, tokenized as the bridge stage reads them."""
    src, _ = ctx.models()
    b = ctx.cfg.bridge
    return tokenize(load_corpus(list(b.corpus)), src.tokenizer, window=b.window,
                    max_tokens=b.max_tokens)


def stage_bridge(ctx: Context) -> Any:
    """Fit (or load) the bridge of the configured layer pair."""
    src, tgt = ctx.models()
    path = ctx.files.bridge(ctx.key("bridge"))
    reused = cached(path, lambda p: Bridge.load(p, src, tgt))
    if reused is not None:
        ctx.hooks.stage(f"bridge: reusing {path.name}")
        return reused
    b = ctx.cfg.bridge
    t0 = time.perf_counter()
    ctx.hooks.stage(f"bridge: fitting layer {b.source_layer} → {b.target_layer} "
                    f"({b.method}, up to {b.max_tokens:,} tokens)")
    windows = run_windows(ctx)
    bar = progress_for(ctx, "hidden states (both models)")
    bridge = fit_bridge(src, tgt, windows, source_layers=b.source_layer,
                        target_layer=b.target_layer, method=b.method,
                        cache_dir=ctx.files.moments, progress=bar)
    if current_shard().is_main:  # under torchrun every rank has it; rank 0 writes
        bridge.save(path)
    ctx.timings["bridge_s"] = time.perf_counter() - t0
    return bridge


def progress_for(ctx: Context, desc: str) -> Callable[[int, int], None]:
    """Adapt (done, total) callbacks to the hooks' counted task."""
    state: dict[str, Any] = {"advance": None, "done": 0}

    def cb(done: int, total: int) -> None:
        if state["advance"] is None:
            state["advance"] = ctx.hooks.task(desc, total)
        state["advance"](done - state["done"])
        state["done"] = done

    return cb


def stage_pairs(ctx: Context) -> dict[str, Any] | None:
    """Screen every layer pair on a token sample (if asked); cached as JSON."""
    b = ctx.cfg.bridge
    if not b.screen_pairs:
        return None
    path = ctx.files.pairs(ctx.key("bridge"))
    reused = cached_json(path, ("scores", "source_layers", "target_layers"))
    if reused is not None:
        ctx.hooks.stage(f"pairs: reusing {path.name}")
        return reused

    src, tgt = ctx.models()
    t0 = time.perf_counter()
    ctx.hooks.stage(f"pairs: screening {src.num_layers} × {tgt.num_layers} layer pairs on "
                    f"{b.screen_tokens:,} tokens")
    scr = screen(src, tgt, run_windows(ctx), sample_tokens=b.screen_tokens,
                 progress=progress_for(ctx, "layer-pair screen"))
    out = {"source_layers": scr.source_layers, "target_layers": scr.target_layers,
           "scores": scr.r2.tolist(), "cka": scr.cka.tolist(), "metric": "held-out ridge R²",
           "chosen": [b.source_layer, b.target_layer], "n_train": scr.n_train}
    write_json(path, out)
    ctx.timings["pairs_s"] = time.perf_counter() - t0
    return out


def stage_vector(ctx: Context, beh: BehaviourConfig, gen_items: list[Any], role: Role) -> Any:
    """Extract (or load) the ``source`` vector or the target's ``native`` vector."""
    lm = ctx.source if role == "source" else ctx.target
    assert lm is not None
    layer = ctx.cfg.bridge.source_layer if role == "source" else ctx.cfg.bridge.target_layer
    path = ctx.files.vector(beh.name, ctx.key("vectors", beh.name), role)
    reused = cached(path, lambda p: SteeringVector.load(p, lm))
    if reused is not None:
        return reused
    t0 = time.perf_counter()
    scales = layer_scales(ctx, lm, layer)
    ctx.hooks.stage(f"{beh.name}: extracting the {role} vector on {lm.name} layer {layer} "
                    f"from {len(gen_items)} items")
    vec = extract(lm, gen_items, [layer], ctx.cfg.vectors.method,
                  system=ctx.system(beh), dataset_name=beh.name, scales=scales,
                  read=ctx.cfg.vectors.read)
    vec.save(path)
    ctx.timings[f"vectors_{beh.name}_{role}_s"] = time.perf_counter() - t0
    return vec


def keep_carried(ctx: Context, beh: BehaviourConfig, vector: SteeringVector,
                 controls: dict[int, SteeringVector]) -> dict[str, Any]:
    """Write the transferred vector and its random-source controls into ``vectors/`` (the run's
    product, for `steerbridge generate -v` or `llamacpp export`); their paths in the run dir."""
    key = ctx.key("evaluation", beh.name)

    def keep(v: SteeringVector, control: int | None = None) -> str:
        path = ctx.files.carried(beh.name, key, control)
        v.save(path)
        return str(path.relative_to(ctx.files.path))

    return {"transferred": keep(vector),
            "random_source": {str(s): keep(v, s) for s, v in sorted(controls.items())}}


def layer_scales(ctx: Context, lm: LoadedModel, layer: int) -> dict[int, float]:
    """A layer's median token norm, measured once per model and layer and kept in the run dir
    (it does not depend on the behaviour)."""
    path = ctx.files.scales
    known = cached_scales(path)
    key = f"{lm.fingerprint}:{layer}"
    if key not in known:
        ctx.hooks.stage(f"measuring the typical token norm of {lm.name} layer {layer}")
        known[key] = measure_scales(lm, [layer])[layer]
        write_json(path, known)
    return {layer: float(known[key])}


def stage_source(ctx: Context, beh: BehaviourConfig, gen_items: list[Any],
                 test_items: list[Any]) -> tuple[Any, dict[str, Any] | None]:
    """Source-side work of one behaviour: its vector and (if asked) the source reference sweep.

    Done for every behaviour before the target work so the source model can then be freed
    (two float32 models and a colleague's job do not fit in 24 GB together).
    """
    src_vec = stage_vector(ctx, beh, gen_items, "source")
    ev = ctx.cfg.evaluation
    if not ev.source_reference:
        return src_vec, None
    path = ctx.files.evaluation(beh.name, ctx.key("source", beh.name), source=True)
    reused = cached_json(path, ("items", "source", "source_none"))
    if reused is not None:
        return src_vec, reused
    assert ctx.source is not None
    t0 = time.perf_counter()
    ctx.hooks.stage(f"{beh.name}: source reference, {len(test_items)} items × "
                    f"{len(ev.alphas)} alphas on {ctx.source.name}")
    advance = ctx.hooks.task(f"{beh.name}: source sweep", len(test_items) * len(ev.alphas))
    res = ab.source_sweep(ctx.source, test_items, src_vec, ev.alphas, ev.batch_size,
                          ev.positions, ctx.system(beh), advance)
    ctx.timings[f"source_{beh.name}_s"] = time.perf_counter() - t0
    write_json(path, res)
    return src_vec, res


def _neutral_windows(ctx: Context, n_tokens: int) -> list[list[int]]:
    """Plain windows of the documentation part of the built-in corpus: the fixed neutral text
    side effects are measured on (kept on the documentation when the built-in corpus grew, so
    side-effect figures stay comparable with earlier runs)."""
    tok = (ctx.target or ctx.models()[1]).tokenizer
    w = tokenize(load_corpus(BUILTIN_DOCS), tok, window=DEFAULT_WINDOW, max_tokens=n_tokens * 4)
    plain = [ids for ids, s in zip(w.ids, w.source, strict=True) if s == "plain"]
    before = accumulate(map(len, plain), initial=0)  # tokens in the windows ahead of each
    return [ids for ids, ahead in zip(plain, before, strict=False) if ahead < n_tokens]


def eval_path(ctx: Context, beh: BehaviourConfig) -> Path:
    """Where the behaviour's target evaluation under this config is cached."""
    return ctx.files.evaluation(beh.name, ctx.key("evaluation", beh.name))


EVAL_KEYS = ("summary", "conditions", "alphas", "items")


def cached_evaluation(ctx: Context, beh: BehaviourConfig) -> dict[str, Any] | None:
    """The behaviour's cached target evaluation, if it exists and reads back."""
    return cached_json(eval_path(ctx, beh), EVAL_KEYS)


def stage_evaluate(ctx: Context, bridge: Any, beh: BehaviourConfig, data: BehaviourData,
                   src_vec: Any, source_conditions: dict[str, Any] | None,
                   transfers: Any) -> dict[str, Any]:
    """Evaluate one behaviour under every condition on the target; cached as JSON.

    `transfers` (`run.transfer_stage.Transfers`) holds the method's vector (the
    ``transferred`` condition) and its random-source controls."""
    ev = ctx.cfg.evaluation
    path = eval_path(ctx, beh)
    reused = cached_evaluation(ctx, beh)
    if reused is not None:
        ctx.hooks.stage(f"{beh.name}: reusing {path.name}")
        return reused
    gen_items, test_items, opens = data.generate, data.test, data.open_prompts
    tgt = ctx.target
    assert tgt is not None
    native = stage_vector(ctx, beh, gen_items, "native")
    lt = ctx.cfg.bridge.target_layer
    scale = native.scales[lt]
    transferred = transfers.vector
    bias = transfer(bridge, src_vec, with_bias=True, target_scale=scale) \
        if ev.bias_variant else None
    t0 = time.perf_counter()
    n_vec = 2 + (bias is not None) + len([*ev.random_seeds, *transfers.controls,
                                          *ev.ceiling_seeds])
    total = len(test_items) * len(ev.alphas) * n_vec
    ctx.hooks.stage(f"{beh.name}: A/B sweep, {len(test_items)} items × {len(ev.alphas)} alphas "
                    f"× {n_vec} target conditions")
    advance = ctx.hooks.task(f"{beh.name}: A/B sweep", total)
    res = ab.evaluate_behaviour(
        tgt, test_items, native, transferred, ev.alphas, transferred_bias=bias,
        random_seeds=ev.random_seeds, batch_size=ev.batch_size, positions=ev.positions,
        system=ctx.system(beh), n_boot=ev.n_boot, progress=advance,
        source_conditions=source_conditions, random_sources=transfers.controls,
        extra=ceiling_vectors(native, ev.ceiling_seeds))  # can any method pass the bar?
    if ev.ceiling_seeds:
        add_ceiling(res, res.pop("extra_conditions"))
    for key in ("judgement", "judgement_logodds"):
        if isinstance(res.get(key), dict):
            res[key]["method"] = transfers.method
    for extra in ("selection", "anchors"):  # select's picks; an anchored bridge's record
        if getattr(transfers, extra, None):
            res[extra] = getattr(transfers, extra)
    ctx.timings[f"eval_{beh.name}_s"] = time.perf_counter() - t0
    res["errors"] = []
    best = BehaviourSummary.from_dict(res["summary"]).best_alpha
    rnd = random_like(transferred, seed=int(ev.random_seeds[0])) if ev.random_seeds else None
    side_vecs = {"native": native, "transferred": transferred}
    if rnd is not None:
        side_vecs[f"random:{ev.random_seeds[0]}"] = rnd
    if ev.side_effects_tokens and best is not None:
        ctx.hooks.stage(f"{beh.name}: side effects on {ev.side_effects_tokens} neutral tokens "
                        f"at alpha {best:g}")
        res["side_effects"] = side_effects(
            tgt, _neutral_windows(ctx, ev.side_effects_tokens), side_vecs, best,
            positions=ev.positions)
    g_alpha = ev.generation_alpha if ev.generation_alpha is not None else best
    if ev.generations and opens and g_alpha is not None:
        ctx.hooks.stage(f"{beh.name}: {ev.generations} open-ended generations at alpha "
                        f"{g_alpha:g}")
        res["generations"] = freetext.generations(
            tgt, opens[: ev.generations], side_vecs, g_alpha, ev.generation_tokens,
            system=ctx.system(beh))
        if beh.tone == "vader":
            res["tone"] = freetext.vader_tone(res["generations"])
    res["vectors"] = {"source_lineage": src_vec.lineage, "native_lineage": native.lineage,
                      "transferred_lineage": transferred.lineage,
                      "transfer_method": transfers.method,
                      "carried": carried(transferred),
                      "random_source_carried": {str(k): carried(v) for k, v
                                                in sorted(transfers.controls.items())},
                      "source_relative_norm": src_vec.relative_norm(src_vec.layers[0]),
                      "native_relative_norm": native.relative_norm(lt),
                      "n_generate": len(gen_items)}
    res["vectors"]["files"] = keep_carried(ctx, beh, transferred, transfers.controls)
    res["time_s"] = time.perf_counter() - t0
    write_json(path, res)
    return res
