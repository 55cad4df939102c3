"""Fit a bridge between two loaded models: collect once over a corpus, fit, score, describe.

`fit_bridge` takes either ready token `Windows` (what the pipeline and the CLI pass: they
tokenize once and reuse the windows) or a corpus spec that it tokenizes itself with `window`
and `max_tokens`; never both ways at once. It runs both models over the windows once (cached,
`steerbridge.bridge.collection`), optionally adds answer-state anchors
(`steerbridge.bridge.anchors`), fits with `Bridge.fit` and fills in the provenance
(`describe`), including the target layer's scale so that `Bridge.transfer` needs no model.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.anchors import anchor_moments, weighted
from steerbridge.bridge.builtin_corpus import BUILTIN_CORPUS
from steerbridge.bridge.collection import collect_pair_moments, collect_pair_rows
from steerbridge.bridge.corpus import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_WINDOW,
    Windows,
    check_tokenizers,
    load_corpus,
    tokenize,
)
from steerbridge.bridge.distributed import current_shard
from steerbridge.bridge.moments import Moments
from steerbridge.bridge.pairstats import PairStats
from steerbridge.errors import SteerbridgeError
from steerbridge.models.devices import stats_device
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.scales import measure_scales


def corpus_windows(corpus: Any, tokenizer: Any, window: int | None = None,
                   max_tokens: int | None = None) -> Windows:
    """`corpus` as token windows: ready `Windows` as they are, anything else tokenized.

    A corpus spec (anything `load_corpus` takes) is cut with `window` and `max_tokens`
    (defaults `DEFAULT_WINDOW`, `DEFAULT_MAX_TOKENS`). Ready windows were cut already: a
    `window` or `max_tokens` given with them must be the one they were cut with, else this
    raises instead of ignoring it.
    """
    if not isinstance(corpus, Windows):
        return tokenize(load_corpus(corpus), tokenizer,
                        window=DEFAULT_WINDOW if window is None else window,
                        max_tokens=DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens)
    asked = {"window": window, "max_tokens": max_tokens}
    clash = {k: v for k, v in asked.items() if v is not None and v != getattr(corpus, k)}
    if clash:
        cut = ", ".join(f"{k}={getattr(corpus, k)}" for k in clash)
        given = ", ".join(f"{k}={v}" for k, v in clash.items())
        raise SteerbridgeError(
            f"fit_bridge got ready token windows (cut with {cut}; None: unknown) and also "
            f"{given}, which only apply to a corpus spec. Pass the windows alone, or a corpus "
            "spec with its window and max_tokens."
        )
    return corpus


def fit_bridge(
    source: LoadedModel,
    target: LoadedModel,
    corpus: Any = BUILTIN_CORPUS,
    source_layers: int | Sequence[int] = 12,
    target_layer: int = 14,
    method: str = "ridge",
    max_tokens: int | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress = True,
    window: int | None = None,
    batch_size: int = 8,
    outlier_factor: float = 5.0,
    anchors: Mapping[str, Sequence[ABItem]] | None = None,
    anchor_weight: float = 1.0,
    anchor_read: str = "answer_letter",
    batch_tokens: int | None = None,
    **fit_options: Any,
) -> Bridge:
    """Run both models once over `corpus` (cached), fit and score a bridge.

    `corpus`: ready `Windows`, or anything `load_corpus` takes (``"builtin"``, a path, ...),
    then cut into windows of `window` tokens, `max_tokens` in all (see `corpus_windows`:
    with ready windows these two must be left out or match them).
    `anchors` ({name: A/B items}) adds their paired answer-state differences to the fit with
    total weight `anchor_weight` × the corpus tokens (`steerbridge.bridge.anchors`), read at
    `anchor_read` (answer_letter or answer_text); the held-out metrics stay on corpus tokens.
    `fit_options` go to `Bridge.fit` (``lam``, ``rank``, ``sgd_options``, ...).
    `batch_tokens` batches by padded tokens instead of `batch_size` windows (GPUs).

    Devices: states are summed and the map is solved on the target's device (the CPU where it
    has no float64). Under torchrun the collection is sharded over the ranks and its sums
    all-reduced (`steerbridge.bridge.distributed`); every rank then fits the same bridge from
    the same totals (a fraction of a second) and the caller lets rank 0 write it.
    """
    check_tokenizers(source.tokenizer, target.tokenizer, source.name, target.name)
    layers = [source_layers] if isinstance(source_layers, int) else list(source_layers)
    for layer in layers:
        source.check_layer(layer)
    target.check_layer(target_layer)
    windows = corpus_windows(corpus, source.tokenizer, window, max_tokens)
    pair = (tuple(layers), target_layer)
    if anchors and method == "sgd":
        raise SteerbridgeError("Anchors need a closed-form method (ridge, procrustes or lowrank); "
                               "drop the anchors or choose another method.")
    if anchors and (not math.isfinite(anchor_weight) or anchor_weight < 0):
        raise SteerbridgeError(f"Anchor weight must be a finite number ≥ 0, got {anchor_weight}.")
    if method == "sgd" and current_shard().distributed:
        raise SteerbridgeError("method='sgd' trains on raw rows, which do not shard over "
                               "torchrun ranks: run it in one process, or use ridge.")
    anchor_record: dict[str, Any] | None = None
    dev = stats_device(target.device)
    collect: dict[str, Any] = {"batch_tokens": batch_tokens, "cache_dir": cache_dir,
                               "progress": progress}
    if method == "sgd":
        x, y = collect_pair_rows(source, target, windows, pair, "train", batch_size,
                                 outlier_factor, progress, batch_tokens)
        stats = collect_pair_moments(source, target, windows, [pair], batch_size, outlier_factor,
                                     **collect)[pair]
        bridge = Bridge.fit((x, y), stats.val, "sgd",
                            test=(stats.test_x, stats.test_y, stats.test_source),
                            source_layers=layers, target_layer=target_layer, device=dev,
                            **fit_options)
        bridge.metrics["dropped"] = dict(stats.dropped)
    else:
        stats = collect_pair_moments(source, target, windows, [pair], batch_size, outlier_factor,
                                     **collect)[pair].to(dev)
        if anchors:
            am, datasets = anchor_moments(source, target, anchors, layers, target_layer,
                                          progress=progress is True, read=anchor_read)
            anchor_record = {"datasets": datasets, "weight": anchor_weight,
                             "pairs": am.count // 2, "corpus_train_tokens": stats.train.count}
            stats = with_anchors(stats, am, anchor_weight)
        bridge = Bridge.fit_stats(stats, method, **fit_options)
    describe(bridge, source, target, windows)
    if anchor_record is not None:
        bridge.provenance["anchors"] = anchor_record
    return bridge


def with_anchors(stats: PairStats, anchors: Moments, weight: float) -> PairStats:
    """`stats` with `anchors` added to its training sums, their total weight `weight` × the
    corpus training tokens; validation and test stay corpus tokens."""
    return dataclasses.replace(stats, train=stats.train + weighted(anchors, stats.train.count,
                                                                   weight))


def describe(bridge: Bridge, source: LoadedModel, target: LoadedModel, windows: Windows,
             target_scale: float | None = None) -> None:
    """Fill in a bridge's provenance from its models and corpus windows, and store the target
    layer's scale (measured once on the fixed calibration text unless given), so that
    `Bridge.transfer` needs no model."""
    if target_scale is None:
        target_scale = measure_scales(target, [bridge.target_layer])[bridge.target_layer]
    bridge.target_scale = float(target_scale)
    bridge.source_name, bridge.target_name = source.name, target.name
    bridge.source_fingerprint, bridge.target_fingerprint = source.fingerprint, target.fingerprint
    bridge.provenance = {
        "corpus": windows.corpus_name, "corpus_windows_fingerprint": windows.fingerprint,
        "corpus_tokens": windows.n_tokens, "windows": len(windows),
        "chat_header_tokens": windows.header_tokens,
        "layer_convention": "layer l = output of decoder block l = HF hidden_states[l+1]",
        "dtype": str(source.dtype).replace("torch.", ""),
    }
