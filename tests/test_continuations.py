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


def test_keep_layer_and_prefix_together_are_refused() -> None:
    lm = tiny_model("qwen2", 32, 3)
    enc = _batch()
    with torch.no_grad():
        _, prefix = C.logprobs(lm, enc, keep_layer=1)
        with pytest.raises(SteerbridgeError, match="not both"):
            C.logprobs(lm, enc, keep_layer=1, prefix=prefix)
        with pytest.raises(SteerbridgeError, match="layer"):
            C.logprobs(lm, enc, keep_layer=9)


@pytest.mark.parametrize("window", [None, 6])  # shared prompt, and one row each (short window)
def test_prefix_of_stops_early_and_replays_like_a_full_forward(window) -> None:
    lm = tiny_model("mistral", 32, 4, dtype=torch.float32)
    lm.model.config.sliding_window = window
    enc = _batch(seed=8)
    vec = _vector(lm, 2)
    with torch.no_grad():
        prefix = C.prefix_of(lm, enc, 1)
        assert prefix.shared == (window is None)
        assert len(prefix.kv) == (2 if window is None else 0)
        push = _push(lm, vec, 0.5, "generated")
        full, _ = C.logprobs(lm, enc, push=push)
        replayed, _ = C.logprobs(lm, enc, prefix=prefix, push=push)
    assert torch.equal(replayed, full)


@pytest.mark.real_models
def test_real_target_in_float32_scores_the_same_either_way() -> None:
    """On the real 1.5B (float32, so rounding cannot hide a wrong cache or position), the
    built-in behaviours' text answers score the same with the prompt once as one row each."""
    from conftest import REAL_TARGET, real_pair_installed

    if not real_pair_installed():
        pytest.skip("real models not installed: run `steerbridge models install`")
    from steerbridge.evaluation import ab, text_scores
    from steerbridge.models.loading import load
    from steerbridge.vectors import datasets
    from steerbridge.vectors.text_answers import as_text_answers

    lm = load(REAL_TARGET, dtype="float32")
    prompts = ab.prepare(lm, as_text_answers(datasets.builtin("caution")[1][:8]))
    enc = text_scores.encode(lm, prompts)
    d = torch.randn(lm.hidden_size, generator=torch.Generator().manual_seed(1))
    vec = SteeringVector({12: d}, {12: 30.0}, lm.name, lm.fingerprint, lm.hidden_size, "test",
                         "none")  # about the layer's median token norm
    push = _push(lm, vec, 0.4, "generated")
    with torch.no_grad():
        shared, prefix = C.logprobs(lm, enc, keep_layer=12)
        assert prefix is not None and prefix.shared
        steered, _ = C.logprobs(lm, enc, prefix=prefix, push=push)
        rows, rows_steered = _joint(lm, enc), _joint(lm, enc, push)
    print(f"max |Δ log p| unsteered {float((shared - rows).abs().max()):.1e}, steered "
          f"{float((steered - rows_steered).abs().max()):.1e}; push moved "
          f"{float((steered - shared).abs().max()):.2f}")
    torch.testing.assert_close(shared, rows, rtol=0, atol=1e-4)
    torch.testing.assert_close(steered, rows_steered, rtol=0, atol=1e-4)
    assert (steered - shared).abs().max() > 0.2
