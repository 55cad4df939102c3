"""Reading a bridge file: every tensor, shape and metadata field checked, with clear errors.

A bridge is one ``.safetensors`` file (tensors ``W`` [d_t, d_s], ``b`` [d_t]) whose metadata
key ``steerbridge`` holds JSON provenance (`steerbridge.bridge.affine.Bridge.metadata`).
`read_bridge_file` returns the fields `Bridge` is built from, or raises a `SteerbridgeError`
that names the file, what is wrong (a pickle, another kind of file, a missing or malformed
field, a NaN in ``W``...) and the fix. Nothing is ever unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors import safe_open
from torch import Tensor

from steerbridge.checks import check_scale, check_tensor
from steerbridge.errors import SteerbridgeError
from steerbridge.safeio import describe, is_pickle, read_bytes, sniff

FORMAT = "steerbridge.bridge"
FORMAT_VERSION = 1
_FIX = "Refit it with `steerbridge fit-bridge` (or the run's bridge stage); do not edit bridges."


def _tensors(p: Path) -> tuple[dict[str, str], dict[str, Tensor]]:
    head = read_bytes(p, "Bridge file", limit=8)
    if is_pickle(head):
        raise SteerbridgeError(f"{p} is a pickle/PyTorch file, not a bridge; steerbridge never "
                               "unpickles. Give a bridge written by `steerbridge fit-bridge`.")
    try:
        with safe_open(str(p), "pt") as f:
            meta = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except Exception as err:  # noqa: BLE001 - any unreadable file gets one clear message
        raise SteerbridgeError(f"{p} is not a readable safetensors file ({type(err).__name__}: "
                               f"{err}); give a bridge written by `steerbridge fit-bridge`."
                               ) from None
    return meta, tensors


def _meta(p: Path, raw_meta: dict[str, str]) -> dict[str, Any]:
    raw = raw_meta.get("steerbridge")
    if raw is None:
        kind = sniff(p)
        what = describe(kind) if kind not in ("bridge", "moments") else "a safetensors file"
        raise SteerbridgeError(f"{p} is {what}, not a steerbridge bridge. Give the bridge file "
                               "(from `steerbridge fit-bridge` or a run directory).")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as err:
        raise SteerbridgeError(f"{p}: the bridge metadata is not valid JSON ({err}). {_FIX}"
                               ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        fmt = meta.get("format") if isinstance(meta, dict) else None
        raise SteerbridgeError(f"{p} is not a steerbridge bridge file (format {fmt!r}). "
                               "Give the bridge file (from `steerbridge fit-bridge`).")
    if meta.get("format_version") != FORMAT_VERSION:
        raise SteerbridgeError(
            f"{p} has bridge format version {meta.get('format_version')!r}, this steerbridge "
            f"reads version {FORMAT_VERSION}: refit it with `steerbridge fit-bridge`.")
    return meta


def _fields(p: Path, meta: dict[str, Any]) -> dict[str, Any]:
    layers = meta["source_layers"]
    if not isinstance(layers, list) or not layers or not all(
            isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in layers):
        raise ValueError(f"source_layers is {layers!r}, not a list of layer numbers")
    target_layer = meta["target_layer"]
    if not isinstance(target_layer, int) or isinstance(target_layer, bool) or target_layer < 0:
        raise ValueError(f"target_layer is {target_layer!r}, not a layer number")
    scale = meta.get("target_scale")
    if scale is not None:
        scale = check_scale(scale, "target_scale", str(p), _FIX)
    out: dict[str, Any] = {"source_layers": list(layers), "target_layer": target_layer,
                           "target_scale": scale}
    for key in ("source_name", "target_name", "source_fingerprint", "target_fingerprint",
                "method"):
        if not isinstance(meta[key], str):
            raise ValueError(f"{key} is {meta[key]!r}, not a string")
        out[key] = meta[key]
    for key in ("metrics", "settings", "provenance"):
        value = meta.get(key, {})
        if not isinstance(value, dict):
            raise ValueError(f"{key} is a {type(value).__name__}, not an object")
        out[key] = value
    return out


def _check_shapes(p: Path, tensors: dict[str, Tensor], fields: dict[str, Any],
                  meta: dict[str, Any]) -> None:
    missing = [k for k in ("W", "b") if k not in tensors]
    if missing:
        raise SteerbridgeError(f"{p} has no tensor {' or '.join(missing)} (it holds "
                               f"{sorted(tensors) or 'no tensors'}). {_FIX}")
    W, b = tensors["W"], tensors["b"]
    n_src = len(fields["source_layers"])
    if W.dim() != 2 or b.dim() != 1 or W.shape[0] != b.shape[0] or W.shape[1] % n_src:
        raise SteerbridgeError(f"{p}: W has shape {tuple(W.shape)} and b {tuple(b.shape)}; a "
                               f"bridge needs W [d_t, d_s × {n_src}] and b [d_t]. {_FIX}")
    for key, size in (("d_target", W.shape[0]), ("d_source", W.shape[1])):
        if key in meta and meta[key] != size:
            raise SteerbridgeError(f"{p}: metadata says {key} = {meta[key]!r} but W has "
                                   f"shape {tuple(W.shape)}. {_FIX}")
    check_tensor(W, "W", str(p), _FIX)
    check_tensor(b, "b", str(p), _FIX)


def read_bridge_file(path: str | Path) -> dict[str, Any]:
    """The checked fields of the bridge at `path`: ``W``, ``b`` and the keyword arguments of
    `Bridge` (layers, names, fingerprints, method, target scale, metrics, settings,
    provenance)."""
    p = Path(path).expanduser()
    raw_meta, tensors = _tensors(p)
    meta = _meta(p, raw_meta)
    try:
        fields = _fields(p, meta)
    except KeyError as err:
        raise SteerbridgeError(f"{p}: the bridge metadata misses the key {err}. {_FIX}") from None
    except (TypeError, ValueError) as err:
        raise SteerbridgeError(f"{p}: the bridge metadata is malformed ({err}). {_FIX}"
                               ) from None
    _check_shapes(p, tensors, fields, meta)
    return {"W": tensors["W"], "b": tensors["b"], **fields}
