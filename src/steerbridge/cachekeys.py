"""Cache keys from content: one scheme for every cached stage.

A cached result is valid only while every input it was computed from is unchanged, so a key
hashes the *content* of the inputs (model fingerprints, corpus and dataset fingerprints, file
bytes, settings), never a path or an alias: a file edited in place gets a new key, a folder
moved elsewhere keeps its keys.

- `content_key(**parts)`: 16 hex digits of SHA-256 over the parts as canonical JSON (keys
  sorted, non-JSON values through ``str``). It equals ``run.config.digest(parts)`` for the same
  dict, so the run stages can key with it without invalidating existing run directories.
- `file_digest(path)`: 16 hex digits of SHA-256 over a file's bytes (read in blocks); the same
  value as the run config's ``_file_digest`` for an existing file. Put it among the parts of a
  key for every input file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from steerbridge.errors import SteerbridgeError

KEY_LENGTH = 16
_BLOCK = 1 << 20


def canonical_json(parts: Any) -> str:
    """The JSON text a key hashes: keys sorted, values JSON can't hold written with ``str``."""
    return json.dumps(parts, sort_keys=True, default=str)


def content_key(**parts: Any) -> str:
    """A 16-hex-digit key of `parts` (see the module docstring); e.g.
    ``content_key(source=lm.fingerprint, windows=w.fingerprint, layers=[12])``."""
    return hashlib.sha256(canonical_json(parts).encode()).hexdigest()[:KEY_LENGTH]


def file_digest(path: str | os.PathLike[str]) -> str:
    """A 16-hex-digit hash of the bytes of the file at `path` (its content, not its name)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise SteerbridgeError(f"Cannot hash {p}: it is not a file.")
    h = hashlib.sha256()
    with p.open("rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()[:KEY_LENGTH]
