"""One experiment from a config: bridge → vectors → transfer → evaluation → report.

Every stage is cached in the run directory under a key made of exactly the settings it reads
(`config.stage_hash`), so a rerun with a changed evaluation setting reuses the bridge and the
vectors, and nothing made under other settings is ever picked up::

    RUN_DIR/
      run.json                     identity (the models) and the history of configs run here
      config.json                  the config of the latest run
      moments/                     hidden-state statistics (resumable)
      bridge-<hash>.safetensors
      pairs-<hash>.json            layer-pair screen (if asked)
      vectors/<behaviour>-<hash>-{source,native}.safetensors
      eval/<behaviour>-<hash>.json
      results.json, report.html, report.md

A run directory made for other models is refused (start a new one with another ``run.dir``).

In Python::

    from steerbridge.run import config, pipeline
    results = pipeline.run(config.demo_config(quick=True))
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steerbridge import __version__
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import metrics
from steerbridge.models.loading import LoadedModel
from steerbridge.run.config import Config, digest, stage_hash

RUN_FORMAT = "steerbridge.run"


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
    timings: dict[str, float] = field(default_factory=dict)

    def models(self) -> tuple[LoadedModel, LoadedModel]:
        if self.source is None or self.target is None:
            from steerbridge.models.dtypes import resolve_dtype
            from steerbridge.models.loading import load

            t0 = time.perf_counter()
            dtype = resolve_dtype(self.cfg.models.dtype)
            self.hooks.stage(f"loading {self.cfg.models.source} and {self.cfg.models.target} "
                             f"({str(dtype).replace('torch.', '')})")
            self.source = load(self.cfg.models.source, dtype=dtype)
            self.target = load(self.cfg.models.target, dtype=dtype)
            self.timings["load_models_s"] = time.perf_counter() - t0
        return self.source, self.target


# ----------------------------------------------------------------------------- run dir


def identity(cfg: Config) -> str:
    """What a run directory is bound to: the two models and their dtype."""
    return digest(cfg.to_dict()["models"])


def open_run_dir(cfg: Config, run_dir: str | Path | None = None) -> Path:
    """Create or reuse the run directory; refuse one that belongs to other models."""
    d = Path(run_dir) if run_dir is not None else cfg.run.dir
    d.mkdir(parents=True, exist_ok=True)
    meta_path = d / "run.json"
    ident = identity(cfg)
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != RUN_FORMAT:
            raise SteerbridgeError(f"{d} holds a run.json that is not a steerbridge run; choose "
                                   "another run directory.")
        if meta.get("identity") != ident:
            raise SteerbridgeError(
                f"Run directory {d} belongs to another experiment: models "
                f"{meta.get('models')} (identity {meta.get('identity')}), but this config uses "
                f"{cfg.to_dict()['models']} (identity {ident}). Nothing was changed; set "
                "[run] dir (or --run-dir) to a new directory."
            )
    else:
        if any(d.iterdir()):
            raise SteerbridgeError(f"{d} is not empty and is not a steerbridge run directory; "
                                   "choose a new or empty directory.")
        meta = {"format": RUN_FORMAT, "identity": ident, "models": cfg.to_dict()["models"],
                "history": []}
    meta["history"].append({"config_hash": digest(cfg.to_dict()),
                            "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")})
    meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    (d / "config.json").write_text(json.dumps(cfg.to_dict(), indent=1), encoding="utf-8")
    return d


def _atomic_json(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(metrics.nan_to_none(obj), indent=1, allow_nan=False),
                   encoding="utf-8")
    tmp.replace(path)


# ------------------------------------------------------------------------------ stages


def _corpus_spec(cfg: Config) -> list[str]:
    return ["default" if c == "builtin" else c for c in cfg.bridge.corpus]


def _windows(ctx: Context) -> Any:
    from steerbridge.bridge.corpus import load_corpus, tokenize

    src, _ = ctx.models()
    b = ctx.cfg.bridge
    return tokenize(load_corpus(_corpus_spec(ctx.cfg)), src.tokenizer, window=b.window,
                    max_tokens=b.max_tokens)


def stage_bridge(ctx: Context) -> Any:
    """Fit (or load) the bridge of the configured layer pair."""
    from steerbridge.bridge.affine import Bridge, fit_bridge

    src, tgt = ctx.models()
    path = ctx.run_dir / f"bridge-{stage_hash(ctx.cfg, 'bridge')}.safetensors"
    if path.exists():
        ctx.hooks.stage(f"bridge: reusing {path.name}")
        return Bridge.load(path, src, tgt)
    b = ctx.cfg.bridge
    t0 = time.perf_counter()
    ctx.hooks.stage(f"bridge: fitting layer {b.source_layer} → {b.target_layer} "
                    f"({b.method}, up to {b.max_tokens:,} tokens)")
    windows = _windows(ctx)
    bar = _bar(ctx, "hidden states (both models)")
    bridge = fit_bridge(src, tgt, windows, source_layers=b.source_layer,
                        target_layer=b.target_layer, method=b.method, max_tokens=b.max_tokens,
                        cache_dir=ctx.run_dir / "moments", progress=bar, window=b.window)
    bridge.save(path)
    ctx.timings["bridge_s"] = time.perf_counter() - t0
    return bridge


def _bar(ctx: Context, desc: str) -> Callable[[int, int], None]:
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
    path = ctx.run_dir / f"pairs-{stage_hash(ctx.cfg, 'bridge')}.json"
    if path.exists():
        ctx.hooks.stage(f"pairs: reusing {path.name}")
        return dict(json.loads(path.read_text(encoding="utf-8")))
    from steerbridge.bridge.pairs import screen

    src, tgt = ctx.models()
    t0 = time.perf_counter()
    ctx.hooks.stage(f"pairs: screening {src.num_layers} × {tgt.num_layers} layer pairs on "
                    f"{b.screen_tokens:,} tokens")
    scr = screen(src, tgt, _windows(ctx), sample_tokens=b.screen_tokens,
                 progress=_bar(ctx, "layer-pair screen"))
    out = {"source_layers": scr.source_layers, "target_layers": scr.target_layers,
           "scores": scr.r2.tolist(), "cka": scr.cka.tolist(), "metric": "held-out ridge R²",
           "chosen": [b.source_layer, b.target_layer], "n_train": scr.n_train}
    _atomic_json(path, out)
    ctx.timings["pairs_s"] = time.perf_counter() - t0
    return out


def behaviour_items(beh: Any) -> tuple[list[Any], list[Any], list[str]]:
    """(generate items, test items, open-ended prompts) of one configured behaviour."""
    from steerbridge.vectors import datasets

    if beh.builtin is not None:
        gen, test = datasets.builtin(beh.builtin)
        try:
            opens = datasets.builtin_open_prompts(beh.builtin)
        except (SteerbridgeError, FileNotFoundError):
            opens = []
    else:
        gen, test = list(datasets.load(beh.generate)), list(datasets.load(beh.test))
        opens = []
    if beh.open_ended is not None:
        raw = json.loads(Path(beh.open_ended).read_text(encoding="utf-8"))
        opens = [r["question"] if isinstance(r, dict) else str(r) for r in raw]
    if beh.max_generate:
        gen = gen[: beh.max_generate]
    if beh.max_test:
        test = test[: beh.max_test]
    return gen, test, opens


def stage_vector(ctx: Context, beh: Any, gen_items: list[Any], role: str) -> Any:
    """Extract (or load) the ``source`` vector or the target's ``native`` vector."""
    from steerbridge.vectors.vector import SteeringVector, extract

    lm = ctx.source if role == "source" else ctx.target
    assert lm is not None
    layer = ctx.cfg.bridge.source_layer if role == "source" else ctx.cfg.bridge.target_layer
    h = stage_hash(ctx.cfg, "vectors", beh.name)
    path = ctx.run_dir / "vectors" / f"{beh.name}-{h}-{role}.safetensors"
    if path.exists():
        return SteeringVector.load(path, lm)
    t0 = time.perf_counter()
    scales = layer_scales(ctx, lm, layer)
    ctx.hooks.stage(f"{beh.name}: extracting the {role} vector on {lm.name} layer {layer} "
                    f"from {len(gen_items)} items")
    vec = extract(lm, gen_items, [layer], ctx.cfg.vectors.method,
                  system=ctx.cfg.vectors.system_prompt, dataset_name=beh.name, scales=scales,
                  read=ctx.cfg.vectors.read)
    vec.save(path)
    ctx.timings[f"vectors_{beh.name}_{role}_s"] = time.perf_counter() - t0
    return vec


def layer_scales(ctx: Context, lm: LoadedModel, layer: int) -> dict[int, float]:
    """A layer's median token norm, measured once per model and layer and kept in the run dir
    (it does not depend on the behaviour)."""
    from steerbridge.vectors.vector import measure_scales

    path = ctx.run_dir / "scales.json"
    known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    key = f"{lm.fingerprint}:{layer}"
    if key not in known:
        ctx.hooks.stage(f"measuring the typical token norm of {lm.name} layer {layer}")
        known[key] = measure_scales(lm, [layer])[layer]
        _atomic_json(path, known)
    return {layer: float(known[key])}


def stage_source(ctx: Context, beh: Any, gen_items: list[Any], test_items: list[Any]
                 ) -> tuple[Any, dict[str, Any] | None]:
    """Source-side work of one behaviour: its vector and (if asked) the source reference sweep.

    Done for every behaviour before the target work so the source model can then be freed
    (two float32 models and a colleague's job do not fit in 24 GB together).
    """
    from steerbridge.evaluation import ab as evaluate

    src_vec = stage_vector(ctx, beh, gen_items, "source")
    ev = ctx.cfg.evaluation
    if not ev.source_reference:
        return src_vec, None
    path = ctx.run_dir / "eval" / (f"{beh.name}-{stage_hash(ctx.cfg, 'evaluation', beh.name)}"
                                   "-source.json")
    if path.exists():
        return src_vec, dict(json.loads(path.read_text(encoding="utf-8")))
    assert ctx.source is not None
    t0 = time.perf_counter()
    ctx.hooks.stage(f"{beh.name}: source reference, {len(test_items)} items × "
                    f"{len(ev.alphas)} alphas on {ctx.source.name}")
    advance = ctx.hooks.task(f"{beh.name}: source sweep", len(test_items) * len(ev.alphas))
    res = evaluate.source_sweep(ctx.source, test_items, src_vec, ev.alphas, ev.batch_size,
                                ev.positions, ctx.cfg.vectors.system_prompt, advance)
    ctx.timings[f"source_{beh.name}_s"] = time.perf_counter() - t0
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_json(path, res)
    return src_vec, res


def _neutral_windows(ctx: Context, n_tokens: int) -> list[list[int]]:
    from steerbridge.bridge.corpus import load_corpus, tokenize

    tok = (ctx.target or ctx.models()[1]).tokenizer
    w = tokenize(load_corpus("default"), tok, window=128, max_tokens=n_tokens * 4)
    plain = [ids for ids, s in zip(w.ids, w.source, strict=True) if s == "plain"]
    out, total = [], 0
    for ids in plain:
        if total >= n_tokens:
            break
        out.append(ids)
        total += len(ids)
    return out


def eval_path(ctx: Context, beh: Any) -> Path:
    return ctx.run_dir / "eval" / f"{beh.name}-{stage_hash(ctx.cfg, 'evaluation', beh.name)}.json"


def stage_evaluate(ctx: Context, bridge: Any, beh: Any, gen_items: list[Any],
                   test_items: list[Any], opens: list[str], src_vec: Any,
                   source_conditions: dict[str, Any] | None) -> dict[str, Any]:
    """Evaluate one behaviour under every condition on the target; cached as JSON."""
    from steerbridge.bridge.transfer import transfer
    from steerbridge.evaluation import ab as evaluate
    from steerbridge.vectors.vector import random_like

    ev = ctx.cfg.evaluation
    path = eval_path(ctx, beh)
    if path.exists():
        ctx.hooks.stage(f"{beh.name}: reusing {path.name}")
        return dict(json.loads(path.read_text(encoding="utf-8")))
    tgt = ctx.target
    assert tgt is not None
    native = stage_vector(ctx, beh, gen_items, "native")
    lt = ctx.cfg.bridge.target_layer
    scale = native.scales[lt]
    transferred = transfer(bridge, src_vec, with_bias=False, target_scale=scale)
    bias = transfer(bridge, src_vec, with_bias=True, target_scale=scale) \
        if ev.bias_variant else None
    t0 = time.perf_counter()
    n_vec = 2 + (bias is not None) + len(ev.random_seeds)
    total = len(test_items) * len(ev.alphas) * n_vec
    ctx.hooks.stage(f"{beh.name}: A/B sweep, {len(test_items)} items × {len(ev.alphas)} alphas "
                    f"× {n_vec} target conditions")
    advance = ctx.hooks.task(f"{beh.name}: A/B sweep", total)
    res = evaluate.evaluate_behaviour(
        tgt, test_items, native, transferred, ev.alphas, transferred_bias=bias,
        random_seeds=ev.random_seeds, batch_size=ev.batch_size, positions=ev.positions,
        system=ctx.cfg.vectors.system_prompt, n_boot=ev.n_boot, progress=advance,
        source_conditions=source_conditions)
    ctx.timings[f"eval_{beh.name}_s"] = time.perf_counter() - t0
    res["errors"] = []
    best = res["summary"]["best_alpha"]
    rnd = random_like(transferred, seed=int(ev.random_seeds[0])) if ev.random_seeds else None
    side_vecs = {"native": native, "transferred": transferred}
    if rnd is not None:
        side_vecs[f"random:{ev.random_seeds[0]}"] = rnd
    if ev.side_effects_tokens and best is not None:
        ctx.hooks.stage(f"{beh.name}: side effects on {ev.side_effects_tokens} neutral tokens "
                        f"at alpha {best:g}")
        res["side_effects"] = evaluate.side_effects(
            tgt, _neutral_windows(ctx, ev.side_effects_tokens), side_vecs, best,
            positions=ev.positions)
    g_alpha = ev.generation_alpha if ev.generation_alpha is not None else best
    if ev.generations and opens and g_alpha is not None:
        ctx.hooks.stage(f"{beh.name}: {ev.generations} open-ended generations at alpha "
                        f"{g_alpha:g}")
        res["generations"] = evaluate.generations(
            tgt, opens[: ev.generations], side_vecs, g_alpha, ev.generation_tokens,
            system=ctx.cfg.vectors.system_prompt)
        if beh.tone == "vader":
            res["tone"] = evaluate.vader_tone(res["generations"])
    res["vectors"] = {"source_lineage": src_vec.lineage, "native_lineage": native.lineage,
                      "transferred_lineage": transferred.lineage,
                      "source_relative_norm": src_vec.relative_norm(src_vec.layers[0]),
                      "native_relative_norm": native.relative_norm(lt),
                      "n_generate": len(gen_items)}
    res["time_s"] = time.perf_counter() - t0
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_json(path, res)
    return res


# -------------------------------------------------------------------------------- run


def run(cfg: Config, run_dir: str | Path | None = None, hooks: Hooks | None = None,
        models: tuple[LoadedModel, LoadedModel] | None = None) -> dict[str, Any]:
    """Run the whole experiment; write results.json, report.html and report.md.

    `models` passes already-loaded (source, target) models (tests, notebooks). A behaviour that
    fails (e.g. answers that are not single tokens) is reported with its error and the other
    behaviours still run.
    """
    from steerbridge.evaluation import report

    t_start = time.perf_counter()
    hooks = hooks or Hooks()
    d = open_run_dir(cfg, run_dir)
    ctx = Context(cfg, d, hooks)
    if models is not None:
        ctx.source, ctx.target = models
    src, tgt = ctx.models()
    model_info = {"dtype": str(tgt.dtype).replace("torch.", ""),
                  "source": {"name": src.name, "fingerprint": src.fingerprint,
                             "layer": cfg.bridge.source_layer},
                  "target": {"name": tgt.name, "fingerprint": tgt.fingerprint,
                             "layer": cfg.bridge.target_layer}}
    del src, tgt
    bridge = stage_bridge(ctx)
    pairs = stage_pairs(ctx)
    behaviours: dict[str, Any] = {}
    pending: dict[str, tuple[Any, ...]] = {}
    for beh in cfg.behaviours:  # source-side work first, then the source model can go
        try:
            gen, test, opens = behaviour_items(beh)
            if eval_path(ctx, beh).exists():
                pending[beh.name] = (beh, gen, test, opens, None, None)
                continue
            src_vec, src_conds = stage_source(ctx, beh, gen, test)
            pending[beh.name] = (beh, gen, test, opens, src_vec, src_conds)
        except SteerbridgeError as err:
            hooks.stage(f"{beh.name}: FAILED: {err}")
            behaviours[beh.name] = {"errors": [str(err)]}
    if models is None:
        ctx.source = None  # free the source model's memory before the long target work
        gc.collect()
    for beh in cfg.behaviours:
        if beh.name not in pending:
            continue
        try:
            behaviours[beh.name] = stage_evaluate(ctx, bridge, *pending[beh.name])
        except SteerbridgeError as err:
            hooks.stage(f"{beh.name}: FAILED: {err}")
            behaviours[beh.name] = {"errors": [str(err)]}
    behaviours = {b.name: behaviours[b.name] for b in cfg.behaviours if b.name in behaviours}
    ctx.timings["total_s"] = time.perf_counter() - t_start
    results = {
        "format": "steerbridge.results", "steerbridge_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "config": cfg.to_dict(), "config_hash": digest(cfg.to_dict()),
        "run_dir": str(d),
        "models": model_info,
        "bridge": {"source_layer": cfg.bridge.source_layer,
                   "target_layer": cfg.bridge.target_layer, "method": bridge.method,
                   "n_tokens": bridge.metrics.get("n_train"),
                   "metrics": _bridge_metrics(bridge)},
        "pairs": pairs,
        "behaviours": behaviours,
        "timings": ctx.timings,
    }
    _atomic_json(d / "results.json", results)
    report.write(json.loads((d / "results.json").read_text(encoding="utf-8")), d)
    return results


def _bridge_metrics(bridge: Any) -> dict[str, Any]:
    t = bridge.metrics.get("test", {}) or {}
    base = bridge.metrics.get("baselines", {}) or {}
    out = {k: t.get(k) for k in ("r2", "cosine", "centred_cosine", "rel_error")}
    out["mean_predictor_r2"] = (base.get("mean_predictor") or {}).get("r2")
    out["random_map_r2"] = (base.get("random_map") or {}).get("r2")
    return out
