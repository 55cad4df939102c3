"""Collect paired hidden states of two models over token windows into `Moments`, cached.

`collect_pair_moments` feeds the same token ids to the source and the target model once
(`pair_batches`) and fills, for every requested (source layers, target layer) pair, train /
val `Moments` plus a capped sample of raw test-split rows for the metrics that need single
tokens (cosine): a `PairStats`. Fit tokens are every real token from ``windows.skip[i]`` on
(position 0 and the repeated chat header left out), minus outlier-norm tokens.

Devices: each model's states come back on its own device, are moved to the target's
`stats_device` (the GPU itself; the CPU where float64 is missing) and summed there in float64;
raw test rows go to the CPU. Batches hold `batch_size` windows, or as many as fit in
`batch_tokens` padded tokens. Under torchrun (`steerbridge.bridge.distributed`) each rank runs
the batches ``rank::world`` and the sums are all-reduced once at the end.

With a cache folder, each pair's statistics are stored under a content key
(`steerbridge.cachekeys`: model fingerprints, layers, the corpus windows' fingerprint, token
count, token filter); a run that is interrupted keeps a checkpoint and resumes where it
stopped (each rank from its own file). `collect_pair_rows` keeps raw rows instead (the `sgd`
method, benchmarks).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from steerbridge.bridge import distributed
from steerbridge.bridge.corpus import Windows, check_tokenizers
from steerbridge.bridge.distributed import Shard
from steerbridge.bridge.pairstats import Pair, PairStats, cache_key, cache_path
from steerbridge.models.batching import pad_batch, pad_id, plan_batches, position_ids_from_mask
from steerbridge.models.devices import stats_device
from steerbridge.models.hidden_states import (
    NonFiniteActivationsError,
    check_finite,
    check_layers,
    hidden_states_at,
)
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, progress_context
from steerbridge.safeio import set_aside

__all__ = ["Pair", "PairBatch", "PairStats", "cache_key", "cache_path", "collect_pair_moments",
           "collect_pair_rows", "outlier_keep", "pair_batches"]

_SPLIT_CODE = {"train": 0, "val": 1, "test": 2}


def outlier_keep(norms: Tensor, factor: float) -> Tensor:
    """Rows whose norm is at most `factor` x the median norm of the rows (factor <= 0: all)."""
    if factor <= 0 or norms.numel() == 0:
        return torch.ones_like(norms, dtype=torch.bool)
    return norms <= factor * norms.median()


@dataclass
class PairBatch:
    """States of one batch at the fit tokens of both models, with their split and filters."""

    index: int
    xs: dict[int, Tensor]  # source layer -> [N, d_s]
    ys: dict[int, Tensor]  # target layer -> [N, d_t]
    split: Tensor  # [N] 0 train, 1 val, 2 test
    is_chat: Tensor  # [N] 1 for chat-window tokens
    keep: dict[tuple[str, int], Tensor]  # ("s"|"t", layer) -> [N] bool, outlier filter
    n_first: int
    n_header: int

    def rows(self, pair: Pair) -> tuple[Tensor, Tensor, Tensor]:
        """``(x, y, keep)`` of `pair`: source layers concatenated; keep = no outlier at any."""
        keep = self.keep[("t", pair[1])].clone()
        for s in pair[0]:
            keep &= self.keep[("s", s)]
        x = torch.cat([self.xs[s] for s in pair[0]], dim=-1)
        return x, self.ys[pair[1]], keep


def pair_batches(
    source: LoadedModel,
    target: LoadedModel,
    windows: Windows,
    pairs: Sequence[Pair],
    batch_size: int = 8,
    outlier_factor: float = 5.0,
    start_batch: int = 0,
    batch_tokens: int | None = None,
    batches: Sequence[int] | None = None,
) -> Iterator[PairBatch]:
    """Feed the same token ids to both models, batch by batch, and yield their fit tokens.

    Batches are `plan_batches` of the windows (`batch_size` windows, or `batch_tokens` padded
    tokens); `batches` picks which of them run (default: from `start_batch` on). Rows come
    back on the target's `stats_device`.
    """
    need_src = check_layers(source, [s for p in pairs for s in p[0]])
    need_tgt = check_layers(target, [p[1] for p in pairs])
    pad = pad_id(source.tokenizer)
    dev = stats_device(target.device)
    cpu = torch.device("cpu")
    plan = plan_batches([len(w) for w in windows.ids], batch_size, batch_tokens)
    for b in (batches if batches is not None else range(start_batch, len(plan))):
        lo, hi = plan[b]
        ids, mask = pad_batch(windows.ids[lo:hi], pad)
        order = position_ids_from_mask(mask)
        skip = torch.tensor(windows.skip[lo:hi], device=cpu).unsqueeze(1)
        fit = mask.bool() & (order >= skip)
        hs = hidden_states_at(source, ids, mask, need_src)
        ht = hidden_states_at(target, ids, mask, need_tgt)
        xs = {layer: h[fit.to(h.device)].to(dev) for layer, h in hs.items()}
        ys = {layer: h[fit.to(h.device)].to(dev) for layer, h in ht.items()}
        where = f"batch {b} (windows {lo}..{hi - 1})"
        check_finite(xs, f"{where} of {source.name}")
        check_finite(ys, f"{where} of {target.name}")
        rows = fit.nonzero(as_tuple=True)[0]  # row of each fit token in the batch
        per_window = [(_SPLIT_CODE[windows.split_of(i)], int(windows.source[i] == "chat"))
                      for i in range(lo, hi)]
        split, is_chat = torch.tensor(per_window, dtype=torch.long, device=cpu)[rows].T
        keep = {("s", k): outlier_keep(v.norm(dim=-1), outlier_factor) for k, v in xs.items()}
        keep.update({("t", k): outlier_keep(v.norm(dim=-1), outlier_factor) for k, v in ys.items()})
        yield PairBatch(
            index=b, xs=xs, ys=ys, split=split.to(dev), is_chat=is_chat.to(dev), keep=keep,
            n_first=int((mask.sum(1) > 0).sum()),
            n_header=int((mask.bool() & (order < skip) & (order > 0)).sum()),
        )


def collect_pair_rows(
    source: LoadedModel,
    target: LoadedModel,
    windows: Windows,
    pair: Pair,
    split: str = "train",
    batch_size: int = 8,
    outlier_factor: float = 5.0,
    progress: Progress = False,
    batch_tokens: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Raw float32 rows ``(X, Y)`` of one pair and split, on the CPU (for the `sgd` method
    and benchmarks).

    Memory grows with the token count: prefer `collect_pair_moments` for anything else.
    """
    code = _SPLIT_CODE[split]
    pair = (tuple(pair[0]), int(pair[1]))
    xs: list[Tensor] = []
    ys: list[Tensor] = []
    n_batches = len(plan_batches([len(w) for w in windows.ids], batch_size, batch_tokens))
    with progress_context(progress, n_batches, f"rows {pair}") as advance:
        for pb in pair_batches(source, target, windows, [pair], batch_size, outlier_factor,
                               batch_tokens=batch_tokens):
            x, y, keep = pb.rows(pair)
            sel = keep & (pb.split == code)
            xs.append(x[sel].cpu())
            ys.append(y[sel].cpu())
            advance(pb.index + 1, n_batches)
    return torch.cat(xs), torch.cat(ys)


def _add_batch(st: PairStats, pb: PairBatch, max_test_tokens: int) -> None:
    """Add one batch's rows of `st.pair` to its sums, test sample and drop counts."""
    x, y, keep = pb.rows(st.pair)
    split = pb.split
    st.train.update(x[keep & (split == 0)], y[keep & (split == 0)])
    st.val.update(x[keep & (split == 1)], y[keep & (split == 1)])
    room = max_test_tokens - st.test_x.shape[0]
    if room > 0:
        sel = (keep & (split == 2)).nonzero(as_tuple=True)[0][:room]
        st.test_x = torch.cat([st.test_x, x[sel].cpu()])
        st.test_y = torch.cat([st.test_y, y[sel].cpu()])
        st.test_source = torch.cat([st.test_source, pb.is_chat[sel].cpu()])
        if st.test_batch is not None:
            st.test_batch = torch.cat([st.test_batch, torch.full(
                (int(sel.shape[0]),), pb.index, dtype=torch.long, device=torch.device("cpu"))])
    st.dropped["position_0"] += pb.n_first
    st.dropped["chat_header"] += pb.n_header
    st.dropped["outlier"] += int((~keep).sum())


def collect_pair_moments(
    source: LoadedModel,
    target: LoadedModel,
    windows: Windows,
    pairs: Sequence[Pair],
    batch_size: int = 8,
    outlier_factor: float = 5.0,
    max_test_tokens: int = 20_000,
    cache_dir: str | Path | None = None,
    checkpoint_every_s: float = 60.0,
    progress: Progress = True,
    batch_tokens: int | None = None,
    shard: Shard | None = None,
) -> dict[Pair, PairStats]:
    """Run both models once over `windows` and accumulate statistics for every pair.

    Tokens used: every real token from ``windows.skip[i]`` on (position 0 and the repeated chat
    header are left out), minus tokens whose norm at any layer of the pair is above
    ``outlier_factor`` x that layer's median in the batch. Windows go to train / val / test by
    `Windows.split_of`. With `cache_dir`, finished pairs load from disk and unfinished ones
    resume from their last checkpoint.

    `shard` (default: the torchrun process group if one is initialised) runs this rank's
    batches only; the sums are then all-reduced, so every rank returns the totals, and rank 0
    writes them under the same key one process would. Only rank 0 draws progress.
    """
    check_tokenizers(source.tokenizer, target.tokenizer, source.name, target.name)
    pairs = [(tuple(int(s) for s in p[0]), int(p[1])) for p in pairs]
    check_layers(source, [s for p in pairs for s in p[0]])
    check_layers(target, [p[1] for p in pairs])
    shard = shard if shard is not None else distributed.current_shard()
    settings: dict[str, Any] = {"batch_size": batch_size, "outlier_factor": outlier_factor,
                                "max_test_tokens": max_test_tokens, "version": 1}
    if batch_tokens is not None:
        settings["batch_tokens"] = batch_tokens
    cdir = Path(cache_dir).expanduser() if cache_dir is not None else None
    if cdir is not None:
        cdir.mkdir(parents=True, exist_ok=True)
    dev = stats_device(target.device)
    tag = shard.tag() if shard.distributed else ""
    stats: dict[Pair, PairStats] = {}  # this rank's share (one process: the whole)
    final: dict[Pair, PairStats] = {}  # complete totals found in the cache
    for p in pairs:
        key = cache_key(source, target, p, windows, settings)
        whole = _cached(cdir, key, "", dev)
        if whole is not None and whole.complete:
            final[p] = whole
        mine = _cached(cdir, key, tag, dev) if shard.distributed else whole
        stats[p] = mine if mine is not None else PairStats.empty(
            p, source.hidden_size * len(p[0]), target.hidden_size, key, dev)
    everywhere = len(final) == len(pairs)
    if shard.distributed:  # skip only if every rank has the totals (caches may not be shared)
        everywhere = distributed.all_ranks_true(everywhere)
    if everywhere:
        return final
    plan = plan_batches([len(w) for w in windows.ids], batch_size, batch_tokens)
    _run(source, target, windows, stats, shard, cdir, tag, plan, batch_size, batch_tokens,
         outlier_factor, max_test_tokens, checkpoint_every_s, progress if shard.is_main else False)
    if shard.distributed:
        for st in stats.values():
            _merge(st, max_test_tokens, len(plan))
            if cdir is not None and shard.is_main:
                st.save(cache_path(cdir, st.key))
    return stats


def _cached(cdir: Path | None, key: dict[str, Any], tag: str, dev: torch.device
            ) -> PairStats | None:
    """The statistics of `key` (`tag`: one rank's share) from `cdir`, if stored there."""
    path = cache_path(cdir, key, tag) if cdir is not None else None
    if path is None or not path.exists():
        return None
    try:
        cached = PairStats.load(path, dev)
    except Exception as err:  # noqa: BLE001 - truncated or foreign: set aside, collect afresh
        set_aside(path, f"{type(err).__name__}: {err}")
        return None
    return cached if cached.key == key else None


def _run(source: LoadedModel, target: LoadedModel, windows: Windows,
         stats: dict[Pair, PairStats], shard: Shard, cdir: Path | None, tag: str,
         plan: list[tuple[int, int]], batch_size: int, batch_tokens: int | None,
         outlier_factor: float, max_test_tokens: int, checkpoint_every_s: float,
         progress: Progress) -> None:
    """This rank's batches into `stats`, checkpointed to `cdir` (its own files under `tag`)."""
    todo = [p for p, st in stats.items() if not st.complete]
    if not todo:
        return
    mine = shard.batches(len(plan))
    start = min(stats[p].batches_done for p in todo)
    last_save = time.monotonic()

    def checkpoint() -> None:
        if cdir is not None:
            for p in todo:
                stats[p].save(cache_path(cdir, stats[p].key, tag))

    label = f"{source.name} → {target.name}" + (f" ({tag})" if tag else "")
    with progress_context(progress, len(mine), label) as advance:
        advance(start, len(mine))
        try:
            for k, pb in enumerate(pair_batches(source, target, windows, todo, batch_size,
                                                outlier_factor, batch_tokens=batch_tokens,
                                                batches=mine[start:]), start):
                for p in todo:
                    if k >= stats[p].batches_done:
                        _add_batch(stats[p], pb, max_test_tokens)
                        stats[p].batches_done = k + 1
                advance(k + 1, len(mine))
                if cdir is not None and time.monotonic() - last_save > checkpoint_every_s:
                    checkpoint()
                    last_save = time.monotonic()
        except NonFiniteActivationsError:
            checkpoint()  # keep what was collected; a rerun resumes from here
            raise
    for p in todo:
        stats[p].complete = True
    checkpoint()


def _merge(st: PairStats, max_test_tokens: int, n_batches: int) -> None:
    """All ranks' shares of `st` summed (sums, drop counts) and gathered (test rows)."""
    distributed.merge_moments_(st.train)
    distributed.merge_moments_(st.val)
    names = sorted(st.dropped)
    counts = torch.tensor([st.dropped[n] for n in names], dtype=torch.long)
    distributed.all_reduce_sum_([counts])
    st.dropped = {n: int(c) for n, c in zip(names, counts, strict=True)}
    order = st.test_batch if st.test_batch is not None else torch.zeros(
        st.test_x.shape[0], dtype=torch.long)
    (st.test_x, st.test_y, st.test_source), st.test_batch = distributed.gather_rows(
        [st.test_x, st.test_y, st.test_source], order, max_test_tokens)
    st.batches_done = n_batches
    st.complete = True
