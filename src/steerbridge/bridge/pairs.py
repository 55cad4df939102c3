"""Which (source layer, target layer) pairs does an affine map fit best?

Two stages, so the full corpus runs through the models once:

1. **Screen** every pair cheaply on a token sample held in memory: a ridge map (fixed relative λ)
   fitted on the sample's train windows and scored (R²) on its val windows, plus linear CKA,
   which falls out of the same products. One eigendecomposition per source layer; each pair then
   costs two matrix products.
2. **Fit** the top pairs fully from float64 `Moments` over the whole corpus (one pass of both
   models for all of them), optionally with a many-to-one bridge (several source layers
   concatenated → the best target layer, which the paper proposed and left undone).

Which pairs may be fitted at all is a choice: `middle_layers` spreads them over the middle of
the stack, `choose_pairs` takes the best screened target for each. The table and heatmap that
report a search are `steerbridge.bridge.pair_report`. Layer ``l`` is the output of decoder
block ``l`` (HF ``hidden_states[l + 1]``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.collection import Pair, collect_pair_moments, pair_batches
from steerbridge.bridge.corpus import Windows, check_tokenizers
from steerbridge.bridge.fitting import describe
from steerbridge.cachekeys import content_key
from steerbridge.errors import SteerbridgeError
from steerbridge.models.devices import stats_device
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, progress_context
from steerbridge.safeio import read_text, set_aside, write_text


@dataclass
class Screen:
    """Screen scores: ``r2[i, j]`` and ``cka[i, j]`` for source_layers[i] → target_layers[j]."""

    source_layers: list[int]
    target_layers: list[int]
    r2: Tensor
    cka: Tensor
    n_train: int
    n_val: int

    def top(self, k: int) -> list[tuple[int, int]]:
        flat = torch.argsort(self.r2.flatten(), descending=True)[:k]
        nt = len(self.target_layers)
        return [(self.source_layers[int(i) // nt], self.target_layers[int(i) % nt]) for i in flat]

    def best_target(self, source_layer: int) -> int:
        """The target layer whose screen R² is highest for `source_layer`."""
        if source_layer not in self.source_layers:
            raise SteerbridgeError(f"Source layer {source_layer} was not screened; screened: "
                                   f"{self.source_layers[0]}..{self.source_layers[-1]}.")
        i = self.source_layers.index(source_layer)
        return self.target_layers[int(torch.argmax(self.r2[i]))]

    def to_dict(self) -> dict[str, Any]:
        return {"source_layers": self.source_layers, "target_layers": self.target_layers,
                "r2": self.r2.tolist(), "cka": self.cka.tolist(), "n_train": self.n_train,
                "n_val": self.n_val}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Screen:
        return cls(list(d["source_layers"]), list(d["target_layers"]),
                   torch.tensor(d["r2"], device="cpu"), torch.tensor(d["cka"], device="cpu"),
                   int(d["n_train"]),
                   int(d["n_val"]))


def middle_layers(n_layers: int, k: int = 4) -> list[int]:
    """`k` layers evenly spaced over the middle half of a stack (25 % to 75 % of its depth).

    Why not simply the top screened pairs: the screen's R² is highest for the shallowest pairs
    (layers 0-3 hold little more than the token embedding, which maps affinely almost
    perfectly), where steering does nothing; steering lives in the middle of the stack.
    """
    lo, hi = round(0.25 * (n_layers - 1)), round(0.75 * (n_layers - 1))
    if k <= 1:
        return [(lo + hi) // 2]
    return sorted({round(lo + i * (hi - lo) / (k - 1)) for i in range(k)})


def choose_pairs(scr: Screen, top_k: int = 4, fit_sources: Sequence[int] | None = None,
                 many_to_one: int = 0) -> list[Pair]:
    """Pairs to fit fully: each of `fit_sources` with its best screened target, else the
    `top_k` best screened pairs; plus a many-to-one bridge into the best target if asked."""
    if fit_sources:
        chosen: list[Pair] = [((s,), scr.best_target(s)) for s in fit_sources]
    else:
        chosen = [((s,), t) for s, t in scr.top(top_k)]
    if many_to_one >= 2 and chosen:
        j_of = {t: j for j, t in enumerate(scr.target_layers)}
        best_t = max(chosen, key=lambda p: float(
            scr.r2[scr.source_layers.index(p[0][0]), j_of[p[1]]]))[1]
        j = j_of[best_t]
        order = torch.argsort(scr.r2[:, j], descending=True)[:many_to_one]
        chosen.append((tuple(sorted(scr.source_layers[int(i)] for i in order)), best_t))
    return chosen


@dataclass
class PairsResult:
    """Screen plus fully fitted bridges for the best pairs, best first."""

    screen: Screen
    bridges: list[Bridge] = field(default_factory=list)


def _sample_windows(windows: Windows, sample_tokens: int) -> tuple[list[int], list[int]]:
    """Window indices for the screen: ~sample_tokens of train windows, a quarter as many val."""
    train: list[int] = []
    val: list[int] = []
    n_tr = n_va = 0
    for i in range(len(windows)):
        sp = windows.split_of(i)
        size = len(windows.ids[i])
        if sp == "train" and n_tr < sample_tokens:
            train.append(i)
            n_tr += size
        elif sp in ("val", "test") and n_va < sample_tokens // 4:
            val.append(i)
            n_va += size
        if n_tr >= sample_tokens and n_va >= sample_tokens // 4:
            break
    return train, val


@torch.no_grad()
def screen(
    source: LoadedModel,
    target: LoadedModel,
    windows: Windows,
    source_layers: Sequence[int] | None = None,
    target_layers: Sequence[int] | None = None,
    sample_tokens: int = 4096,
    lam_rel: float = 3e-2,
    batch_size: int = 8,
    outlier_factor: float = 5.0,
    progress: Progress = True,
) -> Screen:
    """Ridge R² and linear CKA for every pair on a token sample (see the module docstring)."""
    check_tokenizers(source.tokenizer, target.tokenizer, source.name, target.name)
    src = list(source_layers) if source_layers is not None else list(range(source.num_layers))
    tgt = list(target_layers) if target_layers is not None else list(range(target.num_layers))
    train_idx, val_idx = _sample_windows(windows, sample_tokens)
    if not train_idx or not val_idx:
        raise SteerbridgeError(
            f"The corpus has too few windows ({len(windows)}) to screen layer pairs: give it "
            "more text (at least 10 windows)."
        )
    order = train_idx + val_idx
    sub = windows.subset(order)
    # split_of on the subset must follow the original windows: mark by position.
    cpu = torch.device("cpu")  # bookkeeping on the CPU, states on the target's stats device
    is_val = torch.tensor([0] * len(train_idx) + [1] * len(val_idx), device=cpu)
    pairs: list[Pair] = [((src[0],), t) for t in tgt]
    pairs += [((s,), tgt[0]) for s in src]
    xs: dict[int, list[Tensor]] = {s: [] for s in src}
    ys: dict[int, list[Tensor]] = {t: [] for t in tgt}
    keep_all: list[Tensor] = []
    val_rows: list[Tensor] = []
    n_batches = (len(sub) + batch_size - 1) // batch_size
    total = n_batches + len(src)  # one progress count: sample batches, then source layers
    with progress_context(progress, total, "screen layer pairs") as advance:
        for pb in pair_batches(source, target, sub, pairs, batch_size, outlier_factor):
            keep = torch.stack(list(pb.keep.values())).all(0)
            keep_all.append(keep.cpu())
            lo = pb.index * batch_size
            rows = torch.repeat_interleave(
                torch.arange(lo, min(lo + batch_size, len(sub)), device=cpu),
                torch.tensor([max(0, len(sub.ids[i]) - sub.skip[i])
                              for i in range(lo, min(lo + batch_size, len(sub)))], device=cpu),
            )
            val_rows.append(is_val[rows])
            for s in src:
                xs[s].append(pb.xs[s][keep].half())
            for t in tgt:
                ys[t].append(pb.ys[t][keep].half())
            advance(pb.index + 1, total)
        valmask = torch.cat(val_rows)[torch.cat(keep_all)].bool()
        n_train, n_val = int((~valmask).sum()), int(valmask.sum())
        valmask = valmask.to(stats_device(target.device))
        r2 = torch.empty(len(src), len(tgt), device=cpu)
        cka = torch.empty(len(src), len(tgt), device=cpu)
        y_parts: dict[int, tuple[Tensor, Tensor, float, float]] = {}
        for t in tgt:
            y = torch.cat(ys.pop(t)).float()
            ytr, yva = y[~valmask], y[valmask]
            mu = ytr.mean(0)
            ytr_c = ytr - mu
            yy = float(torch.linalg.matrix_norm(ytr_c.T @ ytr_c))
            sst = float(((yva - yva.mean(0)) ** 2).sum())
            y_parts[t] = (ytr_c, yva - mu, yy, sst)
        for i, s in enumerate(src):
            x = torch.cat(xs.pop(s)).double()
            xtr, xva = x[~valmask], x[valmask]
            mx = xtr.mean(0)
            xtr_c = xtr - mx
            cxx = xtr_c.T @ xtr_c
            evals, q = torch.linalg.eigh(cxx)
            evals = evals.clamp(min=0)
            inv = 1.0 / (evals + lam_rel * float(torch.diagonal(cxx).mean()))
            xx = float(torch.linalg.matrix_norm(cxx))
            rot = (xtr_c @ q).float()  # [n, d_s]
            proj = ((xva - mx) @ q * inv).float()  # [n_val, d_s]
            for j, t in enumerate(tgt):
                ytr_c, yva_c, yy, sst = y_parts[t]
                a = rot.T @ ytr_c  # = Qᵀ Xᵀ Y  [d_s, d_t]
                cka[i, j] = float(a.double().pow(2).sum()) / (xx * yy)
                pred = proj @ a
                r2[i, j] = 1.0 - float(((pred - yva_c) ** 2).sum()) / sst
            advance(n_batches + i + 1, total)
    return Screen(src, tgt, r2, cka, n_train, n_val)


def cached_screen(
    source: LoadedModel,
    target: LoadedModel,
    windows: Windows,
    source_layers: Sequence[int] | None,
    target_layers: Sequence[int] | None,
    sample_tokens: int,
    batch_size: int,
    outlier_factor: float,
    cache_dir: str | Path | None,
    progress: Progress,
) -> Screen:
    """`screen`, read from / written to `cache_dir` (JSON keyed by everything it depends on)."""
    path = None
    if cache_dir is not None:
        key = content_key(
            source=source.fingerprint, target=target.fingerprint, windows=windows.fingerprint,
            sample_tokens=sample_tokens,
            source_layers=list(source_layers) if source_layers is not None else "all",
            target_layers=list(target_layers) if target_layers is not None else "all",
            outlier_factor=outlier_factor, batch_size=batch_size)
        path = Path(cache_dir).expanduser() / f"screen-{key}.json"
        if path.is_file():
            try:
                return Screen.from_dict(json.loads(read_text(path, "Cached screen")))
            except (SteerbridgeError, ValueError, KeyError, TypeError) as err:
                set_aside(path, f"{type(err).__name__}: {err}")  # recomputed below
    scr = screen(source, target, windows, source_layers, target_layers, sample_tokens,
                 batch_size=batch_size, outlier_factor=outlier_factor, progress=progress)
    if path is not None:
        write_text(path, json.dumps(scr.to_dict()), kind="json")
    return scr


def screen_pairs(
    source: LoadedModel,
    target: LoadedModel,
    windows: Windows,
    top_k: int = 4,
    many_to_one: int = 0,
    source_layers: Sequence[int] | None = None,
    target_layers: Sequence[int] | None = None,
    sample_tokens: int = 4096,
    batch_size: int = 8,
    outlier_factor: float = 5.0,
    cache_dir: str | Path | None = None,
    method: str = "ridge",
    progress: Progress = True,
    fit_sources: Sequence[int] | None = None,
) -> PairsResult:
    """Screen all pairs, then fit some fully over `windows` (best held-out R² first).

    Fitted: each of `fit_sources` with its best screened target layer when given, else the
    `top_k` best screened pairs. ``many_to_one=k`` (k ≥ 2) also fits one bridge from the k
    source layers that screen best for the best chosen target layer, concatenated. With
    `cache_dir` the screen is cached too, so a refit with other pairs does not screen again.
    """
    scr = cached_screen(source, target, windows, source_layers, target_layers, sample_tokens,
                        batch_size, outlier_factor, cache_dir, progress)
    chosen = choose_pairs(scr, top_k, fit_sources, many_to_one)
    stats = collect_pair_moments(source, target, windows, chosen, batch_size, outlier_factor,
                                 cache_dir=cache_dir, progress=progress)
    bridges = []
    for p in chosen:
        br = Bridge.fit_stats(stats[p], method)
        describe(br, source, target, windows)
        bridges.append(br)
    bridges.sort(key=lambda br: -float(br.metrics.get("test", {}).get("r2", float("-inf"))))
    return PairsResult(scr, bridges)
