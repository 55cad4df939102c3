"""GGUF control vectors, the layout llama.cpp reads with ``--control-vector``.

Layout: GGUF architecture ``controlvector``; one 1-D float32 tensor ``direction.<k>`` per layer;
keys ``controlvector.model_hint`` and ``controlvector.layer_count`` (llama.cpp ignores
metadata, other tools read it). steerbridge adds ``steerbridge.metadata`` (the JSON metadata of
the `SteeringVector`) so an import restores scales and lineage.

Layer numbering (read in llama.cpp's source and measured with a one-layer experiment, see
`steerbridge.vectors.llamacpp`): ``direction.k`` is added to the output of llama.cpp's block
``k`` (0-based), which is steerbridge's layer ``k`` (output of decoder block ``k`` = HF
``hidden_states[k + 1]``). llama.cpp rejects ``direction.0``, so layer 0 cannot be exported.

What is written: ``alpha * v_hat * scale`` per layer, with ``alpha`` stored in the metadata
(``steerbridge.alpha``). llama.cpp applies no scale of its own: ``--control-vector FILE`` adds
exactly these tensors, i.e. ``steer(lm, vector, alpha)`` here; ``--control-vector-scaled FILE:s``
is ``steer(lm, vector, s * alpha)``. The default ``alpha = 1`` makes the file a unit file whose
strength ``s`` is the alpha. An imported steerbridge file divides the tensors by the stored
alpha again (direction ``v_hat * scale``, so the sign survives a negative alpha) and keeps its
stored scales. A foreign file (no steerbridge metadata) gets scale = the tensor's norm, so
alpha = 1 adds the tensor as llama.cpp would with strength 1; `steerbridge.vectors.foreign`
adopts it for a named model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.safeio import atomic_write, is_pickle, read_bytes
from steerbridge.vectors.vector import SteeringVector

ARCH = "controlvector"
META_KEY = "steerbridge.metadata"
ALPHA_KEY = "steerbridge.alpha"


def save_gguf(vector: SteeringVector, path: str | Path, model_hint: str | None = None,
              alpha: float = 1.0, force: bool = False) -> Path:
    """Write `vector` as a llama.cpp control vector: ``direction.<layer>`` = alpha*v_hat*scale
    (llama.cpp applies no scale of its own; the alpha is stored in the metadata).

    Atomic (`steerbridge.safeio`): a full disk leaves the previous file; a file of another
    kind at `path` is kept unless `force`.
    """
    if 0 in vector.directions:
        raise SteerbridgeError(
            "llama.cpp cannot apply a control vector at layer 0 (it rejects direction.0). "
            "Export the other layers: vector.select([...]) without 0, or extract at layer >= 1."
        )
    a = _gguf_alpha(alpha)
    tensors = {layer: gguf_tensor(vector, layer, a) for layer in vector.layers}
    return atomic_write(path, lambda tmp: _write_gguf(vector, tensors, tmp, model_hint, a),
                        kind="vector", force=force, verify=load_gguf)


def _write_gguf(vector: SteeringVector, tensors: dict[int, np.ndarray], p: Path,
                model_hint: str | None, alpha: float) -> None:
    import gguf

    writer = gguf.GGUFWriter(str(p), arch=ARCH)
    writer.add_string(f"{ARCH}.model_hint", model_hint or _hint(vector.model_name))
    writer.add_uint32(f"{ARCH}.layer_count", len(tensors))
    meta = vector.metadata()
    meta["gguf_tensor"] = "alpha_times_unit_direction_times_scale"
    meta["gguf_alpha"] = repr(alpha)
    writer.add_string(META_KEY, json.dumps(meta))
    writer.add_float32(ALPHA_KEY, alpha)
    for layer, arr in tensors.items():
        writer.add_tensor(f"direction.{layer}", arr)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def gguf_tensor(vector: SteeringVector, layer: int, alpha: float = 1.0) -> np.ndarray:
    """The float32 array written for `layer`: ``alpha * v_hat * scale``."""
    vector.unit(layer)  # raises on a missing layer or a zero direction
    v = vector.directions[layer].double()
    return (v / v.norm() * (vector.scales[layer] * alpha)).float().numpy().astype(np.float32)


def _gguf_alpha(alpha: float) -> float:
    a = float(alpha)
    if not np.isfinite(a) or a == 0:
        raise SteerbridgeError(f"GGUF export alpha must be finite and non-zero, got {alpha}; "
                               "llama.cpp adds the file's tensors as they are (alpha 1 = one "
                               "median token norm; useful values are about 0.05-0.5).")
    return a


def _hint(name: str) -> str:
    return name.split("/")[-1].split("-")[0] if name else "unknown"


def load_gguf(path: str | Path) -> SteeringVector:
    """Read a GGUF control vector (ours or another tool's) as a `SteeringVector`."""
    import gguf

    p = Path(path).expanduser()
    if is_pickle(read_bytes(p, "GGUF file", limit=4)):
        raise SteerbridgeError(f"{p} is a pickle/PyTorch file, not GGUF; steerbridge never "
                               "unpickles. Give a GGUF control vector.")
    try:
        reader = gguf.GGUFReader(str(p))
    except Exception as err:  # noqa: BLE001 - the reader raises plain ValueError/struct errors
        raise SteerbridgeError(f"{p} is not a readable GGUF file ({type(err).__name__}: {err}); "
                               "it may be truncated. Export it again.") from None
    arch = _field_str(reader, "general.architecture")
    if arch != ARCH:
        raise SteerbridgeError(
            f"{p} is a GGUF file of architecture {arch!r}, not a control vector "
            f"({ARCH!r}); is it a model file? Control vectors hold direction.<layer> tensors."
        )
    directions: dict[int, torch.Tensor] = {}
    for t in reader.tensors:
        if not t.name.startswith("direction."):
            continue
        try:
            layer = int(t.name.split(".", 1)[1])
        except ValueError as err:
            raise SteerbridgeError(f"{p}: tensor {t.name!r} has no layer number.") from err
        arr = np.asarray(t.data, dtype=np.float32).reshape(-1)
        directions[layer] = torch.from_numpy(arr.copy())
    if not directions:
        raise SteerbridgeError(f"{p} holds no direction.<layer> tensors: not a control vector.")
    sizes = {v.numel() for v in directions.values()}
    if len(sizes) != 1:
        raise SteerbridgeError(f"{p}: direction tensors have different sizes {sorted(sizes)}.")
    raw_meta = _field_str(reader, META_KEY)
    if raw_meta:
        try:
            meta = json.loads(raw_meta)
        except json.JSONDecodeError as err:
            raise SteerbridgeError(f"{p}: its steerbridge metadata is not valid JSON ({err}); "
                                   "export the vector again.") from None
        if not isinstance(meta, dict):
            raise SteerbridgeError(f"{p}: its steerbridge metadata is not a JSON object; "
                                   "export the vector again.")
        alpha = float(meta.pop("gguf_alpha", "1.0"))  # files before alpha was stored: 1
        if alpha != 1.0:
            directions = {k: v / alpha for k, v in directions.items()}
        vec = SteeringVector.from_metadata(meta, directions, str(p))
        vec.info = {**vec.info, "gguf_alpha": alpha}
        if set(vec.scales) != set(directions):
            raise SteerbridgeError(f"{p}: metadata scales cover layers {sorted(vec.scales)} but "
                                   f"the file holds {sorted(directions)}.")
        vec.lineage = [*vec.lineage, f"exported to and imported from GGUF {p.name}"]
        return vec
    hint = _field_str(reader, f"{ARCH}.model_hint") or "unknown"
    return SteeringVector(
        directions=directions,
        scales={k: float(v.double().norm()) for k, v in directions.items()},
        model_name=hint,
        model_fingerprint="unknown",
        hidden_size=sizes.pop(),
        method="imported",
        dataset_fingerprint="unknown",
        read_position="unknown",
        lineage=[f"imported from GGUF control vector {p.name} (model hint {hint})"],
        info={"model_hint": hint, "alpha_semantics": "foreign: alpha 1 reproduces the file"},
    )


def _field_str(reader: object, key: str) -> str | None:
    field = reader.fields.get(key)  # type: ignore[attr-defined]
    if field is None:
        return None
    try:
        return str(field.contents())
    except AttributeError:  # older gguf: raw parts
        return bytes(field.parts[field.data[0]]).decode("utf-8")


def load(path: str | Path, model: LoadedModel | None = None) -> SteeringVector:
    """Read a steering vector: a GGUF control vector when the path ends in ``.gguf``, else the
    project's ``.safetensors`` (`SteeringVector.load`); with `model`, refuse another model's."""
    if str(path).endswith(".gguf"):
        vec = load_gguf(path)
        if model is not None:
            from steerbridge.vectors import foreign

            if foreign.is_foreign(vec):  # another tool's file: adopt it for `model`, checked
                return foreign.adopt(vec, foreign.ModelIdentity.of(model))
            vec.check_model(model)
        return vec
    return SteeringVector.load(path, model)
