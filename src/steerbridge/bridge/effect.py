"""Effect-matched bridge: a map that carries *interventions*, fitted on probe-gradient pairs.

Steering the source by ``v`` changes a probe log-likelihood, to first order, by ``g_Sᵀv``; the
target steered by ``W v`` changes it by ``g_Tᵀ W v``. Carrying interventions means
``Wᵀ g_T ≈ g_S``: ridge on gradient pairs toward a prior map ``W₀`` (the state bridge),

    W = (Σ g_T g_Tᵀ + λI)⁻¹ (Σ g_T g_Sᵀ + λ W₀),      λ = λ_rel · tr(Σ g_T g_Tᵀ) / d_T,

with the pairs streamed into `Moments` (x = g_T, y = g_S; no bias: the relation goes through
0). λ_rel is chosen on held-out windows (uncentred R² of g_S); split-half stability (cos of the
vectors mapped by fits on two disjoint halves) says how much of the map is noise. Everything is
label-free: windows are corpus text and unlabelled questions, probes are sampled from the source.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from steerbridge.bridge.moments import F64, Moments
from steerbridge.bridge.probes import ProbeBatch, probe_gradients, sample_probes
from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel

LAMBDAS: tuple[float, ...] = (1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0)


@dataclass
class GradientMoments:
    """Gradient-pair sums: two disjoint training halves and a held-out part (by window)."""

    half_a: Moments
    half_b: Moments
    val: Moments
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def train(self) -> Moments:
        return self.half_a + self.half_b

    def __add__(self, other: GradientMoments) -> GradientMoments:
        return GradientMoments(self.half_a + other.half_a, self.half_b + other.half_b,
                               self.val + other.val, {**self.info, **other.info})


def collect_gradient_moments(source: LoadedModel, target: LoadedModel, source_layer: int,
                             target_layer: int, batches: Sequence[ProbeBatch], draws: int = 4,
                             seed: int = 0, val_every: int = 5, progress: Any = None,
                             per_position: bool = False) -> GradientMoments:
    """Stream probe-gradient pairs of both models over `batches` into float64 sums.

    `per_position`: one pair per marked position (`ProbeBatch.pair`) and draw instead of one
    per window and draw; the split into halves and held-out part stays by window, so held-out
    pairs never share a window with training pairs.

    Each pair is divided by ``‖g_S‖`` (both sides, so the relation is unchanged) so that long
    windows do not dominate. Window ``i`` (counted over all batches) goes to the held-out part
    when ``i % val_every == val_every - 1``, else alternately to half A and half B.
    """
    dt, ds = target.hidden_size, source.hidden_size
    gm = GradientMoments(Moments.zeros(dt, ds), Moments.zeros(dt, ds), Moments.zeros(dt, ds))
    i = n_pairs = 0
    for bi, batch in enumerate(batches):
        probes = sample_probes(source, batch, draws, seed=seed + bi)
        gs = probe_gradients(source, source_layer, batch, probes, per_position=per_position)
        gt = probe_gradients(target, target_layer, batch, probes, per_position=per_position)
        for row in range(batch.ids.shape[0]):
            part = (gm.val if i % val_every == val_every - 1
                    else (gm.half_a if (i - i // val_every) % 2 == 0 else gm.half_b))
            x, y = gt[:, row], gs[:, row]  # [K, d] or [K, T, d]
            if per_position:
                keep = batch.pair[row]
                x, y = x[:, keep].reshape(-1, dt), y[:, keep].reshape(-1, ds)
            n_pairs += x.shape[0]
            norm = y.norm(dim=1, keepdim=True).clamp(min=1e-12)
            part.update(x / norm, y / norm)
            i += 1
        if progress:
            progress(batch.ids.shape[0])
    gm.info = {"draws": draws, "windows": i, "pairs": n_pairs, "per_position": per_position,
               "source_layer": source_layer, "target_layer": target_layer}
    return gm


def _eigh(m: Moments) -> tuple[Tensor, Tensor, float]:
    e, q = torch.linalg.eigh(m.sxx.to(F64))
    return e.clamp(min=0), q, float(e.clamp(min=0).sum()) / m.dx


def _solve(e: Tensor, q: Tensor, scale: float, sxy: Tensor, prior: Tensor | None,
           lam_rel: float) -> Tensor:
    lam = lam_rel * scale
    rhs = sxy + (lam * prior if prior is not None else 0.0)
    return q @ ((q.T @ rhs) / (e + lam).unsqueeze(1))


def fit_on(m: Moments, lam_rel: float, prior: Tensor | None = None) -> Tensor:
    """The map [d_T, d_S] from one set of sums at a fixed relative λ."""
    if prior is not None and tuple(prior.shape) != (m.dx, m.dy):
        raise SteerbridgeError(f"Prior map has shape {tuple(prior.shape)}; need {(m.dx, m.dy)}.")
    e, q, scale = _eigh(m)
    return _solve(e, q, scale, m.sxy, None if prior is None else prior.to(F64), lam_rel)


def heldout_r2(m: Moments, w: Tensor) -> float:
    """Uncentred R² of ``g_S ≈ Wᵀ g_T`` on held-out sums: 1 − Σ‖g_S − Wᵀg_T‖² / Σ‖g_S‖²."""
    if m.count == 0:
        return math.nan
    sse = m.sse(w.T.to(F64), torch.zeros(m.dy, dtype=F64))
    return 1.0 - sse / float(m.syy.sum())


@dataclass
class EffectFit:
    """The fitted effect-matched map and how it was chosen."""

    W: Tensor  # [d_T, d_S]
    lam_rel: float
    val_r2: dict[float, float]
    prior_r2: float
    split_half_cos: float
    info: dict[str, Any]


def fit_effect_map(gm: GradientMoments, prior: Tensor | None = None,
                   lambdas: Sequence[float] = LAMBDAS, seed: int = 0,
                   n_random: int = 32) -> EffectFit:
    """Choose λ_rel on the held-out pairs, refit on all of them, report split-half stability.

    Stability: maps fitted on halves A and B at the chosen λ carry `n_random` random source
    directions; the mean cos between the two images is reported (1 = no noise).
    """
    train = gm.train
    if train.count == 0:
        raise SteerbridgeError("No gradient pairs to fit an effect-matched map on.")
    e, q, scale = _eigh(train)
    p64 = None if prior is None else prior.to(F64)
    r2 = {float(lr): heldout_r2(gm.val, _solve(e, q, scale, train.sxy, p64, lr))
          for lr in lambdas}
    finite = {k: v for k, v in r2.items() if math.isfinite(v)}
    best = max(finite, key=lambda k: finite[k]) if finite else 1.0
    full = gm.train + gm.val
    W = fit_on(full, best, p64)
    prior_r2 = heldout_r2(gm.val, p64) if p64 is not None else math.nan
    stab = split_half_cos(gm, best, p64, seed=seed, n=n_random)
    info = {**gm.info, "train_pairs": train.count, "val_pairs": gm.val.count,
            "determined": train.count > train.dx}
    return EffectFit(W.float(), best, r2, prior_r2, stab, info)


def split_half_cos(gm: GradientMoments, lam_rel: float, prior: Tensor | None = None,
                   vectors: Tensor | None = None, seed: int = 0, n: int = 32) -> float:
    """Mean cos(W_A v, W_B v) over `vectors` [n, d_S] (default: random directions)."""
    wa, wb = fit_on(gm.half_a, lam_rel, prior), fit_on(gm.half_b, lam_rel, prior)
    if vectors is None:
        vectors = torch.randn(n, gm.half_a.dy, generator=torch.Generator().manual_seed(seed),
                              dtype=F64)
    a, b = vectors.to(F64) @ wa.T, vectors.to(F64) @ wb.T
    return float(torch.nn.functional.cosine_similarity(a, b, dim=1).mean())
