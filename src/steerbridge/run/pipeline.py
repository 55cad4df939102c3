"""One experiment from a config: bridge → vectors → transfer → evaluation → report.

The transfer method is ``[transfer] method`` (``run.transfer_config``); ``effect`` and ``blend``
(and ``select`` with either among its candidates) first fit the effect-matched bridge
(``run.effect_stage``), and every method's vector is evaluated beside random target directions
and random source vectors pushed through it.

The stages (``run.stages``) cache their artifacts in the run directory (``run.rundir``), so a
rerun with a changed evaluation setting reuses the bridge and the vectors. This module runs
them in order (all source-side work first, so the source model can be freed before the long
target work) and writes ``results.json``, ``report.html`` and ``report.md``.

In Python::

    from steerbridge.run import config, pipeline
    results = pipeline.run(config.demo_config(quick=True))
"""

from __future__ import annotations

import datetime as _dt
import gc
import time
from functools import partial
from pathlib import Path
from typing import Any

import torch

from steerbridge.bridge.distributed import barrier, current_shard
from steerbridge.bridge.scoring import thin_fit_warning
from steerbridge.evaluation import report
from steerbridge.models.devices import resolve_device
from steerbridge.models.loading import LoadedModel
from steerbridge.run.anchor_stage import anchor_note, anchor_pool, stage_anchored_bridge
from steerbridge.run.behaviour_data import behaviour_data
from steerbridge.run.config import Config, digest
from steerbridge.run.effect_stage import (
    effect_summary,
    fitted_effect,
    prepare_effect,
    stage_effect,
)
from steerbridge.run.keys import corpus_part
from steerbridge.run.outcomes import Outcomes
from steerbridge.run.rundir import RunDir, check_run_dir, open_run_dir, read_json, write_json
from steerbridge.run.stages import (
    Context,
    Hooks,
    cached_evaluation,
    eval_path,
    stage_bridge,
    stage_evaluate,
    stage_pairs,
    stage_source,
)
from steerbridge.run.transfer_stage import method_inputs, stage_transfer
from steerbridge.version import __version__

__all__ = ["Hooks", "run"]


def run(cfg: Config, run_dir: str | Path | None = None, hooks: Hooks | None = None,
        models: tuple[LoadedModel, LoadedModel] | None = None,
        device: str | torch.device | None = None) -> dict[str, Any]:
    """Run the whole experiment; write results.json, report.html and report.md.

    `models` passes already-loaded (source, target) models (tests, notebooks). A behaviour that
    fails (a bad file, answers that are not single tokens...) is reported with its reason and
    the other behaviours still run; ``results["failed"]`` names the failures. Warnings (a
    corrupt cache set aside, repeated items, too few test items, collapsed outputs) are shown
    through `hooks` and kept in ``results["warnings"]`` and each behaviour's ``warnings``.
    `device` overrides ``models.device``. Under torchrun (process group initialised) the
    bridge's collection is sharded over the ranks and everything after it runs on rank 0
    alone; the other ranks return ``{"rank": r}``.
    """
    t_start = time.perf_counter()
    hooks = hooks or Hooks()
    out = Outcomes(hooks.stage)
    with out.capturing():
        return _run(cfg, run_dir, hooks, models, out, t_start, device)


def _run(cfg: Config, run_dir: str | Path | None, hooks: Hooks,
         models: tuple[LoadedModel, LoadedModel] | None, out: Outcomes,
         t_start: float, device: str | torch.device | None) -> dict[str, Any]:
    shard = current_shard()
    d0 = check_run_dir(cfg, run_dir) if shard.is_main else Path(run_dir or cfg.run.dir)
    ctx = Context(cfg, d0, hooks, device=resolve_device(device) if device is not None else None)
    corpus_part(cfg.bridge.corpus)  # a missing corpus file fails before the models load
    pool = anchor_pool(cfg) if cfg.transfer.anchors.datasets else None  # so does an anchor
    if models is not None:
        ctx.source, ctx.target = models
    src, tgt = ctx.models()
    d, notes = open_run_dir(cfg, ctx.run_dir, ctx.ids) if shard.is_main else (d0, [])
    barrier()  # the other ranks write into the run directory only once rank 0 has opened it
    for note in notes:
        out.warn(note)
    model_info = {"dtype": str(tgt.dtype).replace("torch.", ""),
                  "source": {"name": src.name, "fingerprint": src.fingerprint,
                             "layer": cfg.bridge.source_layer},
                  "target": {"name": tgt.name, "fingerprint": tgt.fingerprint,
                             "layer": cfg.bridge.target_layer}}
    del src, tgt
    loaded = {b.name: out.attempt(b.name, partial(behaviour_data, b)) for b in cfg.behaviours}
    ready = [b for b in cfg.behaviours if loaded[b.name] is not None]
    bridge = stage_bridge(ctx) if ready else None  # no behaviour left: no bridge to fit
    if not shard.is_main:
        return {"rank": shard.rank}
    if bridge is not None and (thin := thin_fit_warning(
            bridge.metrics.get("n_train"), bridge.d_source,
            (bridge.metrics.get("test") or {}).get("r2"))):
        out.warn(thin)
    pairs = stage_pairs(ctx) if ready else None
    probes = prepare_effect(ctx, [x for b in ready if (x := loaded[b.name]) is not None]) \
        if ready and cfg.transfer.needs_effect else None
    effect: list[Any] = []  # fitted (or read back) when the first behaviour needs it

    own_bridge: dict[str, Any] = {}  # behaviour → its anchored bridge ([transfer.anchors])

    def transfers(beh: Any, data: Any, src_vec: Any) -> Any:
        assert bridge is not None
        if probes is not None and not effect:
            effect.append(stage_effect(ctx, bridge, probes))
        own, record = bridge, None
        if pool is not None:
            anchored = stage_anchored_bridge(ctx, bridge, beh, data, pool)
            own, record = anchored.bridge, anchored.record
        own_bridge[beh.name] = own
        return stage_transfer(ctx, beh, own, effect[0] if effect else None,
                              method_inputs(ctx, own, src_vec, data, beh), record)

    behaviours: dict[str, Any] = {}
    pending: dict[str, tuple[Any, ...]] = {}
    for beh in ready:  # source-side work first, then the source model can go
        data = loaded[beh.name]
        assert data is not None
        done = out.attempt(beh.name, partial(cached_evaluation, ctx, beh))
        if done is not None:
            ctx.hooks.stage(f"{beh.name}: reusing {eval_path(ctx, beh).name}")
            behaviours[beh.name] = (data, done)
            continue
        source = out.attempt(beh.name, partial(stage_source, ctx, beh, data.generate, data.test))
        moved = out.attempt(beh.name, partial(transfers, beh, data, source[0])) \
            if source is not None else None
        if source is not None and moved is not None:
            pending[beh.name] = (beh, data, *source, moved)
    if models is None:
        ctx.source = None  # free the source model's memory before the long target work
        gc.collect()
    for beh in cfg.behaviours:
        if beh.name in pending:
            res = out.attempt(beh.name, partial(stage_evaluate, ctx,
                                                own_bridge.get(beh.name, bridge),
                                                *pending[beh.name]))
            if res is not None:
                behaviours[beh.name] = (pending[beh.name][1], res)
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
                   "metrics": _bridge_metrics(bridge)} if bridge is not None else None,
        "pairs": pairs,
        "transfer": {"method": cfg.transfer.method,
                     "random_source_seeds": cfg.transfer.random_source_seeds,
                     **({"select": cfg.transfer.select.model_dump()}
                        if cfg.transfer.method == "select" else {}),
                     "effect_bridge": effect_summary(effect[0] if effect else fitted_effect(ctx))},
        "behaviours": _behaviour_results(cfg, behaviours, out),
        "failed": {n: f["error"] for n, f in out.failures.items()},
        "warnings": out.warnings.get("", []),
        "timings": ctx.timings,
    }
    path = RunDir(d).results
    write_json(path, results)
    report.write(read_json(path), d)
    return results


def _behaviour_results(cfg: Config, done: dict[str, tuple[Any, dict[str, Any]]],
                       out: Outcomes) -> dict[str, Any]:
    """Each behaviour's evaluation (or its error), with its warnings and data notes."""
    results: dict[str, Any] = {}
    for beh in cfg.behaviours:
        if beh.name in done:
            data, res = done[beh.name]
            out.check_result(beh.name, res)
            anchored = [anchor_note(res["anchors"])] if res.get("anchors") else []
            res = {**res, "notes": data.notes + anchored}
        else:
            fail = out.failures.get(beh.name, {"error": "no result"})
            res = {"errors": [fail["error"]], **({"traceback": fail["traceback"]}
                                                  if "traceback" in fail else {})}
        res["warnings"] = out.warnings.get(beh.name, [])
        results[beh.name] = res
    return results


def _bridge_metrics(bridge: Any) -> dict[str, Any]:
    t = bridge.metrics.get("test", {}) or {}
    base = bridge.metrics.get("baselines", {}) or {}
    out = {k: t.get(k) for k in ("r2", "cosine", "centred_cosine", "rel_error")}
    out["mean_predictor_r2"] = (base.get("mean_predictor") or {}).get("r2")
    out["random_map_r2"] = (base.get("random_map") or {}).get("r2")
    return out
