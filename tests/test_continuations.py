"""Prompt once + continuations on its cache: the same log-probabilities as one row per
continuation, unsteered, steered and replayed, on every tiny architecture."""

from __future__ import annotations

import random

import pytest
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.models import continuations as C
from steerbridge.models.tiny import ARCHITECTURES, tiny_model
from steerbridge.vectors.steering import steer
from steerbridge.vectors.vector import SteeringVector


def _batch(seed: int = 0, longest: int = 5) -> C.Encoded:
    rng = random.Random(seed)
    prompts = [[rng.randrange(3, 100) for _ in range(rng.randrange(2, 12))] for _ in range(3)]
    conts = [[[rng.randrange(3, 100) for _ in range(rng.randrange(1, longest + 1))]
              for _ in range(2)] for _ in range(3)]
    return C.encode(prompts, conts, 0)


def _joint(lm, enc, push=None):  # one row per continuation: the reference
    return C._joint(lm, enc, None, None, [], push)


def _push(lm, vec, alpha, positions="all"):
    return lambda ends: steer(lm, vec, alpha, positions=positions, prompt_length=ends)


def _vector(lm, layer: int) -> SteeringVector:
    d = torch.randn(lm.hidden_size, generator=torch.Generator().manual_seed(1))
    return SteeringVector({layer: d}, {layer: 1.0}, lm.name, lm.fingerprint, lm.hidden_size,
                          "test", "none")


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_shared_prompt_equals_one_row_per_continuation(arch: str) -> None:
    lm = tiny_model(arch, 32, 4, dtype=torch.float32)  # gemma2's eager attention NaNs in f64
    enc = _batch()
    assert C.shares_prompt(lm, enc.total_length)
    vec = _vector(lm, 2)
    with torch.no_grad():
        shared, prefix = C.logprobs(lm, enc, keep_layer=2)
        assert torch.isfinite(shared).all()
        torch.testing.assert_close(shared, _joint(lm, enc), rtol=0, atol=1e-5)
        assert prefix is not None and prefix.shared and len(prefix.kv) == 3
        for positions in ("all", "prompt", "generated"):
            push = _push(lm, vec, 0.5, positions)
            full, _ = C.logprobs(lm, enc, push=push)
            torch.testing.assert_close(full, _joint(lm, enc, push), rtol=0, atol=1e-5)
            assert (full - shared).abs().max() > 1e-3  # the push moved something
            replayed, none = C.logprobs(lm, enc, prefix=prefix, push=push)
            assert none is None
            assert torch.equal(replayed, full)


def test_replay_is_bit_identical_and_one_token_continuations_skip_a_pass() -> None:
    lm = tiny_model("qwen2", 32, 4, dtype=torch.bfloat16)
    enc = _batch(seed=3, longest=1)
    vec = _vector(lm, 1)
    with torch.no_grad():
        _, prefix = C.logprobs(lm, enc, keep_layer=1)
        assert prefix is not None and prefix.outputs[1] is None  # no continuation pass
        full, _ = C.logprobs(lm, enc, push=_push(lm, vec, 0.3))
        replayed, _ = C.logprobs(lm, enc, prefix=prefix, push=_push(lm, vec, 0.3))
    assert torch.equal(full, replayed)


def test_sliding_window_shorter_than_the_rows_scores_one_row_each() -> None:
    lm = tiny_model("mistral", 32, 3, dtype=torch.float64)
    lm.model.config.sliding_window = 6
    enc = _batch(seed=5)
    assert not C.shares_prompt(lm, enc.total_length)
    with torch.no_grad():
        got, prefix = C.logprobs(lm, enc, keep_layer=1)
        assert prefix is not None and not prefix.shared
        torch.testing.assert_close(got, _joint(lm, enc), rtol=0, atol=0)
        vec = _vector(lm, 2)
        full, _ = C.logprobs(lm, enc, push=_push(lm, vec, 0.5, "generated"))
        replayed, _ = C.logprobs(lm, enc, prefix=prefix, push=_push(lm, vec, 0.5, "generated"))
    torch.testing.assert_close(replayed, full, rtol=0, atol=1e-10)


@pytest.mark.parametrize(("prompts", "conts", "match"), [
    ([[1, 2]], [], "1 prompts but 0"),
    ([[1, 2], [3]], [[[4]], [[5], [6]]], "same number"),
    ([[1, 2]], [[[4], []]], "no tokens"),
    ([[]], [[[4]]], "no tokens"),
])
def test_bad_batches_are_refused(prompts, conts, match) -> None:
    with pytest.raises(SteerbridgeError, match=match):
        C.encode(prompts, conts, 0)


def test_keep_layer_and_prefix_together_are_refused() -> None:
    lm = tiny_model("qwen2", 32, 3)
    enc = _batch()
    with torch.no_grad():
        _, prefix = C.logprobs(lm, enc, keep_layer=1)
        with pytest.raises(SteerbridgeError, match="not both"):
            C.logprobs(lm, enc, keep_layer=1, prefix=prefix)
        with pytest.raises(SteerbridgeError, match="layer"):
            C.logprobs(lm, enc, keep_layer=9)
