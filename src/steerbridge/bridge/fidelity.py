"""Direction fidelity: how well a map carries a steering direction, beside its controls.

A unit push along a direction with cosine c to the native vector carries c of the native push
along it, so cos(W·v, native) bounds how much of the native effect the transferred vector
can reproduce. A cosine means little alone, so `fidelity` reports it beside:

- random source vectors through the same W (mean |cos|): a map that sends every input toward
  one dominant target direction scores high here too;
- random target directions (mean |cos|): the chance level in the target space (the direction
  of the A/B evaluation's random control; a norm does not change a cosine);
- the other behaviours' source vectors through W (mean cos), and the mean of the other
  behaviours' native unit vectors (cos): what a map that only learned "the usual answer
  direction" scores.

Pure tensor maths on vectors already extracted: nothing here runs a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

if TYPE_CHECKING:  # only a type here: fidelity itself needs nothing but tensors
    from steerbridge.vectors.vector import SteeringVector


def cosine(u: Tensor | np.ndarray, v: Tensor | np.ndarray) -> float:
    """Cosine similarity of two vectors (float64); NaN if either is zero."""
    def flat(t: Tensor | np.ndarray) -> Tensor:  # on the CPU: the two may come from two devices
        t = t if isinstance(t, Tensor) else torch.as_tensor(np.asarray(t), device="cpu")
        return t.detach().double().flatten().cpu()

    a, b = flat(u), flat(v)
    if a.shape != b.shape:
        raise ValueError(f"cosine of vectors of different sizes: {a.numel()} vs {b.numel()}")
    den = float(a.norm() * b.norm())
    return float(a @ b) / den if den > 0 else math.nan


def source_direction(vector: SteeringVector, layers: Sequence[int]) -> Tensor:
    """The vector's directions at `layers`, concatenated in that order (float64): the ``v``
    a bridge reading those source layers multiplies."""
    return torch.cat([vector.direction(layer).double() for layer in layers])


@dataclass(frozen=True)
class Fidelity:
    """cos(W·v, native) and its controls (NaN where a control was not asked for)."""

    cos: float
    norm_ratio: float  # ‖W·v‖ / ‖v‖
    random_mapped: float  # mean |cos(W·r, native)| over random source vectors r
    random_direction: float  # mean |cos(u, native)| over random target directions u
    others_mapped: float  # mean cos(W·v_o, native) over the other behaviours' source vectors
    others_native: float  # cos(mean of the other behaviours' native unit vectors, native)


def fidelity(W: Tensor, v: Tensor, native: Tensor, n_random: int = 8, seed: int = 0,
             generator: torch.Generator | None = None, other_sources: Sequence[Tensor] = (),
             other_natives: Sequence[Tensor] = ()) -> Fidelity:
    """How well `W` ([d_t, d_s]) carries the source direction `v` ([d_s]) onto `native` ([d_t]).

    Random source vectors are ``n_random`` standard normal draws from `generator` (continuing
    its stream, so successive calls draw new vectors) or, without one, from a generator seeded
    with `seed` (every call draws the same vectors); random target directions come from their
    own generator seeded with `seed`.
    """
    cpu = torch.device("cpu")  # W, v and native may come from different devices
    w = W.detach().double().cpu()
    nat = native.detach().double().cpu()
    v = v.detach().double().cpu()
    mapped = w @ v
    g = generator if generator is not None else torch.Generator(device=cpu).manual_seed(seed)
    sources = torch.randn(n_random, w.shape[1], generator=g, dtype=torch.float64, device=cpu)
    targets = torch.randn(n_random, w.shape[0], dtype=torch.float64, device=cpu,
                          generator=torch.Generator(device=cpu).manual_seed(seed))
    others_mean = math.nan
    if other_natives:
        units = torch.stack([o / o.norm() for o in other_natives])
        others_mean = cosine(units.mean(0), native)
    return Fidelity(
        cos=cosine(mapped, nat),
        norm_ratio=float(mapped.norm() / v.double().norm()),
        random_mapped=_mean([abs(cosine(w @ r, nat)) for r in sources]),
        random_direction=_mean([abs(cosine(u, nat)) for u in targets]),
        others_mapped=_mean([cosine(w @ o.double().cpu(), nat) for o in other_sources]),
        others_native=others_mean,
    )


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else math.nan
