"""Transfer metrics: pure functions on per-item arrays, no models.

Vocabulary used throughout:

- ``p``: per-item probability of the behaviour-matching answer among the two answer tokens.
- ``ld``: per-item logit difference ``logit(matching) - logit(non-matching)``.
- ``mass``: per-item probability, out of the whole vocabulary, on the two answer tokens (a
  steered model that stops answering loses mass; that is a side effect, not a success).
- Arrays shaped ``[n_alphas, n_items]`` hold one row per alpha of a sweep; ``none`` arrays are
  shaped ``[n_items]`` (the unsteered model).

The headline is **retention** = Δp(transferred) / Δp(native). The paper's per-item Pearson
correlation of raw logit differences is confounded by the items' own spread (a random direction
also scores ≈ 0.99), so it is always reported twice, raw and as change from the unsteered model,
and always next to the same figure for a random direction. ``evaluation.summary`` assembles
these into a behaviour's summary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

Array = np.ndarray


def _as2d(x: Sequence[Sequence[float]] | Array) -> Array:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"expected [n_alphas, n_items], got shape {a.shape}")
    return a


def delta_p(p_steered: Sequence[Sequence[float]] | Array, p_none: Sequence[float] | Array) -> Array:
    """Behaviour shift per alpha: mean p(match) steered minus mean p(match) unsteered.

    NaN items are ignored (``nanmean``); an alpha whose items are all NaN gives NaN.
    """
    ps = _as2d(p_steered)
    p0 = np.asarray(p_none, dtype=np.float64)
    with np.errstate(all="ignore"):
        out = np.array([nanmean(row) for row in ps]) - nanmean(p0)
    return out


def nanmean(x: Sequence[float] | Array) -> float:
    """Mean over the finite entries; NaN if there are none."""
    x = np.asarray(x, dtype=np.float64)
    good = x[np.isfinite(x)]
    return float(good.mean()) if good.size else math.nan


def row_means(x: Sequence[Sequence[float]] | Array) -> list[float]:
    """`nanmean` of each row of ``[n_alphas, n_items]``: one mean over items per alpha."""
    return [nanmean(row) for row in _as2d(x)]


def retention(dp_transferred: Sequence[float] | Array, dp_native: Sequence[float] | Array,
              min_native: float = 1e-9) -> Array:
    """Δp transferred / Δp native per alpha; NaN where |Δp native| ≤ `min_native` or missing.

    Signed: a negative retention means the transferred vector pushes the opposite way.
    """
    t = np.asarray(dp_transferred, dtype=np.float64)
    n = np.asarray(dp_native, dtype=np.float64)
    out = np.full(n.shape, math.nan)
    ok = np.isfinite(t) & np.isfinite(n) & (np.abs(n) > min_native)
    out[ok] = t[ok] / n[ok]
    return out


def odd_pairs(alphas: Sequence[float] | Array) -> list[tuple[int, int]]:
    """Index pairs (i, j) with alphas[i] = a > 0 and alphas[j] = -a, by increasing a."""
    a = [float(x) for x in alphas]
    out = []
    for i, x in sorted(enumerate(a), key=lambda t: t[1]):
        if x > 0 and -x in a:
            out.append((i, a.index(-x)))
    return out


def odd_part(values: Sequence[Sequence[float]] | Array, alphas: Sequence[float] | Array) -> Array:
    """Per-item odd part of a sweep: ``(v(+a) - v(-a)) / 2`` for each a > 0 with -a present.

    ``values`` is ``[n_alphas, n_items]``; the result is ``[n_pairs, n_items]``. Any effect that
    a push in either direction has alike (pulling p toward 0.5, losing answer mass: what a random
    direction also does) is even in alpha and cancels; steering along the behaviour is odd.
    """
    v = _as2d(values)
    pairs = odd_pairs(alphas)
    if not pairs:
        return np.empty((0, v.shape[1]))
    return np.stack([(v[i] - v[j]) / 2.0 for i, j in pairs])


def best_alpha_index(dp_native: Sequence[float] | Array,
                     alphas: Sequence[float] | Array | None = None,
                     sign: int = 0) -> int | None:
    """Index of the alpha with the largest |Δp native| (ignoring NaNs and alpha = 0).

    ``sign=+1`` or ``-1`` restricts the search to positive or negative alphas (needs `alphas`).
    Returns None when no alpha qualifies.
    """
    dp = np.asarray(dp_native, dtype=np.float64)
    cand = np.isfinite(dp)
    if alphas is not None:
        a = np.asarray(alphas, dtype=np.float64)
        cand &= a != 0
        if sign:
            cand &= np.sign(a) == sign
    if not cand.any():
        return None
    score = np.where(cand, np.abs(dp), -np.inf)
    return int(np.argmax(score))


def pearson(x: Array, y: Array) -> float:
    """Pearson correlation over items with both values finite; NaN if < 3 items or no spread."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3:
        return math.nan
    xc, yc = x - x.mean(), y - y.mean()
    den = math.sqrt(float((xc * xc).sum()) * float((yc * yc).sum()))
    if den == 0.0:
        return math.nan
    return float((xc * yc).sum() / den)


def _pearson_rows(x: Array, y: Array) -> Array:
    """Row-wise Pearson of two [..., n] arrays (finite inputs), NaN where a row has no spread."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    num = (xc * yc).sum(axis=-1)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(all="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass
class Correlation:
    """Per-alpha Pearson r with bootstrap 95 % CIs, plus the mean over alphas with its CI."""

    per_alpha: list[float]
    ci_low: list[float]
    ci_high: list[float]
    mean: float
    mean_ci_low: float
    mean_ci_high: float
    n_items: int
    n_boot: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def correlation(a: Sequence[Sequence[float]] | Array, b: Sequence[Sequence[float]] | Array,
                n_boot: int = 1000, seed: int = 0,
                alpha_mask: Sequence[bool] | Array | None = None
                ) -> Correlation:
    """Per-item Pearson r between `a` and `b` ([n_alphas, n_items]) at each alpha, with CIs.

    Bootstrap: items are resampled with replacement (the same resample for every alpha, so the
    CI of the mean over alphas accounts for their dependence); percentile 95 % intervals.
    Items with a non-finite value at any alpha are dropped. `alpha_mask` picks the alphas that
    enter the mean (e.g. leave out alpha = 0 and alphas that broke the model).
    """
    x, y = _as2d(a), _as2d(b)
    if x.shape != y.shape:
        raise ValueError(f"shape mismatch: {x.shape} vs {y.shape}")
    n_alpha = x.shape[0]
    mask = np.ones(n_alpha, bool) if alpha_mask is None else np.asarray(alpha_mask, bool)
    # an alpha where every item is NaN (the model broke there) is left out, not the items
    dead = ~(np.isfinite(x).any(axis=1) & np.isfinite(y).any(axis=1))
    live = ~dead
    keep = np.isfinite(x[live]).all(axis=0) & np.isfinite(y[live]).all(axis=0)
    x, y = x[:, keep], y[:, keep]
    x[dead], y[dead] = math.nan, math.nan
    mask = mask & live
    n = x.shape[1]
    point = np.array([pearson(x[i], y[i]) for i in range(n_alpha)])
    if n < 3:
        nan = [math.nan] * n_alpha
        return Correlation(point.tolist(), nan, nan, math.nan, math.nan, math.nan, n, 0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    bx = x[:, idx]  # [n_alpha, n_boot, n]
    by = y[:, idx]
    boot = _pearson_rows(bx, by)  # [n_alpha, n_boot]
    lo, hi = np.full(n_alpha, math.nan), np.full(n_alpha, math.nan)
    for i in range(n_alpha):
        row = boot[i][np.isfinite(boot[i])]
        if row.size:
            lo[i], hi[i] = np.percentile(row, 2.5), np.percentile(row, 97.5)
    use = mask & np.isfinite(point)
    if use.any():
        mean = float(point[use].mean())
        sub = boot[use]
        ok = np.isfinite(sub).all(axis=0)
        bm = sub[:, ok].mean(axis=0)
        mlo, mhi = (float(np.percentile(bm, 2.5)), float(np.percentile(bm, 97.5))) if bm.size \
            else (math.nan, math.nan)
    else:
        mean = mlo = mhi = math.nan
    return Correlation(point.tolist(), np.asarray(lo).tolist(), np.asarray(hi).tolist(), mean,
                       mlo, mhi, n, n_boot)


def change_correlation(ld_a: Sequence[Sequence[float]] | Array,
                       ld_b: Sequence[Sequence[float]] | Array,
                       ld_none: Sequence[float] | Array, **kw: object) -> Correlation:
    """Correlation of the per-item *change* from the unsteered model (Δld_a vs Δld_b)."""
    base = np.asarray(ld_none, dtype=np.float64)[None, :]
    return correlation(_as2d(ld_a) - base, _as2d(ld_b) - base, **kw)  # type: ignore[arg-type]


def kl_per_position(logp_ref: torch.Tensor, logp: torch.Tensor) -> torch.Tensor:
    """KL(P_ref ‖ P) at each position from log-probabilities [..., vocab] -> [...]."""
    return (logp_ref.exp() * (logp_ref - logp)).sum(-1)


def kl_from_logits(ref_logits: torch.Tensor, logits: torch.Tensor,
                   mask: torch.Tensor | None = None) -> float:
    """Mean over positions of KL(P_ref ‖ P) for next-token distributions given as logits.

    ``ref_logits``/``logits``: [..., vocab]; ``mask`` (same leading shape) selects positions.
    Computed in float32/64 log-space.
    """
    lp_ref = torch.log_softmax(ref_logits.double(), dim=-1)
    lp = torch.log_softmax(logits.double(), dim=-1)
    kl = kl_per_position(lp_ref, lp)
    if mask is not None:
        kl = kl[mask.bool()]
    return float(kl.mean()) if kl.numel() else math.nan


def perplexity(nll_sum: float, n_tokens: int) -> float:
    """exp(mean negative log-likelihood)."""
    return math.exp(nll_sum / n_tokens) if n_tokens else math.nan


def perplexity_change(ppl_none: float, ppl_steered: float) -> float:
    """Relative perplexity change: ppl_steered / ppl_none − 1 (0.10 = 10 % worse)."""
    return ppl_steered / ppl_none - 1.0 if ppl_none > 0 else math.nan
