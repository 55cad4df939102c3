"""Hostile command-line values and outputs: every bad value exits 2 with a message naming the
option (before any model loads), and no output ever destroys a file: outputs of another kind
are refused unless --force, and a full, read-only or failing disk leaves the previous file."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest
import torch
from hostile_kit import ab_items, small_config, write_config

from steerbridge import safeio
from steerbridge.bridge.affine import Bridge
from steerbridge.errors import SteerbridgeError
from steerbridge.vectors import export
from steerbridge.vectors.vector import SteeringVector

VALUES = [
    (["fit-bridge", "--batch-size", "0"], ["--batch-size"]),
    (["fit-bridge", "--max-tokens", "0"], ["--max-tokens"]),
    (["fit-bridge", "--window", "1"], ["--window"]),
    (["fit-bridge", "--anchor-items", "0"], ["--anchor-items"]),
    (["fit-bridge", "--rank", "0"], ["--rank"]),
    (["fit-bridge", "--outlier-factor", "-1"], ["--outlier-factor"]),
    (["fit-bridge", "--source-layer", "x"], ["--source-layer"]),
    (["fit-bridge", "-o", "bridge.json"], ["bridge.json", ".safetensors"]),
    (["fit-bridge", "--method", "svd"], ["--method 'svd'", "ridge"]),
    (["fit-bridge", "--dtype", "int8"], ["'int8'", "float32"]),
    (["pairs", "--dtype", "fp8"], ["'fp8'"]),
    (["extract", "m", "--method", "pca"], ["'pca'", "pca_diff"]),
    (["pairs", "--source-layers", "3-1"], ["'3-1'", "runs backwards"]),
    (["pairs", "--target-layers", "two"], ["'two'", "not a whole number"]),
    (["pairs", "--fit-sources", "1,,2"], ["'1,,2'", "empty item"]),
    (["pairs", "--source-layers", "-3"], ["'-3'", "negative"]),
    (["pairs", "--source-layers", "2-8:0"], ["step of 0"]),
    (["pairs", "--batch-size", "0"], ["--batch-size"]),
    (["pairs", "--top-k", "0"], ["--top-k"]),
    (["pairs", "--sample-tokens", "0"], ["--sample-tokens"]),
    (["extract", "m", "--batch-size", "0"], ["--batch-size"]),
    (["extract", "m", "--limit", "-1"], ["--limit"]),
    (["extract", "m", "--layers", "3-1"], ["'3-1'"]),
    (["extract", "m", "--layers", ""], ["empty"]),
    (["extract", "m", "--multi-choice", "some"], ["--multi-choice", "keep or drop"]),
    (["extract", "m", "--read", "middle"], ["read position 'middle'"]),
    (["extract", "m", "-d", "no-such-behaviour"], ["no-such-behaviour"]),
    (["extract", "m", "-o", "v.txt"], ["v.txt", ".safetensors or .gguf"]),
    (["generate", "m", "-v", "v.safetensors", "--max-new-tokens", "0"], ["--max-new-tokens"]),
    (["generate", "m", "-v", "v.safetensors", "--alphas", "a,b"], ["--alphas"]),
    (["generate", "m", "-v", "v.safetensors", "--alphas", "nan"], ["finite"]),
    (["generate", "m", "-v", "v.safetensors", "--alphas", "1e999"], ["finite"]),
    (["generate", "m", "-v", "v.safetensors", "--positions", "some"], ["--positions"]),
    (["transfer", "v.safetensors", "b.safetensors", "--target-scale", "-2"], ["target_scale"]),
    (["run", "exp.toml", "--run-dir", "exp.toml"], ["Run directory exp.toml is a file"]),
]


@pytest.mark.parametrize(("args", "needles"), VALUES, ids=[" ".join(a[:3]) for a, _ in VALUES])
def test_bad_value_exits_2_before_any_work(tmp_path: Path, cli: Any,
                                           monkeypatch: pytest.MonkeyPatch, args: list[str],
                                           needles: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    if args[0] == "transfer":
        _pair(tmp_path)
    if args[0] == "run":
        write_config(tmp_path, small_config(tmp_path, "m", "n"))
    import steerbridge.models.loading as loading

    def no_load(*_: Any, **__: Any) -> Any:
        raise AssertionError("a model was loaded before the bad value was refused")

    monkeypatch.setattr(loading, "load", no_load)
    cli(*args).refused(*needles)


def _pair(root: Path) -> tuple[Path, Path]:
    g = torch.Generator().manual_seed(0)
    vec = SteeringVector({2: torch.randn(4, generator=g)}, {2: 3.0}, "src", "fp-src", 4,
                         "mean_diff", "d")
    bridge = Bridge(W=torch.randn(6, 4, generator=g), b=torch.zeros(6), source_layers=[2],
                    target_layer=3, source_name="src", target_name="tgt",
                    source_fingerprint="fp-src", target_fingerprint="fp-tgt", target_scale=5.0)
    return vec.save(root / "v.safetensors"), bridge.save(root / "b.safetensors")


def test_messages_keep_their_brackets(tmp_path: Path, cli: Any) -> None:
    """A path with [brackets] is printed as written, not eaten as Rich markup."""
    folder = tmp_path / "[draft] data"
    folder.mkdir()
    res = cli("extract", "m", "-d", folder / "[v2].json")
    res.refused("[draft] data", "[v2].json")


# ------------------------------------------------------------------------------ outputs

OTHER_KINDS = {
    "dataset": ("items.safetensors", lambda p: p.write_text(json.dumps(ab_items(2)))),
    "config": ("exp.safetensors", lambda p: p.write_text('[models]\nsource = "a"\n')),
    "bridge": ("bridge.safetensors", None),
    "gguf model": ("model.gguf", lambda p: p.write_bytes(b"GGUF\x03\x00\x00\x00llama")),
    "pickle": ("weights.safetensors", lambda p: p.write_bytes(b"\x80\x04K\x01.")),
}


@pytest.mark.parametrize("kind", list(OTHER_KINDS))
def test_output_of_another_kind_is_kept(tmp_path: Path, cli: Any, kind: str) -> None:
    vec, bridge = _pair(tmp_path)
    name, make = OTHER_KINDS[kind]
    out = tmp_path / name
    if make is None:
        out = bridge
    else:
        make(out)
    before = out.read_bytes()
    res = cli("transfer", vec, bridge, "-o", out)
    res.refused(out.name, "refusing to replace it", "--force")
    assert out.read_bytes() == before
    assert cli("transfer", vec, bridge, "-o", out, "--force").code == 0
    assert export.load(out).model_fingerprint == "fp-tgt"


def test_fit_bridge_refuses_a_vector_path_before_loading(tmp_path: Path, cli: Any) -> None:
    vec, _ = _pair(tmp_path)
    before = vec.read_bytes()
    cli("fit-bridge", "--source", tmp_path / "none", "-o", vec).refused(
        "already holds a steering vector, not a steerbridge bridge")
    assert vec.read_bytes() == before


def test_output_folder_is_refused(tmp_path: Path, cli: Any) -> None:
    vec, bridge = _pair(tmp_path)
    (tmp_path / "out.safetensors").mkdir()
    cli("transfer", vec, bridge, "-o", tmp_path / "out.safetensors").refused("is a folder")


def _disk_error(code: int) -> Any:
    def fail(*_: Any, **__: Any) -> None:
        raise OSError(code, __import__("os").strerror(code))
    return fail


def test_gguf_on_a_full_disk_keeps_the_previous_file(tmp_path: Path, cli: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    gguf = pytest.importorskip("gguf")
    vec, bridge = _pair(tmp_path)
    out = tmp_path / "moved.gguf"
    assert cli("transfer", vec, bridge, "-o", out).code == 0
    before = out.read_bytes()
    real = gguf.GGUFWriter.write_tensors_to_file

    def half_then_full(self: Any, *a: Any, **kw: Any) -> None:
        self.fout[0].write(b"\0" * 8)  # part of the data reaches the disk, then it is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(gguf.GGUFWriter, "write_tensors_to_file", half_then_full)
    res = cli("transfer", vec, bridge, "-o", out, "--with-bias")
    res.refused("moved.gguf", "disk", "full", "previous moved.gguf")
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.safetensors", "moved.gguf",
                                                          "v.safetensors"]  # no temp left
    monkeypatch.setattr(gguf.GGUFWriter, "write_tensors_to_file", real)


@pytest.mark.parametrize(("code", "needle"), [(errno.ENOSPC, "full"),
                                              (errno.EROFS, "read-only"),
                                              (errno.EACCES, "no permission")],
                         ids=["full", "read-only", "permission"])
def test_failing_disk_keeps_the_previous_vector(tmp_path: Path, cli: Any,
                                                monkeypatch: pytest.MonkeyPatch, code: int,
                                                needle: str) -> None:
    vec, bridge = _pair(tmp_path)
    out = tmp_path / "moved.safetensors"
    assert cli("transfer", vec, bridge, "-o", out).code == 0
    before = out.read_bytes()
    monkeypatch.setattr(safeio.os, "replace", _disk_error(code))
    cli("transfer", vec, bridge, "-o", out, "--with-bias").refused("moved.safetensors", needle)
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_a_write_that_does_not_read_back_is_not_installed(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    vec, bridge = _pair(tmp_path)
    before = bridge.read_bytes()
    import steerbridge.bridge.affine as affine

    monkeypatch.setattr(affine, "save_file", lambda t, path, meta: Path(path).write_bytes(b"x"))
    with pytest.raises(SteerbridgeError, match="does not read back"):
        Bridge.load(bridge).save(bridge)
    assert bridge.read_bytes() == before


def test_atomic_write_refuses_kinds_and_cleans_up(tmp_path: Path) -> None:
    data = tmp_path / "items.json"
    data.write_text(json.dumps(ab_items(3)))
    with pytest.raises(SteerbridgeError, match="already holds an A/B dataset"):
        safeio.write_text(data, "{}", kind="results")

    def write_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        safeio.atomic_write(tmp_path / "x.bin", write_then_fail, kind="binary")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.json"]
