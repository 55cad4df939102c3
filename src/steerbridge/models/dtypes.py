"""Dtypes and optional loaders: what `dtype="auto"` picks on this machine, and GGUF support.

Kept apart from `loading` so the offline zoo can use them without importing the loader.
"""

from __future__ import annotations

import importlib.util

import torch

from steerbridge.errors import SteerbridgeError

DTYPES: dict[str, torch.dtype] = {
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float32": torch.float32,
    "fp32": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
}


def cpu_has_fast_bf16() -> bool:
    """True when the CPU advertises bf16 matrix instructions (AVX512-BF16 or AMX).

    Measured on an AVX2-only CPU: a float32 matmul ran at 23 GFLOP/s per core, bfloat16 at
    0.5 GFLOP/s, so "auto" must not pick bfloat16 there.
    """
    flags = _cpuinfo()
    return any(flag in flags for flag in ("avx512_bf16", "amx_bf16"))


def cpu_name() -> str:
    """The CPU's model name (to write beside every figure); the platform's word if unknown."""
    import platform

    for line in _cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _cpuinfo() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def resolve_dtype(dtype: str | torch.dtype, device: str = "cpu") -> torch.dtype:
    """Map a dtype name to torch; ``auto``: bfloat16 on a GPU or bf16-capable CPU, else float32.

    `device` is where the model will run: a CPU model gets float32 on an AVX2-only CPU even
    when a GPU is present elsewhere in the machine.
    """
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        fast = not str(device).startswith("cpu") or cpu_has_fast_bf16()
        return torch.bfloat16 if fast else torch.float32
    if dtype not in DTYPES:
        raise SteerbridgeError(f"Unknown dtype {dtype!r}; use auto or one of {', '.join(DTYPES)}.")
    return DTYPES[dtype]


def require_gguf_support() -> None:
    """Fail early, with the pip command, when GGUF loading cannot work."""
    missing = [m for m in ("gguf", "accelerate") if importlib.util.find_spec(m) is None]
    if missing:
        raise SteerbridgeError(
            f"Loading GGUF files needs {' and '.join(missing)}: pip install {' '.join(missing)}"
        )
