"""Hostile files in every input slot: A/B datasets, corpora, configs, open-ended prompts,
bridges, vectors and GGUF files. Each is refused with a message that names the file and the
fix (exit code 2 and no traceback on the command line), and nothing is ever unpickled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from hostile_kit import LATIN1, PICKLE, ab_items, small_config, write_config, write_input
from safetensors import safe_open
from safetensors.torch import save_file

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.corpus import load_corpus
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation.freetext import read_open_prompts
from steerbridge.vectors import datasets, export
from steerbridge.vectors.vector import SteeringVector


def _write(path: Path, content: Any) -> Path:
    return write_input(path, content, as_json=True)


@pytest.fixture(autouse=True)
def _never_unpickle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to unpickle in these tests fails loudly."""
    import pickle

    def boom(*_: Any, **__: Any) -> Any:
        raise AssertionError("something tried to unpickle an input")

    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(torch, "load", boom)


# --------------------------------------------------------------------------- A/B datasets

GOOD = ab_items(2)
DATASETS = [
    ("latin1.json", LATIN1, ["latin1.json", "not UTF-8", "iconv"]),
    ("latin1.jsonl", LATIN1, ["latin1.jsonl", "not UTF-8"]),
    ("payload.json", PICKLE, ["payload.json", "pickle", "never unpickles"]),
    ("payload.jsonl", PICKLE, ["payload.jsonl", "pickle"]),
    ("empty.json", b"", ["empty.json", "not valid JSON"]),
    ("object.json", {"question": "q"}, ["object.json", "expected a JSON list",
                                        "keys question", "one such object per line"]),
    ("cut.json", b'[{"question": "q", "answer_match', ["cut.json", "not valid JSON", "line 1"]),
    ("gone.json", None, ["gone.json", "does not exist"]),
    ("folder.json", "DIR", ["folder.json", "is a folder"]),
    ("fields.json", [{"question": "q"}], ["fields.json:0", "answer_matching_behavior",
                                          "fix or remove", "as the behaviour's open_ended"]),
    ("half.json", [{"question": "q", "answer_matching_behavior": "(A)"}],
     ["half.json:0", "answer_not_matching_behavior", "fix or remove"]),
    ("texts.json", ["A scene.", "Another."], ["texts.json:0", "got str", "plain texts",
                                             "[bridge] corpus"]),
    ("same.json", [{"question": "q", "answer_matching_behavior": "(A)",
                    "answer_not_matching_behavior": "(A)"}], ["same.json:0", "are the same"]),
    ("nulls.json", [None], ["nulls.json:0", "expected an object"]),
    ("choice.json", [{"question": "Pick\n(A) x\n(B) y", "answer_matching_behavior": "(C)",
                      "answer_not_matching_behavior": "(A)"}], ["'(C)' is not among"]),
    ("lines.jsonl", json.dumps(GOOD[0]).encode() + b"\n{oops\n", ["lines.jsonl:2",
                                                                 "not valid JSON"]),
    ("data.csv", b"question,answer\n", ["Unknown dataset", "data.csv"]),
]


@pytest.mark.parametrize(("name", "content", "needles"), DATASETS,
                         ids=[c[0] for c in DATASETS])
def test_bad_dataset_is_refused_by_name(tmp_path: Path, name: str, content: Any,
                                        needles: list[str]) -> None:
    path = _write(tmp_path / name, content)
    with pytest.raises(SteerbridgeError) as err:
        datasets.load(path)
    for n in needles:
        assert n in str(err.value)


@pytest.mark.parametrize("name", ["latin1.json", "payload.json", "folder.json"])
def test_bad_dataset_on_the_command_line(tmp_path: Path, cli: Any, name: str) -> None:
    content = dict((c[0], c[1]) for c in DATASETS)[name]
    path = _write(tmp_path / name, content)
    res = cli("extract", tmp_path / "no-model", "-d", path, "-o", tmp_path / "v.safetensors")
    res.refused(name)
    assert not (tmp_path / "v.safetensors").exists()


def test_evals_file_saved_as_json_reads_as_lines(tmp_path: Path) -> None:
    """A model-written-evals file (one object per line) named .json still loads."""
    path = tmp_path / "evals.json"
    path.write_text("\n".join(json.dumps(r) for r in GOOD) + "\n")
    assert len(datasets.load(path)) == 2


# ------------------------------------------------------------------------------- corpora

CORPORA = [
    ("latin1.txt", LATIN1, ["latin1.txt", "not UTF-8"]),
    ("payload.txt", PICKLE, ["payload.txt", "pickle"]),
    ("latin1.jsonl", LATIN1, ["latin1.jsonl", "not UTF-8"]),
    ("folder", "DIR", ["folder", "is a folder"]),
    ("bad.jsonl", b'{"text": "fine"}\n{"text": \n', ["bad.jsonl:2", "not valid JSON"]),
    ("list.jsonl", b"[1, 2]\n", ["list.jsonl:1", "JSON object"]),
    ("chat.jsonl", b'{"messages": [{"content": "hi"}]}\n', ["chat.jsonl:1", "'messages'"]),
    ("other.jsonl", b'{"body": "x"}\n', ["other.jsonl:1", "'text'"]),
    ("blank.txt", b"  \n\n ", ["blank.txt", "no text"]),
    ("data.csv", b"a,b\n", ["Unknown corpus file type"]),
    ("gone.txt", None, ["gone.txt", "neither"]),
]


@pytest.mark.parametrize(("name", "content", "needles"), CORPORA, ids=[c[0] for c in CORPORA])
def test_bad_corpus_is_refused_by_name(tmp_path: Path, name: str, content: Any,
                                       needles: list[str]) -> None:
    path = _write(tmp_path / name, content)
    with pytest.raises(SteerbridgeError) as err:
        load_corpus([str(path)])
    for n in needles:
        assert n in str(err.value)


# ------------------------------------------------------------------------------- configs

def _cfg(tmp: Path, **changes: Any) -> dict[str, Any]:
    cfg = small_config(tmp)
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        target = cfg["behaviours"][0] if section == "beh" else cfg[section]
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return cfg


CONFIGS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("unknown-key", {"bridge__colour": "red"}, ["bridge.colour", "unknown key"]),
    ("batch-size-0", {"evaluation__batch_size": 0}, ["evaluation.batch_size"]),
    ("alpha-nan", {"evaluation__alphas": [0.1, float("nan")]}, ["finite"]),
    ("alpha-0", {"evaluation__alphas": [-0.2, 0.0, 0.2]}, ["evaluation.alphas",
                                                          "alpha 0 is the unsteered"]),
    ("alphas-one-sign", {"evaluation__alphas": [0.2, 0.4]}, ["evaluation.alphas",
                                                             "at least one ±a pair",
                                                             "odd retention"]),
    ("same-file", {"beh__test": "g.json"}, ["same file", 'data = "']),
    ("split-without-data", {"beh__test_fraction": 0.5}, ["apply only with data"]),
    ("two-sources", {"beh__builtin": "caution"}, ["give one of"]),
    ("fraction-1.5", {"beh__data": "g.json", "beh__generate": None, "beh__test": None,
                      "beh__test_fraction": 1.5}, ["test_fraction"]),
    ("multi-choice", {"beh__multi_choice": "maybe"}, ["multi_choice"]),
    ("layer-minus-1", {"bridge__source_layer": -1}, ["bridge.source_layer"]),
    ("max-tokens-0", {"bridge__max_tokens": 0}, ["bridge.max_tokens"]),
    ("method", {"bridge__method": "svd"}, ["bridge.method", "ridge"]),
    ("tone", {"beh__tone": "loud"}, ["tone"]),
    ("name-path", {"beh__name": "../../evil"}, ["cannot name files"]),
    ("generation-alpha", {"evaluation__generation_alpha": float("inf")}, ["generation_alpha"]),
    ("corpus-missing", {"bridge__corpus": ["missing.txt"]}, ["missing.txt", "does not exist"]),
    ("corpus-folder", {"bridge__corpus": ["."]}, ["is a folder"]),
]


@pytest.mark.parametrize(("name", "changes", "needles"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_bad_config_value_is_refused(tmp_path: Path, cli: Any, name: str,
                                     changes: dict[str, Any], needles: list[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, _cfg(tmp_path, **changes))
    import steerbridge.models.loading as loading

    monkeypatch.setattr(loading, "load", lambda *a, **k: pytest.fail("a model was loaded"))
    res = cli("run", path)
    res.refused(*needles)
    if name not in ("corpus-missing", "corpus-folder"):
        assert "exp.toml" in res.text
    assert not (tmp_path / "run").exists()  # refused before anything was made


@pytest.mark.parametrize(("content", "needles"), [
    (LATIN1, ["not UTF-8"]), (PICKLE, ["pickle"]), (b"[models\nsource=", ["not valid TOML"]),
    ("DIR", ["is a folder"]), (None, ["does not exist"]),
], ids=["latin1", "pickle", "toml", "folder", "missing"])
def test_unreadable_config_file(tmp_path: Path, cli: Any, content: Any,
                                needles: list[str]) -> None:
    path = _write(tmp_path / "exp.toml", content)
    cli("run", path).refused("exp.toml", *needles)


def test_model_folder_with_pickled_weights_is_never_loaded(tmp_path: Path, cli: Any,
                                                           tiny_models: Any) -> None:
    lm = tiny_models[0]
    lm.model.save_pretrained(tmp_path / "m")
    lm.tokenizer.save_pretrained(tmp_path / "m")
    for f in (tmp_path / "m").glob("*.safetensors"):  # weights only as a (hostile) pickle
        f.unlink()
    (tmp_path / "m" / "pytorch_model.bin").write_bytes(PICKLE)
    cli("models", "info", tmp_path / "m").refused("pickle checkpoint", "never unpickles")


# ------------------------------------------------------------------------ open-ended files

@pytest.mark.parametrize(("content", "needle"), [
    (LATIN1, "not UTF-8"), (b"[1, 2", "not valid JSON"), ([], "non-empty JSON list"),
    ([3], "non-empty string"), ("DIR", "is a folder"), (PICKLE, "pickle"),
], ids=["latin1", "cut", "empty", "number", "folder", "pickle"])
def test_bad_open_ended_file(tmp_path: Path, content: Any, needle: str) -> None:
    path = _write(tmp_path / "open.json", content)
    with pytest.raises(SteerbridgeError, match=needle):
        read_open_prompts(path)


# --------------------------------------------------------------------- bridges and vectors

@pytest.fixture
def pair_files(tmp_path: Path) -> tuple[Path, Path]:
    """A valid vector (hidden 4, layer 2) and a bridge that carries it (to hidden 6)."""
    g = torch.Generator().manual_seed(0)
    vec = SteeringVector({2: torch.randn(4, generator=g)}, {2: 3.0}, "src", "fp-src", 4,
                         "mean_diff", "data-fp")
    bridge = Bridge(W=torch.randn(6, 4, generator=g), b=torch.randn(6, generator=g),
                    source_layers=[2], target_layer=3, source_name="src", target_name="tgt",
                    source_fingerprint="fp-src", target_fingerprint="fp-tgt", target_scale=5.0)
    return vec.save(tmp_path / "v.safetensors"), bridge.save(tmp_path / "b.safetensors")


def _rewrite(path: Path, tensors: dict[str, Any] | None = None,
             meta: dict[str, Any] | None = None, inner: dict[str, Any] | None = None) -> Path:
    """Rewrite a safetensors file with tensors / metadata keys replaced (None: delete)."""
    with safe_open(str(path), "pt") as f:
        old_meta = dict(f.metadata() or {})
        old = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    for k, v in (tensors or {}).items():
        old.pop(k) if v is None else old.__setitem__(k, v)
    for k, v in (meta or {}).items():
        old_meta.pop(k) if v is None else old_meta.__setitem__(k, v)
    if inner is not None:
        d = json.loads(old_meta["steerbridge"])
        for k, v in inner.items():
            d.pop(k) if v is None else d.__setitem__(k, v)
        old_meta["steerbridge"] = json.dumps(d)
    save_file(old, str(path), old_meta)
    return path


NAN4, INF6 = torch.tensor([1.0, float("nan"), 0.0, 1.0]), torch.full((6,), float("inf"))
BRIDGES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("nan-W", {"tensors": {"W": torch.full((6, 4), float("nan"))}}, ["W holds 24 NaN"]),
    ("inf-b", {"tensors": {"b": INF6}}, ["b holds 0 NaN and 6 infinite"]),
    ("huge-W", {"tensors": {"W": torch.full((6, 4), 1e30)}}, ["magnitude 1e+30"]),
    ("no-W", {"tensors": {"W": None}}, ["no tensor W"]),
    ("shape", {"tensors": {"b": torch.zeros(5)}}, ["W has shape (6, 4) and b (5,)"]),
    ("meta-json", {"meta": {"steerbridge": "{oops"}}, ["metadata is not valid JSON"]),
    ("meta-key", {"inner": {"target_layer": None}}, ["misses the key 'target_layer'"]),
    ("meta-type", {"inner": {"target_layer": "x"}}, ["target_layer is 'x'"]),
    ("meta-layers", {"inner": {"source_layers": "2"}}, ["source_layers is '2'"]),
    ("meta-dims", {"inner": {"d_target": 7}}, ["d_target = 7"]),
    ("scale-neg", {"inner": {"target_scale": -5.0}}, ["target_scale is -5.0", "reverse"]),
    ("scale-zero", {"inner": {"target_scale": 0}}, ["target_scale is 0.0"]),
    ("version", {"inner": {"format_version": 99}}, ["format version 99", "refit"]),
    ("no-meta", {"meta": {"steerbridge": None}}, ["not a steerbridge bridge"]),
]


@pytest.mark.parametrize(("name", "edit", "needles"), BRIDGES, ids=[c[0] for c in BRIDGES])
def test_broken_bridge_is_refused_by_transfer(pair_files: tuple[Path, Path], cli: Any,
                                              name: str, edit: dict[str, Any],
                                              needles: list[str]) -> None:
    vec, bridge = pair_files
    _rewrite(bridge, **edit)
    out = bridge.parent / "moved.safetensors"
    cli("transfer", vec, bridge, "-o", out).refused("b.safetensors", *needles)
    assert not out.exists()


VECTORS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("nan", {"tensors": {"direction.2": NAN4}}, ["direction.2 holds 1 NaN"]),
    ("inf", {"tensors": {"direction.2": torch.full((4,), float("-inf"))}}, ["4 infinite"]),
    ("huge", {"tensors": {"direction.2": torch.full((4,), 1e30)}}, ["magnitude 1e+30"]),
    ("scale-nan", {"meta": {"scales": '{"2": NaN}'}}, ["scale of layer 2 is nan"]),
    ("scale-huge", {"meta": {"scales": '{"2": 1e30}'}}, ["scale of layer 2 is 1e+30"]),
    ("scale-neg", {"meta": {"scales": '{"2": -3.0}'}}, ["-3.0", "reverse steering"]),
    ("scale-zero", {"meta": {"scales": '{"2": 0}'}}, ["scale of layer 2 is 0.0"]),
    ("scale-text", {"meta": {"scales": '{"2": "big"}'}}, ["'big', not a number"]),
    ("scales-json", {"meta": {"scales": "{2: 3"}}, ["metadata is corrupt"]),
    ("scales-list", {"meta": {"scales": "[3.0]"}}, ["scales is a JSON list"]),
    ("lineage", {"meta": {"lineage": "[oops"}}, ["metadata is corrupt"]),
    ("no-key", {"meta": {"hidden_size": None}}, ["misses the key 'hidden_size'"]),
    ("size-text", {"meta": {"hidden_size": "four"}}, ["metadata is corrupt"]),
    ("size-wrong", {"meta": {"hidden_size": "5"}}, ["shape (4,)", "expected (5,)"]),
]


@pytest.mark.parametrize(("name", "edit", "needles"), VECTORS, ids=[c[0] for c in VECTORS])
def test_broken_vector_is_refused_by_transfer(pair_files: tuple[Path, Path], cli: Any,
                                              name: str, edit: dict[str, Any],
                                              needles: list[str]) -> None:
    vec, bridge = pair_files
    _rewrite(vec, **edit)
    cli("transfer", vec, bridge, "-o", vec.parent / "out.safetensors").refused(
        "v.safetensors", *needles)


@pytest.mark.parametrize(("slot", "content", "needles"), [
    ("vector", PICKLE, ["pickle", "never unpickled"]),
    ("bridge", PICKLE, ["pickle", "never unpickles"]),
    ("vector", b"\x10\x00\x00\x00\x00\x00\x00\x00{", ["not a readable safetensors"]),
    ("bridge", b"hello", ["not a readable safetensors"]),
    ("vector", "DIR", ["is a folder"]),
    ("bridge", None, ["does not exist"]),
], ids=["vector-pickle", "bridge-pickle", "vector-cut", "bridge-text", "vector-folder",
        "bridge-missing"])
def test_unreadable_bridge_or_vector(pair_files: tuple[Path, Path], cli: Any, slot: str,
                                     content: Any, needles: list[str]) -> None:
    vec, bridge = pair_files
    path = vec if slot == "vector" else bridge
    path.unlink()
    _write(path, content)
    cli("transfer", vec, bridge, "-o", vec.parent / "out.safetensors").refused(*needles)


def test_files_swapped_between_slots(pair_files: tuple[Path, Path], cli: Any) -> None:
    vec, bridge = pair_files
    cli("transfer", bridge, vec, "-o", vec.parent / "o.safetensors").refused(
        "v.safetensors is a steering vector, not a steerbridge bridge")
    with pytest.raises(SteerbridgeError, match="not a steerbridge steering vector"):
        SteeringVector.load(bridge)
    with pytest.raises(SteerbridgeError, match="is a steering vector, not a steerbridge bridge"):
        Bridge.load(vec)


def test_vector_built_in_python_is_checked_too() -> None:
    with pytest.raises(SteerbridgeError, match="scale of layer 1 is -1.0"):
        SteeringVector({1: torch.ones(3)}, {1: -1.0}, "m", "fp", 3, "mean_diff", "d")


gguf = pytest.importorskip("gguf")


def _gguf(path: Path, arch: str, tensor: Any) -> Path:
    w = gguf.GGUFWriter(str(path), arch=arch)
    w.add_tensor("direction.1", tensor)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.mark.parametrize(("make", "needles"), [
    (lambda p: p.write_bytes(PICKLE), ["pickle"]),
    (lambda p: p.write_bytes(b"GGUF\x03\x00\x00\x00\x01"), ["not a readable GGUF"]),
    (lambda p: _gguf(p, "controlvector", torch.tensor([1.0, float("nan")]).numpy()),
     ["direction.1 holds 1 NaN"]),
    (lambda p: _gguf(p, "llama", torch.ones(2).numpy()), ["architecture 'llama'"]),
], ids=["pickle", "truncated", "nan", "model-file"])
def test_bad_gguf_vector(tmp_path: Path, make: Any, needles: list[str]) -> None:
    path = tmp_path / "v.gguf"
    make(path)
    with pytest.raises(SteerbridgeError) as err:
        export.load(path)
    for n in needles:
        assert n in str(err.value)
