"""Reading the run directory's cached artifacts back, and setting aside the ones that fail.

A cached file can be truncated by a crash in another tool, edited by hand, or replaced by
something else. Each reader here returns the artifact, or None after renaming a file that does
not read back to ``NAME.corrupt-<time>`` (`steerbridge.safeio.set_aside`, with a warning), so
the stage makes it again instead of crashing or staying stuck until someone deletes files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from steerbridge.checks import check_scale
from steerbridge.errors import SteerbridgeError
from steerbridge.safeio import read_text, set_aside

T = TypeVar("T")
_READ_ERRORS = (SteerbridgeError, OSError, ValueError, KeyError, TypeError, AttributeError,
                IndexError, UnicodeError)


def cached(path: Path, load: Callable[[Path], T]) -> T | None:
    """``load(path)`` if the file exists and reads back; None if absent or set aside."""
    if not path.exists():
        return None
    try:
        return load(path)
    except _READ_ERRORS as err:
        set_aside(path, f"{type(err).__name__}: {err}")
        return None


def _json_object(path: Path, keys: Sequence[str]) -> dict[str, Any]:
    data = json.loads(read_text(path, "Cached file"))
    if not isinstance(data, dict):
        raise ValueError(f"a JSON {type(data).__name__}, not an object")
    missing = [k for k in keys if k not in data]
    if missing:
        raise KeyError(f"missing {', '.join(missing)}")
    return data


def cached_json(path: Path, keys: Sequence[str] = ()) -> dict[str, Any] | None:
    """A cached JSON object that holds `keys`; None if absent or set aside."""
    return cached(path, lambda p: _json_object(p, keys))


def _scales(path: Path) -> dict[str, float]:
    data = _json_object(path, ())
    return {str(k): check_scale(v, f"scale {k}", str(path), "") for k, v in data.items()}


def cached_scales(path: Path) -> dict[str, float]:
    """The run's measured layer scales (``{"<fingerprint>:<layer>": norm}``), checked."""
    return cached(path, _scales) or {}
