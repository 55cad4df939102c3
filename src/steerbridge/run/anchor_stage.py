"""Per-behaviour anchored bridges: ``[transfer.anchors]``.

A corpus bridge rarely sees the states a steering vector is read from (the end of an answer).
Anchoring adds other A/B datasets' paired answer differences to its fit, each with its
negative, so which answer matches never matters (`steerbridge.bridge.anchors`; RESULTS.md §6,
§7l). Each behaviour gets its own bridge, anchored on every pool dataset that shares no
question with it (leave-one-out), read in the behaviour's own answer format and read position,
so its transfer stays label-free and held out. The corpus moments come from the run's cache
(the bridge stage collected them); each dataset's anchor moments are collected once per format
and cached under ``moments/``; the anchored bridge is cached as a bridge file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.anchors import anchor_moments, pooled
from steerbridge.bridge.collection import collect_pair_moments
from steerbridge.bridge.fitting import describe, with_anchors
from steerbridge.bridge.moments import Moments
from steerbridge.cachekeys import content_key
from steerbridge.errors import SteerbridgeError
from steerbridge.models.devices import stats_device
from steerbridge.run.behaviour_data import BehaviourData, format_items
from steerbridge.run.cache import cached
from steerbridge.run.config import BehaviourConfig, Config
from steerbridge.run.keys import anchors_part, behaviour_data_part
from steerbridge.run.stages import Context, progress_for, run_windows
from steerbridge.vectors import datasets, splits
from steerbridge.vectors.dataset_folders import expand
from steerbridge.vectors.datasets import ABItem, dataset_fingerprint


@dataclass(frozen=True)
class AnchoredBridge:
    """A behaviour's own bridge and what went into it (for results.json)."""

    bridge: Bridge
    record: dict[str, Any]


def anchor_pool(cfg: Config) -> dict[str, list[ABItem]]:
    """{dataset spec: its first ``items`` items} of ``[transfer.anchors] datasets`` (a folder
    gives its dataset files, `steerbridge.vectors.dataset_folders`); a spec that does not load
    fails here, before any model loads."""
    a = cfg.transfer.anchors
    if cfg.bridge.method == "sgd":
        raise SteerbridgeError("[transfer.anchors] refits the bridge from its moments, which "
                               "needs a closed-form [bridge] method (ridge, procrustes or "
                               "lowrank), not sgd: change one of the two.")
    pool: dict[str, list[ABItem]] = {}
    for named in a.datasets:
        for spec in (f for f in expand(named) if f not in pool):  # each file once
            from_folder = "" if spec == named else (
                f" (from the folder {named!r}: list the files you want instead of the folder)")
            try:
                items = list(datasets.load(spec).items[: a.items])
            except SteerbridgeError as err:
                raise SteerbridgeError(f"[transfer.anchors] dataset {spec!r}{from_folder}: "
                                       f"{err}") from None
            if not items:
                raise SteerbridgeError(f"[transfer.anchors] dataset {spec!r} has no usable "
                                       f"items{from_folder}: remove it or give a dataset with "
                                       "A/B items.")
            pool[spec] = items
    return pool


def held_out_pool(pool: dict[str, list[ABItem]], beh: BehaviourConfig,
                  data: BehaviourData) -> dict[str, list[ABItem]]:
    """The pool in `beh`'s format, minus every dataset that is the behaviour (its name or
    built-in) or shares a question with its generate or test items."""
    own = data.generate + data.test
    out: dict[str, list[ABItem]] = {}
    for spec, items in pool.items():
        try:
            formatted = format_items(items, beh)
        except SteerbridgeError as err:
            raise SteerbridgeError(f"[transfer.anchors] dataset {spec!r} cannot be put in "
                                   f"{beh.name}'s answer format: {err}") from None
        if spec in (beh.name, beh.builtin) or splits.overlap(own, formatted):
            continue
        out[spec] = formatted
    return out


def _dataset_moments(ctx: Context, beh: BehaviourConfig, spec: str,
                     items: list[ABItem]) -> Moments:
    """One dataset's ± anchor moments at the run's layer pair, read as `beh`'s vectors are
    (format, system line, read position); cached under ``moments/``."""
    b = ctx.cfg.bridge
    system = ctx.system(beh)
    key = content_key(models=ctx.key("bridge"), items=dataset_fingerprint(items),
                      read=ctx.cfg.vectors.read, layers=[b.source_layer, b.target_layer],
                      format=[beh.scoring, beh.answer_instruction, beh.answer_prefix, system])
    path = ctx.files.moments / f"anchors-{key}.safetensors"
    got = cached(path, Moments.load)
    if got is not None:
        return got
    src, tgt = ctx.models()
    ctx.hooks.stage(f"anchors: answer states of {spec} ({len(items)} items, both models)")
    m, _ = anchor_moments(src, tgt, {spec: items}, [b.source_layer], b.target_layer,
                          system=system, read=ctx.cfg.vectors.read,
                          progress=progress_for(ctx, f"anchor answers: {Path(spec).name}"))
    path.parent.mkdir(parents=True, exist_ok=True)
    m.save(path)
    return m


def stage_anchored_bridge(ctx: Context, bridge: Bridge, beh: BehaviourConfig,
                          data: BehaviourData, pool: dict[str, list[ABItem]]) -> AnchoredBridge:
    """`beh`'s own bridge: the corpus moments plus the held-out pool's anchors."""
    a = ctx.cfg.transfer.anchors
    usable = held_out_pool(pool, beh, data)
    if not usable:
        raise SteerbridgeError(
            f"{beh.name}: every [transfer.anchors] dataset shares questions with this "
            "behaviour, so none can anchor its bridge without seeing it. Add another dataset "
            "to [transfer.anchors] datasets, or remove the section.")
    record: dict[str, Any] = {
        "datasets": {s: {"items": len(it), "dataset_fingerprint": dataset_fingerprint(it),
                         "read": ctx.cfg.vectors.read} for s, it in usable.items()},
        "left_out": sorted(set(pool) - set(usable)), "weight": a.weight}
    key = content_key(bridge=ctx.key("bridge"), anchors=anchors_part(ctx.cfg),
                      used=sorted(usable), data=behaviour_data_part(beh, test=True),
                      read=ctx.cfg.vectors.read, system=ctx.system(beh))
    path = ctx.files.bridge(f"{key}-anchored-{beh.name}")
    src, tgt = ctx.models()
    reused = cached(path, lambda p: Bridge.load(p, src, tgt))
    if reused is None:
        t0 = time.perf_counter()
        per = {s: _dataset_moments(ctx, beh, s, it) for s, it in usable.items()}
        b = ctx.cfg.bridge
        pair = ((b.source_layer,), b.target_layer)
        w = run_windows(ctx)
        stats = collect_pair_moments(src, tgt, w, [pair], cache_dir=ctx.files.moments,
                                     progress=False)[pair].to(stats_device(tgt.device))
        total = pooled(per)
        reused = Bridge.fit_stats(with_anchors(stats, total, a.weight), b.method)
        describe(reused, src, tgt, w, target_scale=bridge.target_scale)
        reused.provenance["anchors"] = {**record, "pairs": total.count // 2,
                                        "corpus_train_tokens": stats.train.count}
        reused.save(path)
        ctx.timings[f"anchored_bridge_{beh.name}_s"] = time.perf_counter() - t0
    ctx.hooks.stage(f"{beh.name}: bridge anchored on {', '.join(usable)} "
                    f"(validation R² {reused.metrics.get('val_r2', float('nan')):.3f})")
    record.update(file=path.name, val_r2=reused.metrics.get("val_r2"),
                  test_r2=(reused.metrics.get("test") or {}).get("r2"))
    return AnchoredBridge(reused, record)


def anchor_note(record: dict[str, Any]) -> str:
    """One line for the report: which datasets a behaviour's bridge was anchored on, which were
    left out, the weight and the anchored fit's validation R²."""
    def short(spec: str) -> str:  # a file by its folder and name (CAA files share a name)
        p = Path(spec)
        return spec if len(p.parts) == 1 else f"{p.parent.name}/{p.name}"

    used = ", ".join(short(s) for s in record.get("datasets") or {})
    left = ", ".join(short(s) for s in record.get("left_out") or []) or "none"
    r2 = record.get("val_r2")
    fit = f"validation R² {r2:.3f}" if isinstance(r2, (int, float)) else "validation R² ?"
    return (f"bridge anchored on {len(record.get('datasets') or {})} dataset(s): {used} "
            f"(left out, being this behaviour or sharing a question with it: {left}; weight "
            f"{record.get('weight')}; {fit})")
