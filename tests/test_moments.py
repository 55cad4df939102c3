"""Moments: additive, exact, cached and resumable."""

from __future__ import annotations

import pytest
import torch

from steerbridge.bridge.collection import PairStats, collect_pair_moments, collect_pair_rows
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.moments import Moments
from steerbridge.models.hidden_states import NonFiniteActivationsError
from steerbridge.models.tiny import tiny_pair


def _data(n=500, dx=6, dy=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, dx, generator=g) * 3 + 1, torch.randn(n, dy, generator=g) - 2


def _assert_equal(a: Moments, b: Moments):
    for f in ("n", "sx", "sy", "sxx", "sxy", "syy"):
        torch.testing.assert_close(getattr(a, f), getattr(b, f), rtol=1e-12, atol=1e-9)


def test_streaming_chunks_equal_one_batch():
    x, y = _data()
    whole = Moments.from_data(x, y)
    streamed = Moments.zeros(6, 4)
    for i in range(0, 500, 37):
        streamed.update(x[i:i + 37], y[i:i + 37])
    _assert_equal(whole, streamed)
    assert whole.sxx.dtype == torch.float64 and whole.count == 500


def test_merged_shards_equal_whole():
    x, y = _data()
    shards = [Moments.from_data(x[i:i + 100], y[i:i + 100]) for i in range(0, 500, 100)]
    merged = shards[0]
    for s in shards[1:]:
        merged = merged + s
    _assert_equal(merged, Moments.from_data(x, y))


def test_sse_and_r2_from_sums_match_direct_computation():
    x, y = _data()
    m = Moments.from_data(x, y)
    g = torch.Generator().manual_seed(1)
    w, b = torch.randn(4, 6, generator=g, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    direct = ((y.double() - x.double() @ w.T - b) ** 2).sum()
    assert m.sse(w, b) == pytest.approx(float(direct), rel=1e-10)
    sst = ((y.double() - y.double().mean(0)) ** 2).sum()
    assert m.sst() == pytest.approx(float(sst), rel=1e-10)


def test_save_load_roundtrip(tmp_path):
    x, y = _data()
    m = Moments.from_data(x, y)
    m.save(tmp_path / "m.safetensors")
    _assert_equal(m, Moments.load(tmp_path / "m.safetensors"))


def test_width_mismatch_is_refused():
    from steerbridge.errors import SteerbridgeError

    with pytest.raises(SteerbridgeError, match="do not fit"):
        Moments.zeros(3, 4).update(torch.zeros(2, 5), torch.zeros(2, 4))


@pytest.fixture(scope="module")
def pair_and_windows():
    s, t = tiny_pair()
    w = tokenize(load_corpus("builtin"), s.tokenizer, window=32, max_tokens=3000)
    return s, t, w


def test_pair_moments_match_direct_rows(pair_and_windows):
    s, t, w = pair_and_windows
    pair = ((1,), 2)
    stats = collect_pair_moments(s, t, w, [pair], batch_size=4, progress=False)[pair]
    x, y = collect_pair_rows(s, t, w, pair, "train", batch_size=7)
    _assert_equal(stats.train, Moments.from_data(x, y))
    assert stats.dropped["position_0"] == len(w)
    assert stats.dropped["chat_header"] > 0


def test_cache_hit_and_resume_after_interruption(pair_and_windows, tmp_path):
    s, t, w = pair_and_windows
    pairs = [((1,), 2), ((0, 1), 3)]
    full = collect_pair_moments(s, t, w, pairs, batch_size=4, progress=False)

    class Stop(Exception):
        pass

    def interrupt(done, total):
        if done == 5:
            raise Stop

    with pytest.raises(Stop):
        collect_pair_moments(s, t, w, pairs, batch_size=4, cache_dir=tmp_path,
                             checkpoint_every_s=0.0, progress=interrupt)
    files = sorted(tmp_path.glob("moments-*.safetensors"))
    assert len(files) == 2
    partial = PairStats.load(files[0])
    assert not partial.complete and 0 < partial.batches_done < len(w) // 4
    seen: list[int] = []
    resumed = collect_pair_moments(s, t, w, pairs, batch_size=4, cache_dir=tmp_path,
                                   progress=lambda d, n: seen.append(d))
    assert seen[0] == partial.batches_done  # started where it stopped
    for p in pairs:
        _assert_equal(resumed[p].train, full[p].train)
        _assert_equal(resumed[p].val, full[p].val)
        torch.testing.assert_close(resumed[p].test_x, full[p].test_x)
        assert resumed[p].dropped == full[p].dropped
    calls: list[int] = []
    cached = collect_pair_moments(s, t, w, pairs, batch_size=4, cache_dir=tmp_path,
                                  progress=lambda d, n: calls.append(d))
    assert calls == []  # nothing ran
    _assert_equal(cached[pairs[1]].train, full[pairs[1]].train)


def test_nan_names_batch_and_keeps_checkpoint(pair_and_windows, tmp_path):
    s, t, w = pair_and_windows
    calls = {"n": 0}

    def poison(_m, _a, out):
        calls["n"] += 1
        return out * float("nan") if calls["n"] == 3 else out

    handle = t.layers[0].register_forward_hook(poison)
    try:
        with pytest.raises(NonFiniteActivationsError, match=r"batch 2 \(windows 8\.\.11\)"):
            collect_pair_moments(s, t, w, [((1,), 1)], batch_size=4, cache_dir=tmp_path,
                                 progress=False)
    finally:
        handle.remove()
    kept = PairStats.load(next(tmp_path.glob("moments-*.safetensors")))
    assert kept.batches_done == 2 and kept.train.count > 0
