"""Hostile inputs to `models.continuations` (prompt once, continuations on its KV cache):
malformed batches are refused with what to give instead; a model whose cache does not hold one
layer per block still scores, one row per continuation."""

from __future__ import annotations

import pytest
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.models import continuations as C
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors.steering import steer
from steerbridge.vectors.vector import SteeringVector


@pytest.mark.parametrize(("prompts", "conts", "match"), [
    ([[1, 2]], [], "1 prompts but 0"),
    ([[1, 2], [3]], [[[4]], [[5], [6]]], "same number"),
    ([[1, 2]], [[[4], []]], "no tokens"),
    ([[]], [[[4]]], "no tokens"),
])
def test_bad_batches_are_refused(prompts, conts, match) -> None:
    with pytest.raises(SteerbridgeError, match=match):
        C.encode(prompts, conts, 0)


def test_a_cache_without_one_layer_per_block_falls_back_to_one_row_each(monkeypatch) -> None:
    """Simulated by a model that claims a block more than its cache fills (as when layers
    share or skip their cache): the scores equal one row per continuation, replay included."""
    lm = tiny_model("qwen2", 32, 3, dtype=torch.float32)
    enc = C.encode([[5, 6, 7, 8], [9, 10]], [[[11, 12], [13]], [[14], [15, 16, 17]]], 0)
    with torch.no_grad():
        reference = C._joint(lm, enc, None, None, [], None)
        monkeypatch.setattr(lm, "num_layers", lm.num_layers + 1)
        got, prefix = C.logprobs(lm, enc, keep_layer=1)
        assert prefix is not None and not prefix.shared and torch.equal(got, reference)
        early = C.prefix_of(lm, enc, 1)  # stops after block 1: cannot see the later blocks
        d = torch.randn(32, generator=torch.Generator().manual_seed(0))
        vec = SteeringVector({2: d}, {2: 1.0}, lm.name, lm.fingerprint, 32, "test", "none")

        def push(ends):
            return steer(lm, vec, 0.5, prompt_length=ends)

        full, _ = C.logprobs(lm, enc, push=push)
        replayed, _ = C.logprobs(lm, enc, prefix=prefix, push=push)
        from_early, _ = C.logprobs(lm, enc, prefix=early, push=push)  # full forwards then
    assert torch.equal(replayed, full) and torch.equal(from_early, full)
    assert not torch.equal(full, reference)
