"""Fit methods for an affine map ``y ≈ W x + b``: each returns ``(W [d_y, d_x], b [d_y], info)``.

- ``ridge`` (default): closed form with an unpenalised bias, from float64 `Moments`;
  λ = λ_rel x mean diagonal of the centred XᵀX, chosen on a held-out split from a grid.
- ``procrustes``: a scaled orthogonal map after centring. When d_s ≠ d_t, "orthogonal" means
  semi-orthogonal: with SVD ``Σ_yx = U S Vᵀ`` (k = min(d_s, d_t) singular vectors) the map is
  ``s · U Vᵀ``; for d_s < d_t it embeds the source isometrically into a d_s-dimensional
  subspace of the target (orthonormal columns), for d_s > d_t it projects (orthonormal rows).
  The single scale ``s = Σ S / tr(Σ_xx)`` absorbs the models' different norm scales.
- ``lowrank``: reduced-rank regression: the ridge map projected on the top-``rank``
  principal directions of its fitted values.
- ``sgd``: the paper's recipe (AdamW on MSE, lr 1e-4, batches of 32 x 512 tokens, 4 epochs) on
  raw rows, kept as a reference to compare against.

The closed-form methods need only `Moments`; `sgd` needs the raw rows.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from steerbridge.bridge.moments import F64, Moments
from steerbridge.errors import SteerbridgeError

METHODS = ("ridge", "procrustes", "lowrank", "sgd")
DEFAULT_LAMBDAS: tuple[float, ...] = (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)


def _check_determined(m: Moments) -> None:
    if m.count <= m.dx:
        warnings.warn(
            f"Fitting a {m.dx}-dimensional source on only {m.count} tokens: the fit is "
            f"underdetermined (need more than {m.dx} tokens, ideally 10x that, "
            f"~{10 * m.dx:,}); ridge regularisation keeps it finite but expect poor held-out "
            "scores.",
            stacklevel=3,
        )


def fit_ridge(
    train: Moments,
    val: Moments | None = None,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    lam: float | None = None,
) -> tuple[Tensor, Tensor, dict[str, Any]]:
    """Ridge with bias. ``lam`` (relative) fixes λ; else the best of ``lambdas`` on `val`.

    Without `val` or `lam`, λ_rel = 1e-2 (the pilot's best). One eigendecomposition of the
    centred XᵀX serves every λ.
    """
    _check_determined(train)
    cxx, cxy = train.centred()
    mx, my = train.means()
    scale = float(torch.diagonal(cxx).mean())
    evals, q = torch.linalg.eigh(cxx)
    evals = evals.clamp(min=0)
    a = q.T @ cxy  # [d_x, d_y]
    tiny = 1e-12 * float(evals.max())

    def solve(rel: float) -> tuple[Tensor, Tensor]:
        lam_abs = rel * scale
        denom = evals + lam_abs
        inv = torch.where(denom > tiny, 1.0 / denom.clamp(min=tiny), torch.zeros_like(denom))
        w = (q @ (inv[:, None] * a)).T
        return w, my - w @ mx

    grid = [lam] if lam is not None else (list(lambdas) if val is not None else [1e-2])
    scores: dict[str, float] = {}
    best: tuple[float, float] | None = None
    for rel in grid:
        w, b = solve(rel)
        if val is not None and len(grid) > 1:
            r2 = val.r2(w, b)
            scores[f"{rel:g}"] = r2
            if best is None or r2 > best[1]:
                best = (rel, r2)
    chosen = best[0] if best is not None else grid[0]
    w, b = solve(chosen)
    info = {"lambda_rel": chosen, "lambda": chosen * scale, "val_r2_by_lambda": scores}
    return w, b, info


def fit_procrustes(train: Moments) -> tuple[Tensor, Tensor, dict[str, Any]]:
    """Scaled (semi-)orthogonal map after centring; see the module docstring for d_s ≠ d_t."""
    cxx, cxy = train.centred()
    mx, my = train.means()
    u, s, vh = torch.linalg.svd(cxy.T, full_matrices=False)  # [d_y, k], [k], [k, d_x]
    rot = u @ vh
    scale = float(s.sum() / torch.diagonal(cxx).sum())
    w = scale * rot
    return w, my - w @ mx, {"scale": scale, "k": int(s.numel())}


def fit_lowrank(
    train: Moments, rank: int, val: Moments | None = None, lam: float | None = None
) -> tuple[Tensor, Tensor, dict[str, Any]]:
    """Reduced-rank regression: ridge map projected on its top-`rank` fitted directions."""
    if not 0 < rank <= min(train.dx, train.dy):
        raise SteerbridgeError(
            f"rank={rank} is out of range: use 1..{min(train.dx, train.dy)} (the smaller hidden "
            "size)."
        )
    w, _, info = fit_ridge(train, val, lam=lam)
    cxx, _ = train.centred()
    fitted = w @ cxx @ w.T  # scatter of the fitted values [d_y, d_y]
    _, vecs = torch.linalg.eigh(fitted)
    p = vecs[:, -rank:]
    w_r = p @ (p.T @ w)
    mx, my = train.means()
    return w_r, my - w_r @ mx, {**info, "rank": rank}


def fit_sgd(
    x: Tensor,
    y: Tensor,
    epochs: int = 4,
    lr: float = 1e-4,
    batch_tokens: int = 32 * 512,
    weight_decay: float = 0.01,
    seed: int = 0,
    callback: Callable[[int, float, Tensor, Tensor], bool | None] | None = None,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor, dict[str, Any]]:
    """AdamW on MSE (float32), as in Bello et al.: a reference, not the default.

    Trains on `device` (default: where `x` is); rows may stay on the CPU, each batch moves.
    The initial map and the batch order come from a CPU generator seeded with `seed`, so
    every device starts from the same map. ``callback(step, seconds, W, b)`` runs after every
    step; returning True stops early.
    """
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise SteerbridgeError("sgd needs the same, non-zero number of x and y rows.")
    dev = torch.device(device) if device is not None else x.device
    cpu = torch.device("cpu")
    gen = torch.Generator(device=cpu).manual_seed(seed)
    lin = torch.nn.Linear(x.shape[1], y.shape[1], device=cpu)
    with torch.no_grad():
        bound = 1 / math.sqrt(x.shape[1])
        lin.weight.uniform_(-bound, bound, generator=gen)
        lin.bias.zero_()
    lin.to(dev)
    opt = torch.optim.AdamW(lin.parameters(), lr=lr, weight_decay=weight_decay)
    x32, y32 = x.float(), y.float()
    t0 = time.perf_counter()
    step = 0
    losses: list[float] = []
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], generator=gen, device=cpu).to(x.device)
        for i in range(0, x.shape[0], batch_tokens):
            idx = perm[i : i + batch_tokens]
            xb, yb = x32[idx].to(dev), y32[idx].to(dev)
            loss = torch.nn.functional.mse_loss(lin(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            losses.append(float(loss.detach()))
            if callback is not None:
                stop = callback(step, time.perf_counter() - t0, lin.weight.detach(),
                                lin.bias.detach())
                if stop:
                    break
        else:
            continue
        break
    w, b = lin.weight.detach().to(F64), lin.bias.detach().to(F64)
    return w, b, {"epochs": epochs, "lr": lr, "batch_tokens": batch_tokens, "steps": step,
                  "final_loss": losses[-1] if losses else float("nan")}

