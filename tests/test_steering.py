"""Steering hooks: exact deltas, positions, KV cache, padding sides, batches, cleanup, errors."""

from __future__ import annotations

import pytest
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.models.batching import pad_batch, position_ids_from_mask
from steerbridge.models.hidden_states import hidden_states_at
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors import datasets, steering
from steerbridge.vectors import vector as V
from steerbridge.vectors.extract import extract

PROMPTS = ["Hello there", "The weather is lovely today, and everyone is happy."]


@pytest.fixture(scope="module")
def lm():
    return tiny_model("qwen2", 32, 4, seed=0)


@pytest.fixture(scope="module")
def vec(lm):
    gen, _ = datasets.builtin("positive-tone")
    return extract(lm, gen[:8], [1, 2], scales={1: 2.0, 2: 3.0})


def _n_hooks(lm) -> int:
    mods = [lm.model, *lm.layers]
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in mods)


def _ids(lm, text: str) -> torch.Tensor:
    return torch.tensor([lm.tokenizer.encode(text, add_special_tokens=False)])


def test_adds_alpha_unit_scale_at_every_position(lm, vec) -> None:
    ids = _ids(lm, PROMPTS[1])
    mask = torch.ones_like(ids)
    before = hidden_states_at(lm, ids, mask, [1])[1]
    with steering.steer(lm, vec, 0.5, layers=[1]):
        after = hidden_states_at(lm, ids, mask, [1])[1]
    expected = 0.5 * 2.0 * vec.unit(1)
    torch.testing.assert_close(after - before, expected.expand_as(before), atol=1e-5, rtol=0)


@pytest.mark.parametrize("positions,steered", [("prompt", [0, 1, 2]), ("generated", [2, 3, 4, 5])])
def test_positions(lm, vec, positions: str, steered: list[int]) -> None:
    ids = _ids(lm, PROMPTS[1])[:, :6]
    mask = torch.ones_like(ids)
    before = hidden_states_at(lm, ids, mask, [1])[1]
    with steering.steer(lm, vec, 0.5, layers=[1], positions=positions, prompt_length=3):  # type: ignore[arg-type]
        after = hidden_states_at(lm, ids, mask, [1])[1]
    moved = ((after - before).norm(dim=-1)[0] > 1e-4).nonzero().flatten().tolist()
    assert moved == steered


def test_per_row_prompt_ends(lm, vec) -> None:
    """A ``[B]`` prompt_length steers each row from its own prompt end (left-padded prompt +
    answer rows end their prompts at different columns)."""
    ids = _ids(lm, PROMPTS[1])[:, :7].repeat(2, 1)
    mask = torch.ones_like(ids)
    before = hidden_states_at(lm, ids, mask, [1])[1]
    ends = torch.tensor([3, 5])
    with steering.steer(lm, vec, 0.5, layers=[1], positions="generated", prompt_length=ends):
        after = hidden_states_at(lm, ids, mask, [1])[1]
    moved = (after - before).norm(dim=-1) > 1e-4
    assert moved[0].nonzero().flatten().tolist() == [2, 3, 4, 5, 6]
    assert moved[1].nonzero().flatten().tolist() == [4, 5, 6]
    with steering.steer(lm, vec, 0.5, layers=[1], positions="prompt", prompt_length=ends):
        after = hidden_states_at(lm, ids, mask, [1])[1]
    moved = (after - before).norm(dim=-1) > 1e-4
    assert moved[0].nonzero().flatten().tolist() == [0, 1, 2]
    assert moved[1].nonzero().flatten().tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(SteerbridgeError, match="3 rows' prompt ends for a batch of 2"), \
            steering.steer(lm, vec, 0.5, layers=[1], positions="generated",
                           prompt_length=torch.tensor([3, 4, 5])):
        hidden_states_at(lm, ids, mask, [1])
    with pytest.raises(SteerbridgeError, match="prompt_length must be >= 1"), \
            steering.steer(lm, vec, 0.5, positions="generated", prompt_length=torch.tensor([0, 2])):
        pass


def test_hooks_removed_on_exception(lm, vec) -> None:
    n = _n_hooks(lm)
    with pytest.raises(RuntimeError, match="boom"), steering.steer(lm, vec, 0.3):
        assert _n_hooks(lm) == n + 1 + len(vec.layers)
        raise RuntimeError("boom")
    assert _n_hooks(lm) == n


def test_hooks_removed_when_forward_fails(lm, vec) -> None:
    n = _n_hooks(lm)
    with pytest.raises(Exception), steering.steer(lm, vec, 0.3):  # noqa: B017
        lm.model(torch.tensor([[10_000]]))  # token id out of the vocabulary
    assert _n_hooks(lm) == n


@pytest.mark.parametrize("positions", ["all", "generated", "prompt"])
def test_kv_cache_equals_full_forward(lm, vec, positions: str) -> None:
    """Greedy generation with the cache, steered, equals a steered full forward of the result."""
    ids, mask = steering.encode_prompts(lm, PROMPTS[1:])
    with steering.steer(lm, vec, 4.0, positions=positions):  # type: ignore[arg-type]
        out = lm.model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=8,
                                do_sample=False, output_scores=True, return_dict_in_generate=True,
                                pad_token_id=lm.tokenizer.pad_token_id)
    seq = out.sequences
    p = ids.shape[1]
    with torch.no_grad(), steering.steer(lm, vec, 4.0, positions=positions,  # type: ignore[arg-type]
                                         prompt_length=p):
        logits = lm.model(seq, use_cache=False).logits
    cached = torch.stack(out.scores, dim=1)  # [B, new, vocab]
    torch.testing.assert_close(logits[:, p - 1:-1], cached, atol=1e-4, rtol=1e-4)
    # and the steering matters: the unsteered run differs
    with torch.no_grad():
        plain = lm.model(seq, use_cache=False).logits
    assert (plain[:, p - 1:-1] - cached).abs().max() > 1e-2


def test_left_and_right_padding_agree(lm, vec) -> None:
    rows = [lm.tokenizer.encode(t, add_special_tokens=False) for t in PROMPTS]
    pad = lm.tokenizer.pad_token_id
    results = {}
    for side in ("left", "right"):
        ids, mask = pad_batch(rows, pad, side)  # type: ignore[arg-type]
        pos = position_ids_from_mask(mask)
        with torch.no_grad(), steering.steer(lm, vec, 2.0):
            logits = lm.model(input_ids=ids, attention_mask=mask, position_ids=pos).logits
        results[side] = [logits[i][mask[i].bool()] for i in range(len(rows))]
    for left, right in zip(results["left"], results["right"], strict=True):
        torch.testing.assert_close(left, right, atol=1e-4, rtol=1e-4)


def test_batched_generation_equals_one_by_one(lm, vec) -> None:
    batched = steering.generate(lm, PROMPTS, vec, 3.0, max_new_tokens=6, batch_size=2)
    single = [steering.generate(lm, [p], vec, 3.0, max_new_tokens=6)[0] for p in PROMPTS]
    assert batched == single
    assert batched != steering.generate(lm, PROMPTS, max_new_tokens=6)


def test_alpha_zero_is_identity(lm, vec) -> None:
    ids = _ids(lm, PROMPTS[0])
    with torch.no_grad():
        plain = lm.model(ids).logits
        with steering.steer(lm, vec, 0.0):
            same = lm.model(ids).logits
    torch.testing.assert_close(plain, same, atol=0, rtol=0)


def test_bad_input(lm, vec) -> None:
    other = tiny_model("qwen2", 32, 4, seed=3)
    cases = [
        (lm, {"alpha": float("nan")}, "alpha must be finite"),
        (lm, {"alpha": 0.1, "layers": [3]}, "no layer 3"),
        (lm, {"alpha": 0.1, "positions": "middle"}, "positions="),
        (tiny_model("qwen2", 48, 4, seed=0), {"alpha": 0.1}, "hidden size 32 but .* has 48"),
        (other, {"alpha": 0.1}, "fingerprint"),
    ]
    for model, kwargs, message in cases:
        with pytest.raises(SteerbridgeError, match=message), steering.steer(model, vec, **kwargs):
            pass
    with steering.steer(other, vec, 0.1, check_model=False):
        pass
    assert _n_hooks(lm) == 0


def test_random_control_has_same_push(lm, vec) -> None:
    r = V.random_like(vec, seed=0)
    ids = _ids(lm, PROMPTS[0])
    mask = torch.ones_like(ids)
    base = hidden_states_at(lm, ids, mask, [2])[2]
    with steering.steer(lm, r, 0.5, layers=[2]):
        moved = hidden_states_at(lm, ids, mask, [2])[2]
    assert float((moved - base)[0, 0].norm()) == pytest.approx(0.5 * 3.0, rel=1e-4)
