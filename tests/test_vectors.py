"""Extraction parity, methods, save/load, random controls and transfer through a bridge."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch

from steerbridge.bridge import transfer as T
from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_model, tiny_pair
from steerbridge.vectors import aggregators as A
from steerbridge.vectors import datasets as d
from steerbridge.vectors import export
from steerbridge.vectors import readout as R
from steerbridge.vectors import vector as V
from steerbridge.vectors.extract import extract
from steerbridge.vectors.prompts import ABPrompt, build_prompts
from steerbridge.vectors.scales import measure_scales


@pytest.fixture(scope="module")
def lm():
    return tiny_model("qwen2", 32, 4, seed=0)


@pytest.fixture(scope="module")
def items():
    gen, _ = d.builtin("positive-tone")
    return gen[:12]


@pytest.fixture(scope="module")
def vec(lm, items):
    return extract(lm, items, [1, 2], batch_size=5)


def test_mean_diff_parity_with_plain_torch(lm, items, vec) -> None:
    """Independent CAA: one unpadded forward per sequence, hidden_states[l+1] at the last token."""
    tok = lm.tokenizer
    for layer in (1, 2):
        pos, neg = [], []
        for it in items:
            prompt = tok.apply_chat_template([{"role": "user", "content": it.question}],
                                             tokenize=False, add_generation_prompt=True)
            for answer, bucket in ((it.matching, pos), (it.non_matching, neg)):
                ids = tok.encode(prompt, add_special_tokens=False) + tok.encode(
                    answer.strip()[:2], add_special_tokens=False)
                with torch.no_grad():
                    out = lm.model(torch.tensor([ids]), output_hidden_states=True)
                bucket.append(out.hidden_states[layer + 1][0, -1])
        expected = torch.stack(pos).mean(0) - torch.stack(neg).mean(0)
        torch.testing.assert_close(vec.directions[layer], expected, atol=1e-5, rtol=1e-4)


def test_vector_metadata(vec, lm) -> None:
    assert vec.model_fingerprint == lm.fingerprint and vec.hidden_size == 32
    assert vec.method == "mean_diff" and vec.read_position == "answer_token"
    assert vec.info["n_items"] == 12
    assert set(vec.scales) == {1, 2} and all(s > 0 for s in vec.scales.values())
    assert "extracted on" in vec.lineage[0]


def test_scale_is_median_token_norm(lm) -> None:
    texts = ["The weather is lovely today.", "This is terrible, awful and sad."]
    scales = measure_scales(lm, [2], texts)
    norms = []
    for t in texts:
        ids = lm.tokenizer.encode(t, add_special_tokens=False)
        with torch.no_grad():
            hs = lm.model(torch.tensor([ids]), output_hidden_states=True).hidden_states[3][0, 1:]
        norms.append(hs.norm(dim=-1))
    assert scales[2] == pytest.approx(float(torch.cat(norms).median()), rel=1e-5)


def _planted(n: int = 60, dim: int = 16, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    e = torch.zeros(dim)
    e[3] = 1.0
    base = torch.randn(n, dim, generator=g)
    pos = base + 2.0 * e + 0.1 * torch.randn(n, dim, generator=g)
    neg = base - 0.0 * e + 0.1 * torch.randn(n, dim, generator=g)
    return pos, neg, e


@pytest.mark.parametrize("method", ["mean_diff", "pca_diff", "logistic_probe"])
def test_methods_recover_planted_direction(method: str) -> None:
    pos, neg, e = _planted()
    v = A.METHODS[method](pos, neg)
    assert torch.cosine_similarity(v, e, dim=0) > (0.85 if method == "logistic_probe" else 0.95)
    u = v / v.norm()  # length = the mean difference's projection on the direction
    assert float(v.norm()) == pytest.approx(float(A.mean_diff(pos, neg) @ u), rel=1e-5)


def test_pca_sign_follows_mean_diff() -> None:
    pos, neg, e = _planted()
    assert float(A.pca_diff(neg, pos) @ e) < 0


def test_custom_and_unknown_method(lm, items) -> None:
    def first_pair(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        return pos[0] - neg[0]

    v = extract(lm, items[:2], [1], method=first_pair, scales={1: 1.0})
    assert v.method == "first_pair" and v.scales == {1: 1.0}
    with pytest.raises(SteerbridgeError, match="Unknown extraction method"):
        extract(lm, items[:2], [1], method="nope")
    with pytest.raises(SteerbridgeError, match="out of range"):
        extract(lm, items[:2], [9])


def test_save_load_round_trip(tmp_path: Path, vec, lm) -> None:
    p = vec.save(tmp_path / "v.safetensors")
    back = export.load(p, lm)
    for layer in vec.layers:
        assert torch.equal(back.directions[layer], vec.directions[layer])
    assert back.scales == vec.scales and back.lineage == vec.lineage
    assert back.metadata() == vec.metadata()


def test_load_refuses_other_model(tmp_path: Path, vec) -> None:
    other = tiny_model("qwen2", 32, 4, seed=7)
    p = vec.save(tmp_path / "v.safetensors")
    with pytest.raises(SteerbridgeError, match=r"made for tiny-qwen2-32x4-seed0.*seed7"):
        export.load(p, other)


def test_missing_layer_error(vec) -> None:
    with pytest.raises(SteerbridgeError, match=r"no layer 3; it has layers \[1, 2\]"):
        vec.direction(3)


def test_random_like(vec) -> None:
    r = V.random_like(vec, seed=1)
    for layer in vec.layers:
        rv, v = r.directions[layer], vec.directions[layer]
        assert float(rv.norm()) == pytest.approx(float(v.norm()), rel=1e-6)
        assert abs(float(torch.cosine_similarity(rv, v, 0))) < 0.9
    assert torch.equal(V.random_like(vec, seed=1).directions[1], r.directions[1])
    assert not torch.equal(V.random_like(vec, seed=2).directions[1], r.directions[1])
    assert r.method == "random" and "random direction" in r.lineage[-1]


@dataclass
class FakeBridge:
    W: torch.Tensor
    b: torch.Tensor
    source_layers: list[int]
    target_layer: int
    source_name: str
    target_name: str
    source_fingerprint: str
    target_fingerprint: str
    extra: dict[str, float] = field(default_factory=dict)


def _bridge(src, tgt, layers=(1,), lt=3) -> FakeBridge:
    g = torch.Generator().manual_seed(0)
    return FakeBridge(torch.randn(tgt.hidden_size, src.hidden_size * len(layers), generator=g),
                      torch.randn(tgt.hidden_size, generator=g), list(layers), lt,
                      src.name, tgt.name, src.fingerprint, tgt.fingerprint)


def test_transfer_is_W_v(items) -> None:
    src, tgt = tiny_pair()
    v = extract(src, items[:6], [1, 2])
    br = _bridge(src, tgt)
    out = T.transfer(br, v, target=tgt)
    expected = (br.W.double() @ v.directions[1].double()).float()
    torch.testing.assert_close(out.directions[3], expected)
    assert out.model_fingerprint == tgt.fingerprint and out.hidden_size == 48
    assert out.scales[3] == pytest.approx(measure_scales(tgt, [3])[3])
    assert "transferred by bridge" in out.lineage[-1] and "W·v" in out.lineage[-1]
    assert out.lineage[:-1] == v.lineage
    biased = T.transfer(br, v, with_bias=True, target_scale=2.0)
    torch.testing.assert_close(biased.directions[3], (br.W.double() @ v.directions[1].double()
                                                      + br.b.double()).float())
    assert biased.scales[3] == 2.0 and "W·v+b" in biased.lineage[-1]


def test_transfer_many_to_one(items) -> None:
    src, tgt = tiny_pair()
    v = extract(src, items[:4], [1, 2])
    br = _bridge(src, tgt, layers=(1, 2))
    out = T.transfer(br, v, target_scale=1.0)
    cat = torch.cat([v.directions[1], v.directions[2]]).double()
    torch.testing.assert_close(out.directions[3], (br.W.double() @ cat).float())


def test_transfer_refusals(items) -> None:
    src, tgt = tiny_pair()
    v = extract(src, items[:4], [2])
    with pytest.raises(SteerbridgeError, match=r"reads .* \[1\] but the vector has .* \[2\]"):
        T.transfer(_bridge(src, tgt), v, target_scale=1.0)
    wrong = _bridge(tgt, tgt)
    with pytest.raises(SteerbridgeError, match=r"32x4-seed0 .* from tiny-qwen2-48x6-seed1"):
        T.transfer(wrong, v, target_scale=1.0)
    with pytest.raises(SteerbridgeError, match="typical token norm"):
        T.transfer(_bridge(src, tgt, layers=(2,)), v)
    with pytest.raises(SteerbridgeError, match="target model given"):
        T.transfer(_bridge(src, tgt, layers=(2,)), v, target=src)


@pytest.mark.parametrize("arch", ["qwen2", "llama", "gpt2", "gemma2"])
def test_shared_prefix_answer_states_equal_two_full_forwards(arch: str, items) -> None:
    """The KV-cache path (prompt once, each one-token label on its cache) gives the states of
    two full forwards with the label appended, at batch sizes that mix prompt lengths; and
    `answer_states` takes that path for one-token labels."""
    lm_ = tiny_model(arch, 32, 4, seed=3)
    # The tiny tokenizer splits "(A" into "(" + "A": move the shared "(" into the prompt so the
    # labels are one token each, as "(A" / "(B" are under the Qwen tokenizer.
    ps = []
    for p in build_prompts(lm_.tokenizer, items).prompts:
        assert p.matching_ids[:-1] == p.non_matching_ids[:-1]
        ps.append(ABPrompt(p.item, p.prompt, p.prompt_ids + p.matching_ids[:-1],
                           p.matching_ids[-1:], p.non_matching_ids[-1:]))
    assert len({len(p.prompt_ids) for p in ps}) > 1  # mixed lengths: left padding exercised
    fast = R._answer_states_shared_prefix(lm_, ps, [1, 3], batch_size=5, progress=False)
    slow = R._answer_states_appended(lm_, ps, [1, 3], batch_size=5, progress=False)
    for got, want in zip(fast, slow, strict=True):
        for layer in (1, 3):
            torch.testing.assert_close(got[layer], want[layer], atol=1e-5, rtol=1e-4)
    called = []
    real = R._answer_states_shared_prefix

    def spy(*a, **k):
        called.append(True)
        return real(*a, **k)

    R._answer_states_shared_prefix = spy
    try:
        R.answer_states(lm_, ps, [1], batch_size=5)
    finally:
        R._answer_states_shared_prefix = real
    assert called


def test_answer_text_read_position_parity(lm, items) -> None:
    """read="answer_text": the state at the end of the whole chosen line, checked by plain torch."""
    v = extract(lm, items[:4], [2], batch_size=3, read="answer_text", scales={2: 1.0})
    assert v.read_position == "answer_text_end" and "answer_text_end" in v.lineage[0]
    tok = lm.tokenizer
    pos, neg = [], []
    for it in items[:4]:
        prompt = tok.apply_chat_template([{"role": "user", "content": it.question}],
                                         tokenize=False, add_generation_prompt=True)
        for answer, bucket in ((it.matching, pos), (it.non_matching, neg)):
            line = next(ln.strip() for ln in it.question.splitlines()
                        if ln.strip().startswith(answer.strip()[:3]))
            ids = tok.encode(prompt + line, add_special_tokens=False)
            with torch.no_grad():
                out = lm.model(torch.tensor([ids]), output_hidden_states=True)
            bucket.append(out.hidden_states[3][0, -1])
    expected = torch.stack(pos).mean(0) - torch.stack(neg).mean(0)
    torch.testing.assert_close(v.directions[2], expected, atol=1e-5, rtol=1e-4)
    with pytest.raises(SteerbridgeError, match="read position"):
        extract(lm, items[:2], [2], read="middle")
