"""One experiment from a config: bridge → vectors → transfer → evaluation → report.

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
from pathlib import Path
from typing import Any

import torch

from steerbridge.bridge.distributed import barrier, current_shard
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import report
from steerbridge.models.devices import resolve_device
from steerbridge.models.loading import LoadedModel
from steerbridge.run.config import Config, digest
from steerbridge.run.rundir import RunDir, open_run_dir, read_json, write_json
from steerbridge.run.stages import (
    Context,
    Hooks,
    behaviour_items,
    eval_path,
    stage_bridge,
    stage_evaluate,
    stage_pairs,
    stage_source,
)
from steerbridge.version import __version__

__all__ = ["Hooks", "run"]


def run(cfg: Config, run_dir: str | Path | None = None, hooks: Hooks | None = None,
        models: tuple[LoadedModel, LoadedModel] | None = None,
        device: str | torch.device | None = None) -> dict[str, Any]:
    """Run the whole experiment; write results.json, report.html and report.md.

    `models` passes already-loaded (source, target) models (tests, notebooks). A behaviour that
    fails (e.g. answers that are not single tokens) is reported with its error and the other
    behaviours still run. `device` overrides ``models.device``. Under torchrun (process group
    initialised) the bridge's collection is sharded over the ranks and everything after it
    runs on rank 0 alone; the other ranks return ``{"rank": r}``.
    """
    t_start = time.perf_counter()
    hooks = hooks or Hooks()
    shard = current_shard()
    d = open_run_dir(cfg, run_dir) if shard.is_main else Path(run_dir or cfg.run.dir)
    barrier()  # the other ranks write into the run directory only once rank 0 has opened it
    ctx = Context(cfg, d, hooks, device=resolve_device(device) if device is not None else None)
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
    if not shard.is_main:
        return {"rank": shard.rank}
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
    path = RunDir(d).results
    write_json(path, results)
    report.write(read_json(path), d)
    return results


def _bridge_metrics(bridge: Any) -> dict[str, Any]:
    t = bridge.metrics.get("test", {}) or {}
    base = bridge.metrics.get("baselines", {}) or {}
    out = {k: t.get(k) for k in ("r2", "cosine", "centred_cosine", "rel_error")}
    out["mean_predictor_r2"] = (base.get("mean_predictor") or {}).get("r2")
    out["random_map_r2"] = (base.get("random_map") or {}).get("r2")
    return out
