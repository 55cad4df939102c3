"""The steering vector: one direction per layer with its layer scale and lineage, in one file.

Layer convention: layer ``l`` is the output of decoder block ``l`` (0-based), i.e. HF
``hidden_states[l + 1]``.

A `SteeringVector` keeps, per layer, the raw direction as extracted (its norm is meaningful:
CAA vectors are a few percent of a typical hidden state) and the layer's typical token norm
(``scales[l]``, `steerbridge.vectors.scales`). Steering adds ``alpha * v_hat * scale``, so one
``alpha`` is a comparable push in any model and layer (`steerbridge.vectors.steering`). It
saves to ``.safetensors`` (one tensor per layer, JSON metadata; never pickle) and refuses a
model it was not made for. `random_like` gives the control: a random direction of equal norm.
Vectors are made by `steerbridge.vectors.extract` and carried into another model by
`steerbridge.bridge.transfer`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor

from steerbridge.checks import check_scale, check_tensor
from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.safeio import atomic_write, read_bytes, verify_safetensors
from steerbridge.vectors.readout import READ_POSITION

FORMAT = "steerbridge.steering_vector"
FORMAT_VERSION = 1
_FIX = "Re-extract it (steerbridge extract) or transfer it again; do not edit vector files."


@dataclass
class SteeringVector:
    """One direction per layer, the layer's typical token norm, and where it came from."""

    directions: dict[int, Tensor]
    scales: dict[int, float]
    model_name: str
    model_fingerprint: str
    hidden_size: int
    method: str
    dataset_fingerprint: str
    read_position: str = READ_POSITION
    lineage: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if set(self.directions) != set(self.scales):
            raise SteerbridgeError(f"directions cover layers {sorted(self.directions)} but scales "
                                   f"cover {sorted(self.scales)}; give one scale per layer.")
        for layer, v in self.directions.items():
            if v.shape != (self.hidden_size,):
                raise SteerbridgeError(f"Direction at layer {layer} has shape {tuple(v.shape)}; "
                                       f"expected ({self.hidden_size},).")
        where = f"steering vector of {self.model_name or 'an unnamed model'}"
        for layer in sorted(self.directions):
            check_tensor(self.directions[layer], f"direction.{layer}", where, _FIX)
            self.scales[layer] = check_scale(self.scales[layer], f"the scale of layer {layer}",
                                             where, _FIX)

    @property
    def layers(self) -> list[int]:
        return sorted(self.directions)

    def direction(self, layer: int) -> Tensor:
        """The raw direction at `layer`; a clear error if the vector has no such layer."""
        if layer not in self.directions:
            raise SteerbridgeError(f"This vector has no layer {layer}; it has layers "
                                   f"{self.layers}. Extract at that layer or pick one of these.")
        return self.directions[layer]

    def unit(self, layer: int) -> Tensor:
        """The unit direction v_hat at `layer`."""
        v = self.direction(layer)
        n = v.norm()
        if not torch.isfinite(n) or n == 0:
            raise SteerbridgeError(f"Direction at layer {layer} has norm {float(n)}; it cannot be "
                                   "normalised (were the two answers' states identical?).")
        return v / n

    def relative_norm(self, layer: int) -> float:
        """‖v‖ / scale: the native size of the direction in units of a typical token norm."""
        return float(self.direction(layer).norm()) / self.scales[layer]

    def check_model(self, lm: LoadedModel) -> None:
        """Refuse a model with another hidden size or fingerprint, naming both."""
        if lm.hidden_size != self.hidden_size:
            raise SteerbridgeError(
                f"Vector from {self.model_name} has hidden size {self.hidden_size} but "
                f"{lm.name} has {lm.hidden_size}. Transfer it through a bridge first."
            )
        if lm.fingerprint != self.model_fingerprint:
            raise SteerbridgeError(
                f"Vector was made for {self.model_name} (fingerprint {self.model_fingerprint}) "
                f"but the model is {lm.name} (fingerprint {lm.fingerprint}). Use a vector "
                "extracted on this model, or transfer it through a bridge."
            )

    def select(self, layers: Sequence[int]) -> SteeringVector:
        """A copy restricted to `layers`."""
        return replace(self, directions={lay: self.direction(lay) for lay in layers},
                       scales={lay: self.scales[lay] for lay in layers}, lineage=list(self.lineage))

    # --------------------------------------------------------------------- persistence

    def metadata(self) -> dict[str, str]:
        """The JSON-able metadata stored next to the tensors."""
        return {
            "format": FORMAT,
            "format_version": str(FORMAT_VERSION),
            "model_name": self.model_name,
            "model_fingerprint": self.model_fingerprint,
            "hidden_size": str(self.hidden_size),
            "method": self.method,
            "dataset_fingerprint": self.dataset_fingerprint,
            "read_position": self.read_position,
            "scales": json.dumps({str(k): v for k, v in self.scales.items()}),
            "lineage": json.dumps(self.lineage),
            "info": json.dumps(self.info),
        }

    @classmethod
    def from_metadata(cls, meta: dict[str, str], directions: dict[int, Tensor],
                      where: str) -> SteeringVector:
        """A vector from its stored metadata and tensors; every number checked, and a clear
        error (naming `where`) for missing or malformed metadata."""
        if meta.get("format") != FORMAT:
            raise SteerbridgeError(f"{where} is not a steerbridge steering vector (format "
                                   f"{meta.get('format')!r}). Bridges load with Bridge.load.")
        try:
            raw = json.loads(meta["scales"])
            if not isinstance(raw, dict):
                raise ValueError(f"scales is a JSON {type(raw).__name__}, not an object")
            scales = {int(k): check_scale(v, f"the scale of layer {k}", where, _FIX)
                      for k, v in raw.items()}
            for layer in sorted(directions):
                check_tensor(directions[layer], f"direction.{layer}", where, _FIX)
            lineage, info = json.loads(meta["lineage"]), json.loads(meta.get("info", "{}"))
            if not isinstance(lineage, list) or not isinstance(info, dict):
                raise ValueError("lineage must be a JSON list and info a JSON object")
            return cls(
                directions=directions,
                scales=scales,
                model_name=str(meta["model_name"]),
                model_fingerprint=str(meta["model_fingerprint"]),
                hidden_size=int(meta["hidden_size"]),
                method=str(meta["method"]),
                dataset_fingerprint=str(meta["dataset_fingerprint"]),
                read_position=str(meta["read_position"]),
                lineage=[str(x) for x in lineage],
                info=info,
            )
        except KeyError as err:
            raise SteerbridgeError(f"{where}: metadata misses the key {err}; the file is damaged "
                                   f"or not a steerbridge vector. {_FIX}") from None
        except (ValueError, TypeError) as err:
            raise SteerbridgeError(f"{where}: metadata is corrupt ({err}). {_FIX}") from None
        except SteerbridgeError as err:
            msg = str(err)
            raise SteerbridgeError(msg if msg.startswith(where) else f"{where}: {msg}") from None

    def save(self, path: str | Path, force: bool = False) -> Path:
        """Write ``.safetensors``: one float32 tensor ``direction.<layer>`` per layer + metadata.

        Atomic (`steerbridge.safeio`); a file of another kind at `path` is kept unless `force`.
        """
        tensors = {f"direction.{k}": v.detach().float().contiguous().cpu()
                   for k, v in self.directions.items()}
        return atomic_write(path, lambda tmp: save_file(tensors, str(tmp),
                                                        metadata=self.metadata()),
                            kind="vector", force=force, verify=verify_safetensors)

    @classmethod
    def load(cls, path: str | Path, model: LoadedModel | None = None) -> SteeringVector:
        """Read a vector saved by `save`; with `model`, refuse one made for another model."""
        p = Path(path).expanduser()
        head = read_bytes(p, "Steering vector file", limit=8)
        try:
            with safe_open(str(p), framework="pt") as f:
                meta = dict(f.metadata() or {})
            tensors = load_file(str(p))
            directions = {int(k.split(".", 1)[1]): t for k, t in tensors.items()
                          if k.startswith("direction.")}
        except Exception as err:  # noqa: BLE001 - safetensors raises its own error types
            what = "a pickle/PyTorch file (never unpickled here)" if head[:1] == b"\x80" or \
                head[:2] == b"PK" else "not a readable safetensors file"
            raise SteerbridgeError(f"{p} is {what} ({type(err).__name__}: {err}); give a "
                                   "steering vector written by steerbridge.") from None
        vec = cls.from_metadata(meta, directions, str(p))
        if model is not None:
            vec.check_model(model)
        return vec


def random_like(vector: SteeringVector, seed: int = 0) -> SteeringVector:
    """A random Gaussian direction per layer with the same norm (and scale) as `vector`."""
    cpu = torch.device("cpu")  # the same draw on every machine; steering moves it
    g = torch.Generator(device=cpu).manual_seed(seed)
    directions = {}
    for layer in vector.layers:
        r = torch.randn(vector.hidden_size, generator=g, dtype=torch.float64, device=cpu)
        directions[layer] = (r / r.norm() * float(vector.direction(layer).double().norm())).float()
    return replace(vector, directions=directions, scales=dict(vector.scales), method="random",
                   lineage=[*vector.lineage, f"replaced by a random direction of equal norm "
                            f"(seed {seed})"], info={**vector.info, "random_seed": seed})
