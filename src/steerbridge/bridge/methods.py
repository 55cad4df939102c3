"""Label-free transfer methods. Each takes `TransferInputs` (and its own settings) only.

- `state_bridge`: ``W₀·v`` through the state bridge (today's transfer).
- `effect_matched`: ``W_eff·v`` through a fitted `EffectFit` (see `bridge.effect`).
- `blend`: the normalised mean of two mapped directions.
- `distilled`: see `bridge.distill`.
- `random_source`: the control — a random *source* vector of the same norm, to push through
  any of the methods (a method that steers everything one way is caught by it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor

from steerbridge.bridge.effect import EffectFit
from steerbridge.bridge.method_inputs import TransferInputs
from steerbridge.bridge.transfer import transfer
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.vector import SteeringVector, random_like


@dataclass
class _Mapped:
    """A bridge-like stand-in carrying another map (same models and layers)."""

    W: Tensor
    b: Tensor
    source_layers: list[int]
    target_layer: int
    source_name: str
    target_name: str
    source_fingerprint: str
    target_fingerprint: str
    fingerprint: str = ""


def target_scale(inputs: TransferInputs) -> float:
    """The target layer's median token norm: stored with the bridge, else measured."""
    stored = getattr(inputs.bridge, "target_scale", None)
    if isinstance(stored, int | float) and stored > 0:
        return float(stored)
    lt = int(inputs.bridge.target_layer)
    return measure_scales(inputs.target, [lt])[lt]


def state_bridge(inputs: TransferInputs) -> SteeringVector:
    """``W₀·v``: the state bridge's transfer."""
    return transfer(inputs.bridge, inputs.vector, target_scale=target_scale(inputs))


def with_map(inputs: TransferInputs, W: Tensor, label: str) -> SteeringVector:
    """``W·v`` for another map `W` [d_T, d_S] between the bridge's layers."""
    b = inputs.bridge
    shim = _Mapped(W.float(), torch.zeros(W.shape[0]), list(b.source_layers), int(b.target_layer),
                   b.source_name, b.target_name, b.source_fingerprint, b.target_fingerprint,
                   label)
    out = transfer(shim, inputs.vector, target_scale=target_scale(inputs))
    return replace(out, info={**out.info, "transfer": label})


def effect_matched(inputs: TransferInputs, fit: EffectFit) -> SteeringVector:
    """``W_eff·v`` through the effect-matched map."""
    v = with_map(inputs, fit.W, f"effect-matched (lambda_rel {fit.lam_rel:g})")
    return replace(v, info={**v.info, "effect_fit": {"lam_rel": fit.lam_rel,
                                                     "split_half_cos": fit.split_half_cos}})


def blend(a: SteeringVector, b: SteeringVector, weight: float = 0.5) -> SteeringVector:
    """Normalised ``(1-w)·â + w·b̂`` at the shared layer; scale and identity from `a`."""
    lt = a.layers[0]
    d = (1 - weight) * a.unit(lt) + weight * b.unit(lt)
    return replace(a, directions={lt: d.float()}, lineage=[*a.lineage, f"blended {weight:g}"],
                   info={**a.info, "transfer": f"blend {weight:g}"})


def random_source(inputs: TransferInputs, seed: int) -> TransferInputs:
    """The same inputs with the source vector replaced by a random one of equal norm."""
    return replace(inputs, vector=random_like(inputs.vector, seed=seed))


def describe(v: SteeringVector) -> dict[str, Any]:
    """Small JSON summary of a transferred vector."""
    lt = v.layers[0]
    return {"transfer": v.info.get("transfer"), "layer": lt,
            "norm": float(v.direction(lt).norm()), "scale": float(v.scales[lt])}
