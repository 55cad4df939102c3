"""GGUF control-vector export / import (read back with the gguf reader) and safetensors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors import datasets, export
from steerbridge.vectors import vector as V
from steerbridge.vectors.extract import extract

gguf = pytest.importorskip("gguf")


@pytest.fixture(scope="module")
def vec():
    lm = tiny_model("qwen2", 32, 4, seed=0)
    gen, _ = datasets.builtin("caution")
    return extract(lm, gen[:6], [1, 3], scales={1: 1.5, 3: 2.5})


def test_gguf_layout_read_by_gguf_reader(tmp_path: Path, vec) -> None:
    p = export.save_gguf(vec, tmp_path / "v.gguf")
    reader = gguf.GGUFReader(str(p))
    assert reader.fields["general.architecture"].contents() == "controlvector"
    assert reader.fields["controlvector.layer_count"].contents() == 2
    names = sorted(t.name for t in reader.tensors)
    assert names == ["direction.1", "direction.3"]
    for t in reader.tensors:
        layer = int(t.name.split(".")[1])
        assert t.tensor_type == gguf.GGMLQuantizationType.F32
        data = np.asarray(t.data).reshape(-1)
        expected = (vec.directions[layer].double() / vec.directions[layer].double().norm()
                    * vec.scales[layer]).float().numpy()
        assert np.array_equal(data, expected)  # bit for bit


def test_gguf_round_trip_identical_numbers(tmp_path: Path, vec) -> None:
    p = export.save_gguf(vec, tmp_path / "v.gguf")
    back = export.load(p)
    assert back.layers == vec.layers and back.scales == vec.scales
    assert back.model_fingerprint == vec.model_fingerprint and back.method == vec.method
    assert back.lineage[:-1] == vec.lineage and "GGUF" in back.lineage[-1]
    for layer in vec.layers:
        assert torch.equal(back.directions[layer], torch.from_numpy(export.gguf_tensor(vec, layer)))
        torch.testing.assert_close(back.unit(layer), vec.unit(layer), atol=1e-7, rtol=0)
    # exporting the imported vector gives the same file content
    p2 = export.save_gguf(back, tmp_path / "v2.gguf")
    r1, r2 = gguf.GGUFReader(str(p)), gguf.GGUFReader(str(p2))
    for t1, t2 in zip(r1.tensors, r2.tensors, strict=True):
        assert t1.name == t2.name
        np.testing.assert_allclose(np.asarray(t1.data), np.asarray(t2.data), rtol=1e-6)


def test_gguf_refuses_layer_zero(tmp_path: Path, vec) -> None:
    zero = V.SteeringVector({0: vec.directions[1]}, {0: 1.0}, vec.model_name,
                            vec.model_fingerprint, 32, "mean_diff", "x")
    with pytest.raises(SteerbridgeError, match="layer 0"):
        export.save_gguf(zero, tmp_path / "z.gguf")


def test_gguf_not_a_control_vector(tmp_path: Path) -> None:
    p = tmp_path / "model.gguf"
    w = gguf.GGUFWriter(str(p), arch="llama")
    w.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with pytest.raises(SteerbridgeError, match="architecture 'llama', not a control vector"):
        export.load_gguf(p)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf file at all")
    with pytest.raises(SteerbridgeError, match="not a readable GGUF"):
        export.load_gguf(junk)


def test_foreign_control_vector(tmp_path: Path) -> None:
    """A file from another tool (no steerbridge metadata): scale = the tensor's norm."""
    p = tmp_path / "other.gguf"
    w = gguf.GGUFWriter(str(p), arch="controlvector")
    w.add_string("controlvector.model_hint", "llama")
    w.add_uint32("controlvector.layer_count", 1)
    arr = np.arange(8, dtype=np.float32)
    w.add_tensor("direction.5", arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    v = export.load_gguf(p)
    assert v.layers == [5] and v.hidden_size == 8 and v.model_name == "llama"
    assert np.array_equal(v.directions[5].numpy(), arr)
    assert v.scales[5] == pytest.approx(float(np.linalg.norm(arr)))


def test_safetensors_not_a_vector(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    p = tmp_path / "b.safetensors"
    save_file({"W": torch.zeros(2, 2)}, str(p), metadata={"format": "steerbridge.bridge"})
    with pytest.raises(SteerbridgeError, match="not a steerbridge steering vector"):
        export.load(p)


def test_cli_extract_gguf_and_generate(tmp_path: Path) -> None:
    """`steerbridge extract` to .gguf, then `generate` with it, on a saved tiny model."""
    from typer.testing import CliRunner

    from steerbridge.cli import app

    lm = tiny_model("qwen2", 32, 4, seed=0)
    model_dir = tmp_path / "tiny"
    lm.model.save_pretrained(model_dir)
    lm.tokenizer.save_pretrained(model_dir)
    out = tmp_path / "v.gguf"
    runner = CliRunner()
    res = runner.invoke(app, ["extract", str(model_dir), "-d", "caution", "--limit", "4",
                              "-l", "1,2", "-o", str(out), "--dtype", "float32"])
    assert res.exit_code == 0, res.output
    assert "|v| / scale" in res.output and out.exists()
    assert sorted(t.name for t in gguf.GGUFReader(str(out)).tensors) == ["direction.1",
                                                                          "direction.2"]
    res = runner.invoke(app, ["generate", str(model_dir), "-v", str(out), "-p", "Hello",
                              "--alphas", "0.5", "--max-new-tokens", "3", "--dtype", "float32"])
    assert res.exit_code == 0, res.output
    assert "unsteered" in res.output and "alpha +0.5" in res.output
