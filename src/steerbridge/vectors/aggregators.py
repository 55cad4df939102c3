"""Extraction methods: how the hidden states at two answers become one direction.

A method is a plain callable ``(pos [N, d], neg [N, d]) -> [d]`` over the states at the
behaviour-matching and non-matching answer tokens, paired row by row. `mean_diff` is CAA;
`pca_diff` and `logistic_probe` are given the length of the mean difference's projection on
their direction, so norms compare across methods. Register more in `METHODS`, or pass any such
callable to `steerbridge.vectors.extract.extract`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from steerbridge.errors import SteerbridgeError

Aggregator = Callable[[Tensor, Tensor], Tensor]


def mean_diff(pos: Tensor, neg: Tensor) -> Tensor:
    """CAA: mean of the matching states minus mean of the non-matching states."""
    _check_pair(pos, neg)
    return pos.double().mean(0).sub(neg.double().mean(0)).float()


def pca_diff(pos: Tensor, neg: Tensor) -> Tensor:
    """First principal direction of the paired differences ``pos - neg`` (uncentred).

    The sign is chosen to agree with the mean difference, and the length is the mean
    difference's projection on it, so norms are comparable with `mean_diff`.
    """
    _check_pair(pos, neg)
    d = pos.double() - neg.double()
    _, _, vh = torch.linalg.svd(d, full_matrices=False)
    u = vh[0]
    proj = float(d.mean(0) @ u)
    return (u * proj).float()  # the sign of proj flips u to agree with the mean difference


def logistic_probe(pos: Tensor, neg: Tensor, l2: float = 1e-2, steps: int = 200) -> Tensor:
    """Weight direction of an L2-regularised logistic regression separating pos from neg.

    Features are standardised for the fit; the weight is mapped back to raw coordinates
    (``w / std``), then given the length of the mean difference's projection on it.
    """
    _check_pair(pos, neg)
    x = torch.cat([pos, neg]).double()
    dev = x.device
    y = torch.cat([torch.ones(len(pos), device=dev), torch.zeros(len(neg), device=dev)]).double()
    mu, sd = x.mean(0), x.std(0).clamp_min(1e-8)
    z = (x - mu) / sd
    w = torch.zeros(x.shape[1], dtype=torch.float64, device=dev, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, device=dev, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z @ w + b, y)
        loss = loss + l2 * (w @ w)
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    u = (w.detach() / sd)
    u = u / u.norm().clamp_min(1e-12)
    proj = float((pos.double().mean(0) - neg.double().mean(0)) @ u)
    return (u * proj).float()


METHODS: dict[str, Aggregator] = {
    "mean_diff": mean_diff,
    "pca_diff": pca_diff,
    "logistic_probe": logistic_probe,
}


def _check_pair(pos: Tensor, neg: Tensor) -> None:
    if pos.dim() != 2 or pos.shape != neg.shape or pos.shape[0] == 0:
        raise SteerbridgeError(f"Extraction needs two [N, d] tensors of equal shape, N >= 1; got "
                               f"{tuple(pos.shape)} and {tuple(neg.shape)}.")


def get_method(method: str | Aggregator) -> tuple[Aggregator, str]:
    """The callable for `method` (a name in `METHODS` or a callable) and the name it records."""
    if callable(method):
        return method, getattr(method, "__name__", "custom")
    if method not in METHODS:
        raise SteerbridgeError(f"Unknown extraction method {method!r}; use one of "
                               f"{', '.join(METHODS)} or pass a callable (pos, neg) -> direction.")
    return METHODS[method], method
