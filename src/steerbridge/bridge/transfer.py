"""Transfer through a bridge: carry a source steering vector into the target model as ``W·v``.

A transfer method sees the source vector and the bridge (and, for the layer scale, the target
model's unlabelled activations); never the target's native vector or the behaviour's labels.
"""

from __future__ import annotations

import math
import warnings
from typing import Protocol

import torch
from torch import Tensor

from steerbridge.bridge.anchors import saw_dataset
from steerbridge.checks import check_tensor
from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.vector import SteeringVector


class BridgeLike(Protocol):
    """What `transfer` needs from a bridge (`steerbridge.bridge.Bridge` provides it)."""

    W: Tensor
    b: Tensor
    source_layers: list[int]
    target_layer: int
    source_name: str
    target_name: str
    source_fingerprint: str
    target_fingerprint: str


def transfer(
    bridge: BridgeLike,
    vector: SteeringVector,
    with_bias: bool = False,
    target: LoadedModel | None = None,
    target_scale: float | None = None,
) -> SteeringVector:
    """Carry `vector` into the bridge's target model: ``W · v`` (default) or ``W · v + b``.

    With several source layers the vector's directions at those layers are concatenated in
    the bridge's order. The bias is off by default: it cancels in a difference of two mapped
    points, and after normalising ``W·v + b`` is nearly ``b`` for every behaviour (PILOT.md).

    The target layer's scale comes from `target_scale`, else is measured once on `target`
    (which must be the bridge's target model), else from the bridge's ``target_scale``
    attribute if it has one.
    """
    if vector.model_fingerprint != bridge.source_fingerprint:
        raise SteerbridgeError(
            f"The vector was made for {vector.model_name} (fingerprint "
            f"{vector.model_fingerprint}) but the bridge maps from {bridge.source_name} "
            f"(fingerprint {bridge.source_fingerprint}). Extract the vector on "
            f"{bridge.source_name}, or use a bridge fitted from {vector.model_name}."
        )
    missing = [layer for layer in bridge.source_layers if layer not in vector.directions]
    if missing:
        raise SteerbridgeError(
            f"The bridge reads {bridge.source_name} layer(s) {list(bridge.source_layers)} but the "
            f"vector has layer(s) {vector.layers}. Extract at layer(s) {missing}, or use a "
            "bridge fitted from one of the vector's layers."
        )
    # on the CPU in float64 whatever devices the bridge and the vector were left on
    v = torch.cat([vector.directions[layer].detach().double().cpu()
                   for layer in bridge.source_layers])
    W = bridge.W.detach().double().cpu()
    if W.shape[1] != v.shape[0]:
        raise SteerbridgeError(f"Bridge W has shape {tuple(W.shape)} but the concatenated source "
                               f"vector has {v.shape[0]} entries.")
    where = f"bridge {bridge.source_name} -> {bridge.target_name}"
    check_tensor(W, "W", where, "Refit the bridge.")
    out = W @ v
    if with_bias:
        check_tensor(bridge.b, "b", where, "Refit the bridge.")
        out = out + bridge.b.detach().double().cpu()
    scale = _target_scale(bridge, target, target_scale)
    rule = "W·v+b" if with_bias else "W·v"
    anchored = _anchor_note(bridge, vector)
    tag = getattr(bridge, "fingerprint", None)
    tag = f" {tag}" if isinstance(tag, str) else ""
    lt = int(bridge.target_layer)
    return SteeringVector(
        directions={lt: out.float()},
        scales={lt: scale},
        model_name=bridge.target_name,
        model_fingerprint=bridge.target_fingerprint,
        hidden_size=int(W.shape[0]),
        method=vector.method,
        dataset_fingerprint=vector.dataset_fingerprint,
        read_position=vector.read_position,
        lineage=[*vector.lineage, f"transferred by bridge{tag} {bridge.source_name} layers "
                 f"{list(bridge.source_layers)} -> {bridge.target_name} layer {lt} as {rule}"
                 f"{anchored}"],
        info={**vector.info, "transfer": rule,
              "source_relative_norms": {str(k): vector.relative_norm(k)
                                        for k in bridge.source_layers}},
    )


def _anchor_note(bridge: BridgeLike, vector: SteeringVector) -> str:
    """Lineage text for an anchored bridge; warns when it was anchored on this very behaviour."""
    prov = getattr(bridge, "provenance", None)
    if not isinstance(prov, dict) or "anchors" not in prov:
        return ""
    seen = saw_dataset(prov, str(vector.info.get("dataset", "")), vector.dataset_fingerprint)
    if seen is not None:
        warnings.warn(
            f"The bridge was anchored on {seen!r}, the dataset this vector comes from: its "
            "transfer is not a held-out test. Fit the bridge without that anchor to measure "
            "transfer.", stacklevel=3)
    names = ", ".join(prov["anchors"].get("datasets", {}))
    return f" (bridge anchored on {names}" + (f"; saw {seen}!)" if seen else ")")


def scale_for(bridge: BridgeLike, target: LoadedModel) -> float:
    """The target layer's scale: the one stored with the bridge, else measured on `target`."""
    stored = getattr(bridge, "target_scale", None)
    if isinstance(stored, int | float) and math.isfinite(stored) and stored > 0:
        return float(stored)
    return _target_scale(bridge, target, None)


def _target_scale(bridge: BridgeLike, target: LoadedModel | None, given: float | None) -> float:
    if given is not None:
        if not math.isfinite(given) or given <= 0:
            raise SteerbridgeError(f"target_scale must be a positive finite number, got {given}.")
        return float(given)
    if target is not None:
        if target.fingerprint != bridge.target_fingerprint:
            raise SteerbridgeError(
                f"The bridge maps into {bridge.target_name} ({bridge.target_fingerprint}) but the "
                f"target model given is {target.name} ({target.fingerprint})."
            )
        return measure_scales(target, [bridge.target_layer])[bridge.target_layer]
    stored = getattr(bridge, "target_scale", None)
    if isinstance(stored, int | float) and math.isfinite(stored) and stored > 0:
        return float(stored)
    raise SteerbridgeError(
        f"The transferred vector needs the typical token norm of {bridge.target_name} layer "
        f"{bridge.target_layer}: pass target=<the loaded target model> (measured once) or "
        "target_scale=<float>."
    )
