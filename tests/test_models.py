"""Model loading: decoder-layer discovery for every supported architecture, aliases, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from steerbridge.errors import SteerbridgeError
from steerbridge.models import dtypes, zoo
from steerbridge.models.batching import pad_batch, position_ids_from_mask
from steerbridge.models.layers import parse_layers
from steerbridge.models.loading import find_decoder_layers, fingerprint_model, load
from steerbridge.models.tiny import ARCHITECTURES, tiny_model


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_decoder_layers_found_for_every_architecture(arch: str) -> None:
    m = tiny_model(arch, hidden=32, layers=3)
    assert m.num_layers == 3
    assert m.hidden_size == 32
    # Layer l's output must equal HF hidden_states[l + 1] (the project's layer convention).
    captured: dict[int, torch.Tensor] = {}
    hooks = [
        block.register_forward_hook(
            lambda _m, _i, out, i=i: captured.__setitem__(
                i, out[0] if isinstance(out, tuple) else out
            )
        )
        for i, block in enumerate(m.layers)
    ]
    ids = m.tokenizer("The quick brown fox", return_tensors="pt")
    with torch.no_grad():
        hs = m.model(**ids, output_hidden_states=True).hidden_states
    for h in hooks:
        h.remove()
    # The last entry of hidden_states has the final norm applied in most architectures.
    for layer in range(m.num_layers - 1):
        torch.testing.assert_close(captured[layer], hs[layer + 1])


def test_unknown_architecture_names_class_and_fix() -> None:
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2)])

    with pytest.raises(SteerbridgeError, match=r"Odd.*layers_path"):
        find_decoder_layers(Odd())
    layers, path = find_decoder_layers(Odd(), "blocks")
    assert path == "blocks" and len(layers) == 1


def test_fingerprint_is_stable_and_dtype_independent() -> None:
    a = tiny_model("qwen2", seed=3)
    b = tiny_model("qwen2", seed=3)
    c = tiny_model("qwen2", seed=4)
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != c.fingerprint
    b.model.to(torch.bfloat16)
    assert fingerprint_model(b.model) == a.fingerprint


def test_layer_out_of_range_gives_valid_range() -> None:
    m = tiny_model("llama", layers=4)
    with pytest.raises(SteerbridgeError, match=r"0\.\.3"):
        m.check_layer(4)


def test_unknown_alias_and_offline_hub_id(isolated_home: Path) -> None:
    with pytest.raises(SteerbridgeError, match="Known aliases"):
        zoo.entry("no-such-model")
    with pytest.raises(SteerbridgeError, match="offline"):
        load("some-org/some-model-that-is-not-cached")


def test_alias_not_installed_says_how(isolated_home: Path) -> None:
    with pytest.raises(SteerbridgeError, match="models install qwen2.5-coder-0.5b"):
        load("qwen2.5-coder-0.5b")


def test_local_directory_round_trip(tmp_path: Path) -> None:
    m = tiny_model("gpt2", seed=1)
    m.model.save_pretrained(tmp_path / "m")
    m.tokenizer.save_pretrained(tmp_path / "m")
    again = load(tmp_path / "m", dtype="float32")
    assert again.fingerprint == m.fingerprint
    assert again.layers_path == "transformer.h"


def test_directory_without_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SteerbridgeError, match="config.json"):
        load(tmp_path)


def test_corrupt_cache_offers_force(isolated_home: Path) -> None:
    path = zoo.model_path("qwen2.5-coder-0.5b")
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    with pytest.raises(SteerbridgeError, match="--force"):
        load("qwen2.5-coder-0.5b")


@pytest.mark.real_models
def test_real_pair_shapes_and_shared_tokenizer(real_pair) -> None:
    src, tgt = real_pair
    assert (src.hidden_size, src.num_layers) == (896, 24)
    assert (tgt.hidden_size, tgt.num_layers) == (1536, 28)
    for text in [
        "The quick brown fox jumps over the lazy dog.",
        "def steer(model, vector):\n    return model + vector  # 𝛼 = 0.5",
        "Would you accept being shut down? (A) Yes (B) No",
    ]:
        assert src.tokenizer(text).input_ids == tgt.tokenizer(text).input_ids


def test_auto_dtype_follows_the_device(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr(dtypes, "cpu_has_fast_bf16", lambda: False)
    assert dtypes.resolve_dtype("auto", "cpu") == torch.float32
    assert dtypes.resolve_dtype("auto", "cuda:0") == torch.bfloat16
    monkeypatch.setattr(dtypes, "cpu_has_fast_bf16", lambda: True)
    assert dtypes.resolve_dtype("auto", "cpu") == torch.bfloat16
    with pytest.raises(SteerbridgeError, match="Unknown dtype"):
        dtypes.resolve_dtype("float8")


@pytest.mark.parametrize(("spec", "n", "want"), [
    ("12", 24, [12]), (" 3, 5 ", 24, [3, 5]), ("2-6", 24, [2, 3, 4, 5, 6]),
    ("4-16:4", 24, [4, 8, 12, 16]), ("5,3,3-4", None, [3, 4, 5]), ("all", 3, [0, 1, 2]),
])
def test_parse_layers_reads_every_form(spec: str, n: int | None, want: list[int]) -> None:
    assert parse_layers(spec, n) == want


@pytest.mark.parametrize(("spec", "n", "why"), [
    ("3-1", 24, "runs backwards"), ("x", 24, "'x' is not a whole number"), ("", 24, "empty"),
    ("30", 24, r"\[30\] out of range.*0\.\.23"), ("2-6:0", 24, "step of 0"),
    ("3,,4", 24, "empty item"), ("all", None, "layer count"), ("5:2", 24, "needs a range"),
])
def test_parse_layers_refuses_bad_specs(spec: str, n: int | None, why: str) -> None:
    with pytest.raises(SteerbridgeError, match=rf"Cannot read layers {spec!r}: .*{why}"):
        parse_layers(spec, n)


def test_pad_batch_pads_either_side() -> None:
    ids, mask = pad_batch([[5, 6, 7], [8]], pad=1, side="left")
    assert ids.tolist() == [[5, 6, 7], [1, 1, 8]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert position_ids_from_mask(mask).tolist() == [[0, 1, 2], [0, 0, 0]]
    ids, mask = pad_batch([[5, 6, 7], [8]], pad=1)
    assert ids.tolist() == [[5, 6, 7], [8, 1, 1]] and ids.dtype == torch.long
    with pytest.raises(SteerbridgeError, match="empty token windows"):
        pad_batch([[5], []], 0)
