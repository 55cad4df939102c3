"""Files in and out, safely: atomic writes, clear reads, corrupt caches set aside.

Every file steerbridge writes goes through `atomic_write` (or `write_text`): the bytes go to a
temporary file in the destination's folder, are flushed to disk and verified (size, and a
re-read where the caller gives one), and only then ``os.replace`` the destination. A full or
read-only disk, an interrupt or a crash leaves the previous file as it was. A destination
that already holds a file of another kind (a dataset, a config, a vector where a bridge goes)
is refused unless ``force=True`` (``--force`` on the command line).

Reading: `read_text` / `read_json` name the input and the fix for a missing file, a folder, a
pickle, non-UTF-8 bytes or bad JSON. Nothing here ever unpickles. `set_aside` renames a corrupt
cached file to ``NAME.corrupt-<time>`` (so it is kept for inspection) and warns; the caller
then recomputes it.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import secrets
import struct
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from steerbridge.errors import SteerbridgeError, warn

# kinds of files steerbridge writes or meets, as `sniff` names them
KINDS = {
    "bridge": "a steerbridge bridge",
    "vector": "a steering vector",
    "moments": "cached hidden-state moments",
    "safetensors": "a safetensors file (not steerbridge's)",
    "gguf": "a GGUF model file",
    "pickle": "a pickle / PyTorch checkpoint",
    "dataset": "an A/B dataset",
    "results": "a steerbridge results.json",
    "run": "a steerbridge run.json",
    "json": "a JSON file",
    "config": "a TOML config",
    "text": "a text file",
    "binary": "a binary file",
    "empty": "an empty file",
    "report": "a steerbridge report",
    "table": "a steerbridge table",
    "image": "an image",
}


def describe(kind: str) -> str:
    """Words for a `KINDS` key."""
    return KINDS.get(kind, kind)


# --------------------------------------------------------------------------- reading


def read_bytes(path: str | os.PathLike[str], what: str, limit: int | None = None) -> bytes:
    """The bytes of the file `what` (e.g. ``"A/B dataset"``; the first `limit` of them), or a
    clear error for a missing file, a folder or no permission."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise SteerbridgeError(f"{what} {p} is a folder, not a file: give the path of the file "
                               "inside it.")
    if not p.exists():
        raise SteerbridgeError(f"{what} {p} does not exist: check the path (relative paths in a "
                               "config are relative to the config file).")
    try:
        if limit is None:
            return p.read_bytes()
        with p.open("rb") as f:
            return f.read(limit)
    except OSError as err:
        raise SteerbridgeError(f"Cannot read {what} {p}: {err.strerror or err}. Check its "
                               "permissions.") from None


def is_pickle(data: bytes) -> bool:
    """A pickle stream (protocol 2+) or a zipped PyTorch checkpoint: never loaded here."""
    return (len(data) > 1 and data[0] == 0x80 and data[1] <= 5) or data[:4] == b"PK\x03\x04"


def decode(data: bytes, p: Path, what: str) -> str:
    """UTF-8 text (a leading BOM is dropped) or an error that says how to convert the file."""
    if is_pickle(data):
        raise SteerbridgeError(f"{what} {p} is a pickle/PyTorch file; steerbridge never unpickles "
                               "anything. Give the text file it expects.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if b"\x00" in data[:65536]:  # a binary file: converting its "encoding" cannot help
            raise SteerbridgeError(
                f"{what} {p} is not UTF-8 text: it holds NUL bytes, so it is a binary file (or "
                "UTF-16 text). Give a UTF-8 text file.") from None
        raise SteerbridgeError(
            f"{what} {p} is not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}). "
            f"Save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 {p.name} > fixed-{p.name}`."
        ) from None


def read_text(path: str | os.PathLike[str], what: str) -> str:
    """The UTF-8 text of the file `what`; a clear error for a missing file, a folder, a
    pickle or other bytes."""
    return decode(read_bytes(path, what), Path(path).expanduser(), what)


def read_json(path: str | os.PathLike[str], what: str) -> Any:
    """The JSON value in the file `what`; the error names the line and column."""
    p = Path(path).expanduser()
    text = read_text(p, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SteerbridgeError(f"{what} {p} is not valid JSON ({err.msg} at line {err.lineno}, "
                               f"column {err.colno}); fix the file or give another.") from None


def set_aside(path: str | os.PathLike[str], why: str) -> Path:
    """Rename a corrupt file to ``NAME.corrupt-<UTC time>`` (kept for inspection) and warn."""
    p = Path(path)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    new = p.with_name(f"{p.name}.corrupt-{stamp}")
    os.replace(p, new)
    warn(f"{p} was unreadable ({why}); set it aside as {new.name} and recomputing it.")
    return new


# ------------------------------------------------------------------------- file kinds


def _safetensors_kind(head: bytes) -> str | None:
    if len(head) < 10:
        return None
    (n,) = struct.unpack("<Q", head[:8])
    if not 2 <= n <= len(head) - 8 or head[8:9] != b"{":
        return None
    try:
        header = json.loads(head[8:8 + n])
    except (ValueError, UnicodeDecodeError):
        return None
    meta = header.get("__metadata__") or {} if isinstance(header, dict) else {}
    if meta.get("format") == "steerbridge.steering_vector":
        return "vector"
    inner = meta.get("steerbridge")
    if isinstance(inner, str):
        try:
            fmt = json.loads(inner)
        except ValueError:
            fmt = {}
        if isinstance(fmt, dict) and fmt.get("format") == "steerbridge.bridge":
            return "bridge"
        if isinstance(fmt, dict) and "pair" in fmt:
            return "moments"
    return "safetensors"


def _text_kind(text: str, suffix: str) -> str:
    """JSON, JSONL, TOML or plain text, from (the head of) a text file."""
    body = text.lstrip()
    if body.startswith("{"):
        if '"format": "steerbridge.results"' in body[:4096]:
            return "results"
        if '"format": "steerbridge.run"' in body[:4096]:
            return "run"
        first = body.splitlines()[0]
        try:
            line = json.loads(first)
        except ValueError:
            return "json"
        return "dataset" if isinstance(line, dict) and "question" in line else "json"
    if body.startswith("["):
        if '"question"' in body[:65536]:
            return "dataset"
        try:
            cfg = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            return "json"
        return "config" if "models" in cfg else "text"
    if suffix == ".toml":
        return "config"
    if body.lower().startswith("<!doctype html") or body.startswith("# steerbridge report"):
        return "report"
    try:
        cfg = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return "text"
    return "config" if "models" in cfg else "text"


def sniff(path: str | os.PathLike[str], head_bytes: int = 1 << 20) -> str:
    """The kind of an existing file (a `KINDS` key), from its first bytes."""
    p = Path(path)
    with p.open("rb") as f:
        head = f.read(head_bytes)
    if not head:
        return "empty"
    # safetensors first: its 8-byte header length can itself start 0x80 0x0N, a pickle's mark
    if (st := _safetensors_kind(head)) is not None:
        return st
    if is_pickle(head):
        return "pickle"
    if head[:4] == b"GGUF":
        return "vector" if b"controlvector" in head[:65536] else "gguf"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # not just a character cut at the end of the head
            return "binary"
        text = head[:err.start].decode("utf-8")
    return _text_kind(text, p.suffix)


def check_replace(path: Path, kind: str | tuple[str, ...], force: bool = False) -> None:
    """Refuse to replace an existing file of another kind than `kind` unless `force`."""
    kinds = (kind,) if isinstance(kind, str) else kind
    if path.is_dir():
        raise SteerbridgeError(f"Output {path} is a folder; give a file name (e.g. "
                               f"{path / ('out' + (path.suffix or '.safetensors'))}).")
    if force or not path.exists():
        return
    found = sniff(path)
    if found in kinds or found == "empty":
        return
    raise SteerbridgeError(
        f"Output {path} already holds {describe(found)}, not {describe(kinds[0])}; refusing to "
        "replace it. Choose another output path, or pass --force (force=True) to replace it.")


# --------------------------------------------------------------------------- writing


def _os_error(err: OSError, path: Path) -> SteerbridgeError:
    where = path.parent if str(path.parent) else Path(".")
    if err.errno == errno.ENOSPC or err.errno == errno.EDQUOT:
        fix = f"the disk holding {where} is full. Free some space or write elsewhere"
    elif err.errno == errno.EROFS:
        fix = f"{where} is on a read-only file system. Write elsewhere"
    elif err.errno in (errno.EACCES, errno.EPERM):
        fix = f"no permission to write in {where}. Write elsewhere or fix the permissions"
    else:
        fix = f"{err.strerror or err}. Check the path and the disk"
    return SteerbridgeError(f"Could not write {path}: {fix}. The previous {path.name} (if any) "
                            "is unchanged.")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object], *,
                 kind: str | tuple[str, ...], force: bool = False,
                 verify: Callable[[Path], object] | None = None) -> Path:
    """Write a file through ``write(tmp_path)``, verify it, then move it over `path`.

    `kind` (a `KINDS` key, or several) is what is written: an existing file of another kind
    is refused unless `force`. `verify(tmp_path)` may re-read the file and raise. On any error
    the temporary file is removed and the previous file is left as it was; an `OSError` (full
    disk, read-only folder, no permission) becomes a `SteerbridgeError` naming the file.
    """
    p = Path(path).expanduser()
    check_replace(p, kind, force)
    tmp = p.with_name(f".{p.stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}{p.suffix}")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise SteerbridgeError(f"Writing {p} produced no data; nothing was replaced.")
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        if verify is not None:
            try:
                verify(tmp)
            except Exception as err:  # noqa: BLE001 - any failed re-read means a bad file
                raise SteerbridgeError(f"Writing {p} gave a file that does not read back "
                                       f"({err}); the previous {p.name} is unchanged.") from None
        os.replace(tmp, p)
    except OSError as err:
        raise _os_error(err, p) from None
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(p.parent)
    return p


def write_bytes(path: str | os.PathLike[str], data: bytes, *, kind: str | tuple[str, ...],
                force: bool = False) -> Path:
    """`atomic_write` of `data`, verified by size."""

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    def verify(tmp: Path) -> None:
        if tmp.stat().st_size != len(data):
            raise SteerbridgeError(f"{tmp.stat().st_size} bytes on disk, {len(data)} written")

    return atomic_write(path, write, kind=kind, force=force, verify=verify)


def write_text(path: str | os.PathLike[str], text: str, *, kind: str | tuple[str, ...],
               force: bool = False) -> Path:
    """`atomic_write` of UTF-8 `text`, verified by size."""
    return write_bytes(path, text.encode("utf-8"), kind=kind, force=force)


def write_json(path: str | os.PathLike[str], obj: Any, *, kind: str | tuple[str, ...] = "json",
               force: bool = False, indent: int | None = 1) -> Path:
    """`atomic_write` of `obj` as JSON (no NaN: callers turn NaN into None first)."""
    return write_text(path, json.dumps(obj, indent=indent, allow_nan=False), kind=kind,
                      force=force)


def verify_safetensors(path: Path) -> None:
    """Re-read a safetensors file's header and tensors (no pickle involved)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        for key in f.keys():  # noqa: SIM118 - safe_open has no __iter__
            f.get_slice(key)


def write_figure(path: str | os.PathLike[str], fig: Any, force: bool = False,
                 dpi: int = 130) -> Path:
    """`atomic_write` of a matplotlib figure (kind "image"); the figure is closed after."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi), kind="image",
                            force=force)
    finally:
        plt.close(fig)
