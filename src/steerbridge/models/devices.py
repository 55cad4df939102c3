"""Devices: which one a model runs on, where each decoder block sits, where statistics go.

- `resolve_device` turns ``"auto"`` / ``None`` / ``"cuda"`` / ``"cuda:1"`` / ``"cpu"`` into a
  `torch.device`, failing with a message that says what to do (``--device cuda`` on a machine
  without CUDA, an index past the last GPU, an unknown name).
- `stats_device`: where float64 sums and fits run for a model on `device` (the device itself
  when it does float64, else the CPU: Apple's MPS has no float64).
- `module_device` / `to_like`: the per-block logic of a model split over several devices
  (``device_map="auto"``): each hook moves its own tensors to its block's device and dtype.
- `choose_attention`: the attention kernel per architecture (flash-attention 2 on a GPU when
  installed, else sdpa where the architecture has it, eager for Gemma 2's soft-capping).
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

import torch
from torch import Tensor, nn

from steerbridge.errors import SteerbridgeError

DeviceSpec = str | torch.device | None
"""``None`` or ``"auto"`` (CUDA when present, else the CPU), ``"cpu"``, ``"cuda"``,
``"cuda:N"``, ``"mps"``, or a `torch.device`."""

_KINDS = ("cpu", "cuda", "mps", "meta")


def default_device() -> torch.device:
    """CUDA (the current GPU) when one is visible, else the CPU."""
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def resolve_device(spec: DeviceSpec = None) -> torch.device:
    """A checked `torch.device` for `spec`; raises `SteerbridgeError` saying what to pass."""
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "auto")):
        return default_device()
    try:
        dev = spec if isinstance(spec, torch.device) else torch.device(str(spec).strip())
    except (RuntimeError, ValueError) as err:
        raise SteerbridgeError(
            f"Unknown device {spec!r}: use auto, cpu, cuda, cuda:N or mps.") from err
    if dev.type not in _KINDS:
        raise SteerbridgeError(f"Device {spec!r} is not supported: use auto, cpu, cuda, cuda:N "
                               "or mps.")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise SteerbridgeError(
                f"--device {spec} asks for a GPU, but this torch sees no CUDA device "
                f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}). Use "
                "--device cpu, or install a CUDA build of torch and check nvidia-smi and "
                "CUDA_VISIBLE_DEVICES.")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise SteerbridgeError(
                f"--device {spec}: there are only {count} visible GPU(s), cuda:0..cuda:"
                f"{count - 1}. Pick one of those or check CUDA_VISIBLE_DEVICES.")
    if dev.type == "mps" and not (hasattr(torch.backends, "mps")
                                  and torch.backends.mps.is_available()):
        raise SteerbridgeError(f"--device {spec}: this torch has no usable MPS backend; use "
                               "--device cpu.")
    return dev


@functools.lru_cache(maxsize=16)
def _float64_works(device: str) -> bool:
    try:
        a = torch.ones(2, 2, dtype=torch.float64, device=device)
        return bool(float((a @ a).sum().cpu()) == 8.0)
    except (RuntimeError, TypeError):
        return False


def float64_works(device: DeviceSpec) -> bool:
    """True when `device` computes float64 matmuls (CPU, CUDA; not MPS). Checked once."""
    dev = torch.device(device) if device is not None else default_device()
    if dev.type == "meta":
        return True
    return _float64_works(str(dev))


def stats_device(device: DeviceSpec) -> torch.device:
    """Where float64 statistics for a model on `device` live: that device, or the CPU when it
    cannot do float64."""
    dev = torch.device(device) if device is not None else default_device()
    return dev if float64_works(dev) else torch.device("cpu")


def module_device(module: nn.Module, default: torch.device | None = None) -> torch.device:
    """The device of a module's first parameter or buffer (a decoder block's device under a
    device map); `default` (else the CPU) for a module with neither."""
    for p in module.parameters():
        return p.device
    for b in module.buffers():
        return b.device
    return default if default is not None else torch.device("cpu")


def model_devices(model: nn.Module) -> list[torch.device]:
    """Every device the model's parameters sit on, in first-seen order."""
    seen: dict[str, torch.device] = {}
    for p in model.parameters():
        seen.setdefault(str(p.device), p.device)
    return list(seen.values())


def input_device(model: nn.Module) -> torch.device:
    """Where input ids go: the device of the input embeddings (the first device of a map)."""
    get = getattr(model, "get_input_embeddings", None)
    emb = get() if callable(get) else None
    if isinstance(emb, nn.Module):
        return module_device(emb)
    return module_device(model)


def to_like(t: Tensor, like: Tensor) -> Tensor:
    """`t` on `like`'s device and in its dtype (no copy when it already is)."""
    if t.device == like.device and t.dtype == like.dtype:
        return t
    return t.to(device=like.device, dtype=like.dtype)


def choose_attention(model_type: str, device: DeviceSpec, dtype: torch.dtype,
                     requested: str | None = "auto") -> str | None:
    """The ``attn_implementation`` to load a model with (``None``: the transformers default).

    ``auto``: flash-attention 2 on a GPU in 16-bit when the package is installed (it also
    soft-caps, so Gemma 2 gets it too); otherwise eager for Gemma 2 (its logit soft-capping
    has no sdpa path) and the transformers default for every other architecture, which is
    sdpa wherever the architecture has it (Qwen2, Llama, Mistral, Gemma 3, GPT-2, ...).
    Anything else is passed through.
    """
    if requested != "auto":
        return requested
    dev = torch.device(device) if device is not None else default_device()
    half = dtype in (torch.float16, torch.bfloat16)
    if dev.type == "cuda" and half and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "eager" if model_type == "gemma2" else None


def describe_devices(model: Any) -> str:
    """``cuda:0`` or ``cuda:0, cuda:1 (device map)``: for messages and `LoadedModel.info`."""
    devs = model_devices(model)
    names = ", ".join(str(d) for d in devs) or "cpu"
    return names + (" (device map)" if len(devs) > 1 else "")


def check_device_name(name: str) -> str:
    """`name` if it names a device kind steerbridge runs on (availability is checked when a
    model loads, so a config written on a laptop validates for a GPU machine)."""
    if name.strip().lower() == "auto":
        return "auto"
    try:
        dev = torch.device(name.strip())
    except (RuntimeError, ValueError) as err:
        raise ValueError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from err
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device {name!r} is not supported; use auto, cpu, cuda, cuda:N or mps")
    return str(dev)
