"""Held-out scores of an affine map, beside the baselines that give them meaning.

`score` computes, on held-out rows: R² (1 - SSE/SST over all dimensions), mean cosine,
centred cosine (both vectors minus the training mean of y: the mean alone already gives a raw
cosine near 0.5), relative error ``‖Ŷ - Y‖_F / ‖Y‖_F`` and MSE, per token source (plain /
chat) too. `baselines` scores the mean predictor and a random map (Gaussian ``W`` with the
fitted map's spread, bias chosen so it predicts the training mean) on the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from steerbridge.bridge.moments import F64, Moments


def _cos(a: Tensor, b: Tensor) -> Tensor:
    return torch.nn.functional.cosine_similarity(a, b, dim=-1, eps=1e-12)


def score(
    w: Tensor,
    b: Tensor,
    x: Tensor,
    y: Tensor,
    y_mean_train: Tensor,
    groups: Tensor | None = None,
    group_names: Sequence[str] = ("plain", "chat"),
) -> dict[str, float]:
    """Held-out metrics of the map on rows ``x``, ``y``; per group too when `groups` is given."""
    dev = w.device  # scored where the map is (rows may come from the CPU)
    x64, y64 = x.to(device=dev, dtype=F64), y.to(device=dev, dtype=F64)
    pred = x64 @ w.to(F64).T + b.to(device=dev, dtype=F64)
    mu = y_mean_train.to(device=dev, dtype=F64)
    groups = groups.to(dev) if groups is not None else None

    def block(sel: Tensor | None) -> dict[str, float]:
        p, t = (pred, y64) if sel is None else (pred[sel], y64[sel])
        if t.shape[0] == 0:
            return {}
        sse = float(((p - t) ** 2).sum())
        sst = float(((t - t.mean(0)) ** 2).sum())
        return {
            "r2": 1 - sse / sst if sst > 0 else float("nan"),
            "cosine": float(_cos(p, t).mean()),
            "centred_cosine": float(_cos(p - mu, t - mu).mean()),
            "rel_error": math.sqrt(sse / float((t**2).sum())),
            "mse": sse / t.numel(),
            "n": int(t.shape[0]),
        }

    out = block(None)
    if groups is not None:
        for g, name in enumerate(group_names):
            for k, v in block(groups == g).items():
                out[f"{k}_{name}"] = v
    return out


def baselines(
    w: Tensor, train: Moments, x: Tensor, y: Tensor, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Mean predictor (``ŷ = ȳ_train``) and a random map.

    The random map is a Gaussian matrix rescaled so that its predictions on the training tokens
    spread as much as the fitted map's (same ``tr(W Σ_xx Wᵀ)``), with the bias that makes it
    predict the training mean: a map of the right size pointing in random directions. (Matching
    the Frobenius norm of ``W`` instead is meaningless for many-to-one maps, whose weights on
    correlated layers cancel.)
    """
    mx, my = train.means()
    cxx, _ = train.centred()
    zero = torch.zeros_like(w, dtype=F64)
    mean_pred = score(zero, my, x, y, my)
    cpu = torch.device("cpu")  # the same random map whatever the device
    gen = torch.Generator(device=cpu).manual_seed(seed)
    rnd = torch.randn(w.shape, generator=gen, dtype=F64, device=cpu).to(w.device)
    w64 = w.to(F64)
    spread_fit = float((w64 @ cxx * w64).sum())
    spread_rnd = float((rnd @ cxx * rnd).sum())
    rnd *= math.sqrt(spread_fit / spread_rnd) if spread_rnd > 0 else 0.0
    random_map = score(rnd, my - rnd @ mx, x, y, my)
    keep = ("r2", "cosine", "centred_cosine", "rel_error")
    return {"mean_predictor": {k: mean_pred[k] for k in keep if k in mean_pred},
            "random_map": {k: random_map[k] for k in keep}}



def thin_fit_warning(n_train: int | None, d_source: int, held_out_r2: float | None) -> str:
    """Why a fitted bridge's numbers say little ('' when nothing): fewer training tokens than
    twice its source width (the fit is then mostly the ridge prior), or no held-out tokens
    left to score it."""
    n = int(n_train or 0)
    problems = []
    if n < 2 * d_source:
        problems.append(f"fitted on {n:,} tokens, fewer than twice its source width "
                        f"({d_source:,})")
    if held_out_r2 is None or not math.isfinite(held_out_r2):
        problems.append("no held-out tokens were left to score it")
    if not problems:
        return ""
    return ("The bridge was " + " and ".join(problems) + ", so its map and its R² say little. "
            "Raise [bridge] max_tokens (the demo uses 30,000) or give a larger corpus.")
