"""Label-free transfer methods. Each takes `TransferInputs` (and its own settings) only.

- `state_bridge`: ``W₀·v`` through the state bridge (today's transfer).
- `effect_matched`: ``W_eff·v`` through a fitted `EffectFit` (see `bridge.effect`), or
  `through` an effect-matched bridge file (`bridge.effect_bridge`).
- `blend`: the normalised mean of two mapped directions.
- `distilled`: see `bridge.distill`.
- `gain`: ``W₀·v`` with its norm (and sign) fitted to the source's change between each
  prompt's two answers (`bridge.answer_gain`).
- `random_source`: the control — a random *source* vector of the same norm, to push through
  any of the methods (a method that steers everything one way is caught by it).

`METHODS` names what `apply` (and the pipeline's ``[transfer] method``) accepts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch
from torch import Tensor

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.answer_gain import GainSettings, answer_matched
from steerbridge.bridge.distill import DistillSettings, distilled
from steerbridge.bridge.effect import EffectFit
from steerbridge.bridge.method_inputs import TransferInputs
from steerbridge.bridge.transfer import BridgeLike, scale_for, transfer
from steerbridge.errors import SteerbridgeError
from steerbridge.vectors.vector import SteeringVector, random_like

METHODS: dict[str, str] = {
    "state": "W₀·v through the state bridge (ridge on paired hidden states)",
    "effect": "W_eff·v through the effect-matched bridge (ridge on probe-gradient pairs)",
    "blend": "normalised mean of the state and effect-matched directions",
    "distilled": "a target vector optimised, from W₀·v, to reproduce the source's change",
    "gain": "W₀·v rescaled so the target moves between each prompt's two answers as the "
            "source does (text-scored behaviours)",
}
NEEDS_EFFECT = ("effect", "blend")


def target_scale(inputs: TransferInputs) -> float:
    """The target layer's median token norm: stored with the bridge, else measured."""
    return scale_for(inputs.bridge, inputs.target)


def through(inputs: TransferInputs, bridge: BridgeLike, label: str,
            scale: float | None = None) -> SteeringVector:
    """``W·v`` through another bridge between the same models and layers."""
    s = scale if scale is not None else target_scale(inputs)
    out = transfer(bridge, inputs.vector, target_scale=s)
    return replace(out, info={**out.info, "transfer": label})


def state_bridge(inputs: TransferInputs, scale: float | None = None) -> SteeringVector:
    """``W₀·v``: the state bridge's transfer."""
    s = scale if scale is not None else target_scale(inputs)
    return transfer(inputs.bridge, inputs.vector, target_scale=s)


def with_map(inputs: TransferInputs, W: Tensor, label: str) -> SteeringVector:
    """``W·v`` for another map `W` [d_T, d_S] between the bridge's layers."""
    b = inputs.bridge
    other = Bridge(W.float(), torch.zeros(W.shape[0]), list(b.source_layers), int(b.target_layer),
                   b.source_name, b.target_name, b.source_fingerprint, b.target_fingerprint,
                   method=label, target_scale=getattr(b, "target_scale", None))
    return through(inputs, other, label)


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


def apply(method: str, inputs: TransferInputs, effect: BridgeLike | None = None,
          scale: float | None = None, blend_weight: float = 0.5,
          distill: DistillSettings | None = None, gain: GainSettings | None = None
          ) -> SteeringVector:
    """The vector `method` (a `METHODS` key) makes from `inputs`; `effect` is the
    effect-matched bridge ``effect`` and ``blend`` need; `scale` the target layer's scale."""
    if method not in METHODS:
        raise SteerbridgeError(f"Unknown transfer method {method!r}; use one of "
                               f"{', '.join(METHODS)}.")
    if method in NEEDS_EFFECT and effect is None:
        raise SteerbridgeError(f"Transfer method {method!r} needs the effect-matched bridge.")
    state = state_bridge(inputs, scale)
    if method == "state":
        return state
    if method == "distilled":
        return distilled(inputs, state, distill or DistillSettings())
    if method == "gain":
        return answer_matched(inputs, state, gain or GainSettings())
    assert effect is not None
    eff = through(inputs, effect, "effect-matched", scale=float(state.scales[state.layers[0]]))
    return eff if method == "effect" else blend(state, eff, blend_weight)


def random_source(inputs: TransferInputs, seed: int) -> TransferInputs:
    """The same inputs with the source vector replaced by a random one of equal norm."""
    return replace(inputs, vector=random_like(inputs.vector, seed=seed))


CARRIED_KEYS = ("transfer", "gain", "distill", "effect_fit")


def carried(v: SteeringVector) -> dict[str, Any]:
    """How a method made `v` (its own record: the gain it fitted, the distillation's losses),
    for results files; a random-source control's record shows what the method did to noise."""
    return {k: v.info[k] for k in CARRIED_KEYS if k in v.info}
