"""Foreign GGUF control vectors (cvector-generator / repeng layout), the exported alpha, and the
llama.cpp control-vector buffer; none of these needs llama-cpp-python."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors import datasets, export, foreign, llamacpp
from steerbridge.vectors import vector as V
from steerbridge.vectors.extract import extract
from steerbridge.vectors.steering import steer

gguf = pytest.importorskip("gguf")


def write_foreign(path: Path, tensors: dict[int, np.ndarray], hint: str | None = "qwen2") -> Path:
    """A control vector laid out as llama.cpp's cvector-generator and repeng write it."""
    w = gguf.GGUFWriter(str(path), arch="controlvector")
    if hint is not None:
        w.add_string("controlvector.model_hint", hint)
    w.add_uint32("controlvector.layer_count", len(tensors))
    for k, arr in tensors.items():
        w.add_tensor(f"direction.{k}", arr.astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.fixture(scope="module")
def lm():
    return tiny_model("qwen2", 32, 4, seed=0)


@pytest.fixture(scope="module")
def vec(lm):
    gen, _ = datasets.builtin("caution")
    return extract(lm, gen[:6], [1, 3], scales={1: 1.5, 3: 2.5})


def test_foreign_file_adopted_for_named_model(tmp_path: Path, lm) -> None:
    rng = np.random.default_rng(0)
    t = {2: rng.normal(size=32).astype(np.float32), 3: rng.normal(size=32).astype(np.float32)}
    p = write_foreign(tmp_path / "repeng.gguf", t)
    raw = export.load_gguf(p)
    assert foreign.is_foreign(raw) and foreign.file_hint(raw) == "qwen2"
    v = foreign.adopt(raw, foreign.ModelIdentity.of(lm))
    assert v.model_fingerprint == lm.fingerprint and v.layers == [2, 3]
    assert "alpha 1 reproduces" in v.info["alpha_semantics"]
    for k, norm in foreign.describe(v):
        assert norm == pytest.approx(float(np.linalg.norm(t[k])), rel=1e-6)
    # alpha 1 adds exactly the file's tensors (what --control-vector FILE does)
    for k in v.layers:
        push = v.unit(k) * v.scales[k]
        np.testing.assert_allclose(push.numpy(), t[k], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(llamacpp.vector_tensors(v, 1.0)[k], t[k])
    # export.load with a model adopts it instead of refusing "fingerprint unknown"
    back = export.load(p, lm)
    assert back.model_fingerprint == lm.fingerprint
    with steer(lm, back, 1.0):
        pass


def test_foreign_bad_hint_or_size_is_a_clear_error(tmp_path: Path, lm) -> None:
    ident = foreign.ModelIdentity.of(lm)
    p = write_foreign(tmp_path / "llama.gguf", {2: np.ones(32)}, hint="llama")
    with pytest.raises(SteerbridgeError, match="model hint is 'llama'.*'qwen2' model"):
        foreign.adopt(export.load_gguf(p), ident)
    p = write_foreign(tmp_path / "big.gguf", {2: np.ones(48)})
    with pytest.raises(SteerbridgeError, match="48 values per layer.*hidden size 32"):
        export.load(p, lm)
    p = write_foreign(tmp_path / "deep.gguf", {9: np.ones(32)})
    with pytest.raises(SteerbridgeError, match=r"layers \[9\]"):
        foreign.adopt(export.load_gguf(p), ident)
    # no hint at all: only the size is checked
    p = write_foreign(tmp_path / "nohint.gguf", {2: np.ones(32)}, hint=None)
    assert foreign.adopt(export.load_gguf(p), ident).layers == [2]


def test_hint_matching() -> None:
    ident = foreign.ModelIdentity("qwen2.5-coder-1.5b", "qwen2", 1536, 28, "x")
    for h in ("qwen2", "Qwen2", "qwen2.5", "qwen2.5-coder-1.5b", "unknown", ""):
        assert foreign.hint_matches(h, ident), h
    for h in ("llama", "mistral", "gemma3"):
        assert not foreign.hint_matches(h, ident), h


def test_identity_of_gguf_model_file(tmp_path: Path) -> None:
    p = tmp_path / "m.gguf"
    w = gguf.GGUFWriter(str(p), arch="qwen2")
    w.add_uint32("qwen2.embedding_length", 1536)
    w.add_uint32("qwen2.block_count", 28)
    w.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    ident = foreign.identity_of(str(p))
    assert (ident.architecture, ident.hidden_size, ident.num_layers) == ("qwen2", 1536, 28)
    with pytest.raises(SteerbridgeError, match="--model-hint"):
        foreign.identity_of(str(tmp_path / "nothing"))


def test_export_carries_alpha_and_says_so(tmp_path: Path, vec) -> None:
    p = export.save_gguf(vec, tmp_path / "v.gguf", alpha=-0.3)
    reader = gguf.GGUFReader(str(p))
    assert reader.fields[export.ALPHA_KEY].contents() == pytest.approx(-0.3)
    for t in reader.tensors:
        k = int(t.name.split(".")[1])
        expected = -0.3 * vec.unit(k).double() * vec.scales[k]
        np.testing.assert_allclose(np.asarray(t.data), expected.numpy(), rtol=1e-6, atol=1e-7)
    back = export.load_gguf(p)
    assert back.info["gguf_alpha"] == pytest.approx(-0.3)
    for k in vec.layers:  # the sign survives: the direction is v_hat * scale again
        torch.testing.assert_close(back.unit(k), vec.unit(k), atol=1e-6, rtol=0)
    assert not list(tmp_path.glob(".*tmp*"))  # atomic write left no temporary behind
    with pytest.raises(SteerbridgeError, match="non-zero"):
        export.save_gguf(vec, tmp_path / "z.gguf", alpha=0.0)


def test_cvec_buffer_layout_and_file_route(tmp_path: Path, vec) -> None:
    t = llamacpp.vector_tensors(vec, 0.25)
    buf = llamacpp.cvec_buffer(t, 32, 4)
    assert buf.shape == (3 * 32,)
    np.testing.assert_array_equal(buf[0:32], t[1])  # layer 1 at the start: no slot for 0
    np.testing.assert_array_equal(buf[64:96], t[3])
    assert not buf[32:64].any()
    # the file route (save_gguf at alpha, strength 1) gives the same buffer bit for bit,
    # and a unit file at strength alpha the same up to float rounding
    p = export.save_gguf(vec, tmp_path / "a.gguf", alpha=0.25)
    np.testing.assert_array_equal(llamacpp.cvec_buffer(llamacpp.file_tensors([(p, 1.0)]), 32, 4),
                                  buf)
    unit = export.save_gguf(vec, tmp_path / "u.gguf")
    np.testing.assert_allclose(llamacpp.cvec_buffer(llamacpp.file_tensors([(unit, 0.25)]), 32, 4),
                               buf, rtol=1e-6, atol=1e-7)
    with pytest.raises(SteerbridgeError, match="layers 1..3"):
        llamacpp.cvec_buffer({4: np.zeros(32)}, 32, 4)


def test_missing_llama_cpp_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from steerbridge.cli import app

    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp -> ImportError
    with pytest.raises(SteerbridgeError, match=r"pip install 'steerbridge\[llamacpp\]'"):
        llamacpp.require_llama_cpp()
    res = CliRunner().invoke(app, ["llamacpp", "eval", "qwen2.5-coder-1.5b", "-v",
                                   str(tmp_path / "v.gguf")])
    assert res.exit_code != 0
    assert "steerbridge[llamacpp]" in str(res.output) + str(res.exception)


def test_cli_import_shows_layers_and_alpha(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from steerbridge.cli import app

    lm = tiny_model("qwen2", 32, 4, seed=0)
    model_dir = tmp_path / "tiny"
    lm.model.save_pretrained(model_dir)
    lm.tokenizer.save_pretrained(model_dir)
    p = write_foreign(tmp_path / "cv.gguf", {1: np.full(32, 0.5), 2: np.ones(32)})
    out = tmp_path / "cv.safetensors"
    res = CliRunner().invoke(app, ["llamacpp", "import", str(p), "--model-hint", str(model_dir),
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "alpha 1 reproduces" in res.output and "2.8284" in res.output
    assert V.SteeringVector.load(out).layers == [1, 2]
    bad = write_foreign(tmp_path / "bad.gguf", {1: np.ones(32)}, hint="gemma3")
    res = CliRunner().invoke(app, ["llamacpp", "import", str(bad), "--model-hint",
                                   str(model_dir)])
    assert res.exit_code != 0 and "model hint is 'gemma3'" in str(res.exception)
