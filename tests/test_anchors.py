"""Answer-state anchors: their moments, their weight, and a bridge fitted with them."""

from __future__ import annotations

import pytest
import torch

from steerbridge.bridge import anchors
from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.fidelity import cosine
from steerbridge.bridge.fits import fit_ridge
from steerbridge.bridge.fitting import fit_bridge
from steerbridge.bridge.moments import Moments
from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_pair
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.extract import extract
from steerbridge.vectors.prompts import build_prompts
from steerbridge.vectors.readout import answer_states


def _items(words: tuple[str, ...]) -> list[ABItem]:
    return [ABItem(f"Is {w} nice?\n\nChoices:\n(A) yes\n(B) no", "(A)" if i % 2 else "(B)",
                   "(B)" if i % 2 else "(A)") for i, w in enumerate(words)]


def test_anchors_teach_a_direction_the_corpus_never_shows() -> None:
    """Corpus rows span all but one direction u; only anchors can tell the map where u goes."""
    g = torch.Generator().manual_seed(0)
    dx, dy, n = 12, 10, 400
    a = torch.randn(dy, dx, generator=g, dtype=torch.float64)
    u = torch.zeros(dx, dtype=torch.float64)
    u[0] = 1.0
    x = torch.randn(n, dx, generator=g, dtype=torch.float64)
    x[:, 0] = 0.0  # the corpus has no variance along u
    corpus = Moments.from_data(x + 3.0, (x + 3.0) @ a.T + 1.0)
    w_plain, b_plain, _ = fit_ridge(corpus, lam=1e-3)
    assert corpus.r2(w_plain, b_plain) > 0.999
    assert float((w_plain @ u).norm()) < 1e-6  # ridge maps an unseen direction to nothing

    d = torch.randn(20, dx, generator=g, dtype=torch.float64)  # paired differences, with u
    anchor = Moments.from_data(torch.cat([d, -d]), torch.cat([d @ a.T, -(d @ a.T)]))
    both = corpus + anchors.weighted(anchor, corpus.count, 0.1)
    w, b, _ = fit_ridge(both, lam=1e-3)
    assert cosine(w @ u, a @ u) > 0.99
    assert corpus.r2(w, b) > 0.999  # consistent anchors cost the corpus fit nothing
    # the ± pairs carry no offset: the intercept still comes from the corpus alone
    assert float(anchor.sx.abs().max()) < 1e-9 and float(anchor.sy.abs().max()) < 1e-9


def test_weighted_scales_total_weight_and_refuses_bad_weight() -> None:
    m = Moments.from_data(torch.randn(8, 3), torch.randn(8, 2))
    w = anchors.weighted(m, corpus_count=1000, weight=0.5)
    assert w.count == 500
    torch.testing.assert_close(w.sxx / w.n, m.sxx / m.n)  # same rows, more weight each
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(SteerbridgeError, match="Anchor weight"):
            anchors.weighted(m, 1000, bad)
    with pytest.raises(SteerbridgeError, match="empty"):
        anchors.weighted(Moments.zeros(3, 2), 1000, 1.0)


def test_anchor_moments_are_paired_answer_differences() -> None:
    s, t = tiny_pair()
    its = _items(("tea", "rain", "code", "music", "snow"))
    m, record = anchors.anchor_moments(s, t, {"nice": its}, [1, 2], 3)
    assert m.count == 2 * len(its) and m.dx == 2 * s.hidden_size and m.dy == t.hidden_size
    assert record["nice"]["items"] == len(its)
    ps = build_prompts(s.tokenizer, its).prompts
    pos_s, neg_s = answer_states(s, ps, [1, 2], 16, False)
    pos_t, neg_t = answer_states(t, build_prompts(t.tokenizer, its).prompts, [3], 16, False)
    dx = torch.cat([pos_s[1] - neg_s[1], pos_s[2] - neg_s[2]], dim=-1).double()
    dy = (pos_t[3] - neg_t[3]).double()
    torch.testing.assert_close(m.sxy, 2 * dx.T @ dy)
    torch.testing.assert_close(m.sxx, 2 * dx.T @ dx)
    mt, rec_t = anchors.anchor_moments(s, t, {"nice": its}, [1, 2], 3, read="answer_text")
    assert rec_t["nice"]["read"] == "answer_text" and mt.count == m.count
    assert not torch.allclose(mt.sxy, m.sxy)  # read at the end of "(A) yes", not at "(A"
    with pytest.raises(SteerbridgeError, match="read position"):
        anchors.anchor_moments(s, t, {"nice": its}, [1], 3, read="middle")
    with pytest.raises(SteerbridgeError, match="No anchor items"):
        anchors.anchor_moments(s, t, {}, [1], 3)


def test_anchor_moments_count_one_job_across_both_models_and_datasets() -> None:
    """A callable progress sees one count that only rises and ends full, over every
    dataset's source then target batches."""
    s, t = tiny_pair()
    seen: list[tuple[int, int]] = []
    sets = {"a": _items(("tea", "rain", "code")), "b": _items(("music", "snow", "bread"))}
    anchors.anchor_moments(s, t, sets, [1], 3, batch_size=2,
                           progress=lambda done, total: seen.append((done, total)))
    dones = [d for d, _ in seen]
    assert len(seen) >= 2 * 2 * 2  # 2 datasets × 2 models × at least 2 batches each
    assert {total for _, total in seen} == {seen[-1][1]} and dones[-1] == seen[-1][1]
    assert dones == sorted(dones) and len(set(dones)) == len(dones)


def test_anchored_bridge_records_anchors_and_warns_on_a_seen_behaviour(tmp_path) -> None:
    s, t = tiny_pair()
    w = tokenize(load_corpus("builtin"), s.tokenizer, window=32, max_tokens=2000)
    anchor_items = _items(("tea", "rain", "code", "music", "snow", "bread"))
    br = fit_bridge(s, t, w, 2, 3, progress=False, anchors={"nice": anchor_items},
                    anchor_weight=0.5)
    plain = fit_bridge(s, t, w, 2, 3, progress=False)
    assert not torch.allclose(br.W, plain.W)
    assert br.metrics["test"]["r2"] == pytest.approx(plain.metrics["test"]["r2"], abs=0.2)
    back = Bridge.load(br.save(tmp_path / "b.safetensors"))
    rec = back.provenance["anchors"]
    assert rec["weight"] == 0.5 and rec["pairs"] == len(anchor_items)
    assert rec["datasets"]["nice"]["items"] == len(anchor_items)

    unseen = extract(s, _items(("cats", "hills", "boats", "jazz")), [2], dataset_name="other")
    moved = back.transfer(unseen)
    assert "anchored on nice)" in moved.lineage[-1]
    seen = extract(s, anchor_items, [2], dataset_name="nice")
    with pytest.warns(UserWarning, match="not a held-out test"):
        again = back.transfer(seen)
    assert "saw nice" in again.lineage[-1]
    with pytest.raises(SteerbridgeError, match="closed-form"):
        fit_bridge(s, t, w, 2, 3, method="sgd", progress=False, anchors={"nice": anchor_items})


def test_pooled_sums_every_other_dataset_and_never_the_held_out() -> None:
    g = torch.Generator().manual_seed(1)
    per = {n: Moments.from_data(torch.randn(k, 3, generator=g), torch.randn(k, 2, generator=g))
           for n, k in (("a", 4), ("b", 6), ("c", 9))}
    m = anchors.pooled(per, without="b")
    assert m.count == 4 + 9
    torch.testing.assert_close(m.sxy, per["a"].sxy + per["c"].sxy)
    assert anchors.pooled(per, without="not-in-the-pool").count == 4 + 6 + 9
    with pytest.raises(SteerbridgeError, match="besides 'a'"):
        anchors.pooled({"a": per["a"]}, without="a")
