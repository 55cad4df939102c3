"""Collection: early exit equals the full forward, padding side does not matter, bad input."""

from __future__ import annotations

import pytest
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.models.batching import pad_batch
from steerbridge.models.hidden_states import (
    NonFiniteActivationsError,
    collect,
    hidden_states_at,
    select_tokens,
)
from steerbridge.models.tiny import tiny_model

WINDOWS = [[5, 9, 30, 41, 7, 12, 99], [17, 3, 8], [44, 45, 46, 47, 48]]


@pytest.fixture(scope="module")
def lm():
    return tiny_model("qwen2", 32, 4, seed=0)


@pytest.mark.parametrize("arch", ["qwen2", "llama", "gpt2", "gemma3"])
def test_early_exit_equals_full_forward(arch):
    m = tiny_model(arch, 32, 4, seed=1)
    ids, mask = pad_batch(WINDOWS, 0, "right")
    with torch.no_grad():
        full = m.model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    got = hidden_states_at(m, ids, mask, [0, 2])
    for layer in (0, 2):
        real = mask.bool()
        torch.testing.assert_close(got[layer][real], full.hidden_states[layer + 1][real].float(),
                                   rtol=1e-5, atol=1e-5)


def test_forward_stops_after_deepest_block(lm):
    ran: list[int] = []
    handles = [blk.register_forward_hook(lambda *a, i=i: ran.append(i))
               for i, blk in enumerate(lm.layers)]
    head_ran: list[bool] = []
    handles.append(lm.model.lm_head.register_forward_hook(lambda *a: head_ran.append(True)))
    try:
        ids, mask = pad_batch(WINDOWS, 0)
        hidden_states_at(lm, ids, mask, [1])
    finally:
        for h in handles:
            h.remove()
    assert ran == [0, 1]
    assert not head_ran


def test_left_and_right_padding_give_same_states(lm):
    ids_r, mask_r = pad_batch(WINDOWS, 0, "right")
    ids_l, mask_l = pad_batch(WINDOWS, 0, "left")
    r = hidden_states_at(lm, ids_r, mask_r, [1, 3])
    left = hidden_states_at(lm, ids_l, mask_l, [1, 3])
    for layer in (1, 3):
        torch.testing.assert_close(r[layer][mask_r.bool()], left[layer][mask_l.bool()],
                                   rtol=1e-5, atol=1e-5)
    # and equal to running each window alone, unpadded
    for i, w in enumerate(WINDOWS):
        ids, mask = pad_batch([w], 0)
        alone = hidden_states_at(lm, ids, mask, [3])[3][0]
        torch.testing.assert_close(alone, r[3][i, : len(w)], rtol=1e-5, atol=1e-5)


def test_positions_argument_reads_given_index(lm):
    ids, mask = pad_batch(WINDOWS, 0, "left")
    full = hidden_states_at(lm, ids, mask, [2])[2]
    last = torch.full((3,), ids.shape[1] - 1)
    at = hidden_states_at(lm, ids, mask, [2], positions=last)[2]
    assert at.shape == (3, 32)
    torch.testing.assert_close(at, full[:, -1])


def test_select_tokens_modes():
    _, mask = pad_batch(WINDOWS, 0, "left")
    assert select_tokens(mask, "all").sum() == sum(len(w) - 1 for w in WINDOWS)
    assert select_tokens(mask, "all_with_first").sum() == sum(len(w) for w in WINDOWS)
    last = select_tokens(mask, "last")
    assert last.sum() == 3 and last[:, -1].all()
    second_last = select_tokens(mask, -2)
    assert second_last[:, -2].all() and second_last.sum() == 3
    with pytest.raises(SteerbridgeError, match="negative index"):
        select_tokens(mask, 3)


def test_collect_batches_equal_one_batch(lm):
    one = collect(lm, WINDOWS, [1, 2], batch_size=8, progress=False)
    many = collect(lm, WINDOWS, [1, 2], batch_size=1, progress=False)
    assert one.n_tokens == sum(len(w) - 1 for w in WINDOWS)
    torch.testing.assert_close(one.states[2], many.states[2], rtol=1e-5, atol=1e-5)
    assert torch.equal(one.window, many.window) and torch.equal(one.position, many.position)
    assert int(one.position.min()) == 1


def test_layer_out_of_range_names_valid_range(lm):
    ids, mask = pad_batch(WINDOWS, 0)
    with pytest.raises(SteerbridgeError, match=r"valid layers are 0\.\.3"):
        hidden_states_at(lm, ids, mask, [4])


def test_empty_corpus_is_refused(lm):
    with pytest.raises(SteerbridgeError, match="no token windows"):
        collect(lm, [], [1], progress=False)


def test_nan_names_batch_and_keeps_partial(lm):
    calls = {"n": 0}

    def poison(_m, _a, out):
        calls["n"] += 1
        if calls["n"] == 2:
            return out * float("nan")
        return out

    handle = lm.layers[0].register_forward_hook(poison)
    try:
        with pytest.raises(NonFiniteActivationsError, match="batch 1") as info:
            collect(lm, WINDOWS, [1], batch_size=1, progress=False)
    finally:
        handle.remove()
    partial = info.value.partial
    assert partial is not None and partial.batches_done == 1
    assert partial.n_tokens == len(WINDOWS[0]) - 1


def _installed(alias: str) -> bool:
    from steerbridge.models import zoo

    return not zoo.check_installed(alias)


@pytest.mark.real_models
@pytest.mark.skipif(not _installed("qwen2.5-coder-0.5b"), reason="qwen2.5-coder-0.5b not installed")
def test_real_model_early_exit_and_padding():
    from steerbridge.models.loading import load

    m = load("qwen2.5-coder-0.5b", dtype="float32")
    tok = m.tokenizer
    texts = ["The quick brown fox jumps over the lazy dog.", "def f(x):\n    return x"]
    wins = [tok.encode(t) for t in texts]
    ids, mask = pad_batch(wins, tok.pad_token_id, "right")
    with torch.no_grad():
        full = m.model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    got = hidden_states_at(m, ids, mask, [12])[12]
    torch.testing.assert_close(got[mask.bool()], full.hidden_states[13][mask.bool()])
    ids_l, mask_l = pad_batch(wins, tok.pad_token_id, "left")
    left = hidden_states_at(m, ids_l, mask_l, [12])[12]
    torch.testing.assert_close(left[mask_l.bool()], got[mask.bool()], rtol=1e-3, atol=1e-2)


@pytest.mark.real_models
@pytest.mark.skipif(not (_installed("qwen2.5-coder-0.5b") and _installed("qwen2.5-coder-1.5b")),
                    reason="the Qwen pair is not installed")
def test_real_pair_tokenizers_agree():
    from transformers import AutoTokenizer

    from steerbridge.bridge.corpus import check_tokenizers
    from steerbridge.models import zoo

    a = AutoTokenizer.from_pretrained(str(zoo.model_path("qwen2.5-coder-0.5b")))
    b = AutoTokenizer.from_pretrained(str(zoo.model_path("qwen2.5-coder-1.5b")))
    check_tokenizers(a, b)
