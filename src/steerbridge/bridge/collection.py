"""Collect paired hidden states of two models over token windows into `Moments`, cached.

`collect_pair_moments` feeds the same token ids to the source and the target model once
(`pair_batches`) and fills, for every requested (source layers, target layer) pair, train /
val `Moments` plus a capped sample of raw test-split rows for the metrics that need single
tokens (cosine): a `PairStats`. Fit tokens are every real token from ``windows.skip[i]`` on
(position 0 and the repeated chat header left out), minus outlier-norm tokens.

With a cache folder, each pair's statistics are stored under a content key
(`steerbridge.cachekeys`: model fingerprints, layers, the corpus windows' fingerprint, token
count, token filter); a run that is interrupted keeps a checkpoint and resumes where it
stopped. `collect_pair_rows` keeps raw rows instead (the `sgd` method, benchmarks).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor

from steerbridge.bridge.corpus import Windows, check_tokenizers
from steerbridge.bridge.moments import Moments
from steerbridge.cachekeys import content_key
from steerbridge.models.batching import pad_batch, pad_id, position_ids_from_mask
from steerbridge.models.hidden_states import (
    NonFiniteActivationsError,
    check_finite,
    check_layers,
    hidden_states_at,
)
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, progress_context
from steerbridge.safeio import atomic_write, set_aside

Pair = tuple[tuple[int, ...], int]
"""(source layers, target layer): several source layers are concatenated (many-to-one)."""


@dataclass
class PairStats:
    """What one collection pass gives a layer pair: train / val sums and raw test rows."""

    pair: Pair
    train: Moments
    val: Moments
    test_x: Tensor  # [N, d_x] float32
    test_y: Tensor  # [N, d_y] float32
    test_source: Tensor  # [N] 0 = plain, 1 = chat
    dropped: dict[str, int] = field(default_factory=dict)
    batches_done: int = 0
    complete: bool = False
    key: dict[str, Any] = field(default_factory=dict)

    @property
    def n_tokens(self) -> int:
        return self.train.count + self.val.count + int(self.test_x.shape[0])

    def save(self, path: Path) -> None:
        t = {**self.train.tensors("train."), **self.val.tensors("val."),
             "test_x": self.test_x.contiguous(), "test_y": self.test_y.contiguous(),
             "test_source": self.test_source.contiguous()}
        meta = {"pair": [list(self.pair[0]), self.pair[1]], "dropped": self.dropped,
                "batches_done": self.batches_done, "complete": self.complete, "key": self.key}
        atomic_write(path, lambda tmp: save_file(t, str(tmp), {"steerbridge": json.dumps(meta)}),
                     kind="moments")

    @classmethod
    def load(cls, path: Path) -> PairStats:
        with safe_open(str(path), "pt") as f:
            meta = json.loads(f.metadata()["steerbridge"])
        t = load_file(str(path))
        return cls(
            pair=(tuple(meta["pair"][0]), int(meta["pair"][1])),
            train=Moments.from_tensors(t, "train."),
            val=Moments.from_tensors(t, "val."),
            test_x=t["test_x"], test_y=t["test_y"], test_source=t["test_source"],
            dropped=meta["dropped"], batches_done=meta["batches_done"],
            complete=meta["complete"], key=meta["key"],
        )


def cache_key(
    source: LoadedModel, target: LoadedModel, pair: Pair, windows: Windows, settings: dict[str, Any]
) -> dict[str, Any]:
    """What identifies a pair's statistics: models, layers, corpus windows, token count, filter."""
    return {
        "source": source.fingerprint, "target": target.fingerprint,
        "source_layers": list(pair[0]), "target_layer": pair[1],
        "windows": windows.fingerprint, "n_tokens": windows.n_tokens, **settings,
    }


def cache_path(cache_dir: Path, key: dict[str, Any]) -> Path:
    """Where the statistics of `key` (a `cache_key`) live in `cache_dir`."""
    src = "-".join(map(str, key["source_layers"]))
    return cache_dir / f"moments-L{src}-L{key['target_layer']}-{content_key(**key)}.safetensors"


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
) -> Iterator[PairBatch]:
    """Feed the same token ids to both models, batch by batch, and yield their fit tokens."""
    need_src = check_layers(source, [s for p in pairs for s in p[0]])
    need_tgt = check_layers(target, [p[1] for p in pairs])
    pad = pad_id(source.tokenizer)
    n_batches = (len(windows) + batch_size - 1) // batch_size
    for b in range(start_batch, n_batches):
        lo, hi = b * batch_size, min(len(windows), (b + 1) * batch_size)
        ids, mask = pad_batch(windows.ids[lo:hi], pad)
        order = position_ids_from_mask(mask)
        skip = torch.tensor(windows.skip[lo:hi]).unsqueeze(1)
        fit = mask.bool() & (order >= skip)
        hs = hidden_states_at(source, ids, mask, need_src)
        ht = hidden_states_at(target, ids, mask, need_tgt)
        xs = {layer: h[fit] for layer, h in hs.items()}
        ys = {layer: h[fit] for layer, h in ht.items()}
        where = f"batch {b} (windows {lo}..{hi - 1})"
        check_finite(xs, f"{where} of {source.name}")
        check_finite(ys, f"{where} of {target.name}")
        rows = fit.nonzero(as_tuple=True)[0] + lo
        code = {"train": 0, "val": 1, "test": 2}
        split = torch.tensor([code[windows.split_of(int(i))] for i in rows], dtype=torch.long)
        is_chat = torch.tensor([windows.source[int(i)] == "chat" for i in rows], dtype=torch.long)
        keep = {("s", k): outlier_keep(v.norm(dim=-1), outlier_factor) for k, v in xs.items()}
        keep.update({("t", k): outlier_keep(v.norm(dim=-1), outlier_factor) for k, v in ys.items()})
        yield PairBatch(
            index=b, xs=xs, ys=ys, split=split, is_chat=is_chat, keep=keep,
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
) -> tuple[Tensor, Tensor]:
    """Raw float32 rows ``(X, Y)`` of one pair and split (for the `sgd` method and benchmarks).

    Memory grows with the token count: prefer `collect_pair_moments` for anything else.
    """
    code = {"train": 0, "val": 1, "test": 2}[split]
    pair = (tuple(pair[0]), int(pair[1]))
    xs: list[Tensor] = []
    ys: list[Tensor] = []
    n_batches = (len(windows) + batch_size - 1) // batch_size
    with progress_context(progress, n_batches, f"rows {pair}") as advance:
        for pb in pair_batches(source, target, windows, [pair], batch_size, outlier_factor):
            x, y, keep = pb.rows(pair)
            sel = keep & (pb.split == code)
            xs.append(x[sel])
            ys.append(y[sel])
            advance(pb.index + 1, n_batches)
    return torch.cat(xs), torch.cat(ys)


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
) -> dict[Pair, PairStats]:
    """Run both models once over `windows` and accumulate statistics for every pair.

    Tokens used: every real token from ``windows.skip[i]`` on (position 0 and the repeated chat
    header are left out), minus tokens whose norm at any layer of the pair is above
    ``outlier_factor`` x that layer's median in the batch. Windows go to train / val / test by
    `Windows.split_of`. With `cache_dir`, finished pairs load from disk and unfinished ones
    resume from their last checkpoint.
    """
    check_tokenizers(source.tokenizer, target.tokenizer, source.name, target.name)
    pairs = [(tuple(int(s) for s in p[0]), int(p[1])) for p in pairs]
    check_layers(source, [s for p in pairs for s in p[0]])
    check_layers(target, [p[1] for p in pairs])
    settings = {"batch_size": batch_size, "outlier_factor": outlier_factor,
                "max_test_tokens": max_test_tokens, "version": 1}
    cdir = Path(cache_dir).expanduser() if cache_dir is not None else None
    if cdir is not None:
        cdir.mkdir(parents=True, exist_ok=True)
    stats: dict[Pair, PairStats] = {}
    for p in pairs:
        key = cache_key(source, target, p, windows, settings)
        path = cache_path(cdir, key) if cdir is not None else None
        if path is not None and path.exists():
            try:
                cached = PairStats.load(path)
            except Exception as err:  # noqa: BLE001 - truncated or foreign: collect afresh
                set_aside(path, f"{type(err).__name__}: {err}")
                cached = None
            if cached is not None and cached.key == key:
                stats[p] = cached
                continue
        dx = source.hidden_size * len(p[0])
        stats[p] = PairStats(
            pair=p, train=Moments.zeros(dx, target.hidden_size),
            val=Moments.zeros(dx, target.hidden_size),
            test_x=torch.empty(0, dx), test_y=torch.empty(0, target.hidden_size),
            test_source=torch.empty(0, dtype=torch.long),
            dropped={"position_0": 0, "chat_header": 0, "outlier": 0}, key=key,
        )
    todo = [p for p in pairs if not stats[p].complete]
    if not todo:
        return stats
    n_batches = (len(windows) + batch_size - 1) // batch_size
    start = min(stats[p].batches_done for p in todo)
    last_save = time.monotonic()

    def checkpoint() -> None:
        if cdir is not None:
            for p in todo:
                stats[p].save(cache_path(cdir, stats[p].key))

    with progress_context(progress, n_batches, f"{source.name} → {target.name}") as advance:
        advance(start, n_batches)
        try:
            for pb in pair_batches(source, target, windows, todo, batch_size, outlier_factor,
                                   start):
                for p in todo:
                    st = stats[p]
                    if pb.index < st.batches_done:
                        continue
                    x, y, keep = pb.rows(p)
                    split = pb.split
                    st.train.update(x[keep & (split == 0)], y[keep & (split == 0)])
                    st.val.update(x[keep & (split == 1)], y[keep & (split == 1)])
                    room = max_test_tokens - st.test_x.shape[0]
                    if room > 0:
                        sel = (keep & (split == 2)).nonzero(as_tuple=True)[0][:room]
                        st.test_x = torch.cat([st.test_x, x[sel]])
                        st.test_y = torch.cat([st.test_y, y[sel]])
                        st.test_source = torch.cat([st.test_source, pb.is_chat[sel]])
                    st.dropped["position_0"] += pb.n_first
                    st.dropped["chat_header"] += pb.n_header
                    st.dropped["outlier"] += int((~keep).sum())
                    st.batches_done = pb.index + 1
                advance(pb.index + 1, n_batches)
                if cdir is not None and time.monotonic() - last_save > checkpoint_every_s:
                    checkpoint()
                    last_save = time.monotonic()
        except NonFiniteActivationsError:
            checkpoint()  # keep what was collected; a rerun resumes from here
            raise
    for p in todo:
        stats[p].complete = True
    checkpoint()
    return stats

