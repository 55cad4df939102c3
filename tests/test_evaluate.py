"""A/B evaluation on tiny random models: scores, conditions, replay equals full forward."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import ab as E
from steerbridge.evaluation import freetext
from steerbridge.evaluation.side_effects import side_effects
from steerbridge.models.loading import LoadedModel
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.vector import SteeringVector


def items(n: int = 10, letters: tuple[str, str] = ("A", "B")) -> list[ABItem]:
    a, b = letters
    out = []
    for i in range(n):
        q = f"Question {i}: is the weather lovely today?" + " really" * (i % 4)
        m, nm = (a, b) if i % 2 else (b, a)
        out.append(ABItem(q, m, nm, source=f"tiny:{i}"))
    return out


def vector(lm: LoadedModel, layer: int, seed: int = 0, scale: float = 1.0) -> SteeringVector:
    g = torch.Generator().manual_seed(seed)
    return SteeringVector(directions={layer: torch.randn(lm.hidden_size, generator=g)},
                          scales={layer: scale}, model_name=lm.name,
                          model_fingerprint=lm.fingerprint, hidden_size=lm.hidden_size,
                          method="mean_diff", dataset_fingerprint="x")


@pytest.fixture(scope="module")
def tiny() -> LoadedModel:
    return tiny_model("qwen2", 32, 4, seed=3)


def test_scores_match_a_hand_computed_forward(tiny: LoadedModel) -> None:
    prompts = E.prepare(tiny, items(6))
    res = E.sweep(tiny, prompts, {}, [0.5])
    for i, p in enumerate(prompts):
        ids = torch.tensor([p.prompt_ids])
        with torch.no_grad():
            logits = tiny.model(input_ids=ids).logits[0, -1].double()
        probs = torch.softmax(logits, -1)
        m, n = p.matching_ids[0], p.non_matching_ids[0]
        assert res["none"]["ld"][i] == pytest.approx(float(logits[m] - logits[n]), abs=1e-4)
        assert res["none"]["p"][i] == pytest.approx(float(probs[m] / (probs[m] + probs[n])),
                                                    abs=1e-5)
        assert res["none"]["mass"][i] == pytest.approx(float(probs[m] + probs[n]), abs=1e-5)
        assert res["none"]["lo"][i] == res["none"]["ld"][i]  # one-token answers: the logit gap


@pytest.mark.parametrize("arch", ["qwen2", "llama", "gpt2"])
def test_replay_prefix_equals_full_steered_forward(arch: str) -> None:
    lm = tiny_model(arch, 32, 4, seed=1)
    prompts = E.prepare(lm, items(7))
    vecs = {"v": vector(lm, 2, seed=5), "w": vector(lm, 1, seed=6)}
    fast = E.sweep(lm, prompts, vecs, [-2.0, 3.0], batch_size=3)
    slow = E.sweep(lm, prompts, vecs, [-2.0, 3.0], batch_size=3, replay=False)
    for c in ("none", "v", "w"):
        np.testing.assert_allclose(fast[c]["ld"], slow[c]["ld"], atol=1e-4)
        np.testing.assert_allclose(fast[c]["mass"], slow[c]["mass"], atol=1e-6)
    # steering really moved something, and the blocks were put back afterwards
    assert not np.allclose(fast["v"]["ld"][1], fast["none"]["ld"])
    assert all(type(b).__name__ != "_Replay" for b in lm.layers)


def test_batching_and_padding_do_not_change_scores(tiny: LoadedModel) -> None:
    prompts = E.prepare(tiny, items(9))
    v = {"v": vector(tiny, 2)}
    a = E.sweep(tiny, prompts, v, [1.0], batch_size=1)
    b = E.sweep(tiny, prompts, v, [1.0], batch_size=4)
    np.testing.assert_allclose(a["v"]["ld"], b["v"]["ld"], atol=1e-4)
    np.testing.assert_allclose(a["none"]["p"], b["none"]["p"], atol=1e-5)


def test_multi_token_answers_are_named(tiny: LoadedModel) -> None:
    bad = items(3, ("(A)", "(B)"))  # "(A" is two tokens in the tiny tokenizer
    with pytest.raises(SteerbridgeError, match=r"3 test item\(s\).*tiny:0"):
        E.prepare(tiny, bad)


def test_nan_alpha_is_reported_and_other_alphas_kept(tiny: LoadedModel) -> None:
    prompts = E.prepare(tiny, items(4))
    v = vector(tiny, 2)
    v.scales[2] = 1e38  # alpha 10 overflows to inf in float32; alpha 1e-37 stays finite
    res = E.sweep(tiny, prompts, {"v": v}, [1e-37, 10.0])
    assert res["v"]["nan_alphas"] == [10.0]
    assert np.isfinite(res["v"]["p"][0]).all()
    assert np.isnan(res["v"]["p"][1]).all()


def test_wrong_model_vector_is_refused_naming_condition(tiny: LoadedModel) -> None:
    other = tiny_model("qwen2", 32, 4, seed=9)
    with pytest.raises(SteerbridgeError, match="condition 'x'"):
        E.sweep(tiny, E.prepare(tiny, items(2)), {"x": vector(other, 2)}, [1.0])


def test_evaluate_behaviour_conditions_and_controls() -> None:
    src, tgt = tiny_model("qwen2", 32, 4, seed=0), tiny_model("qwen2", 48, 6, seed=1)
    native = vector(tgt, 3, seed=1)
    transferred = vector(tgt, 3, seed=2)
    res = E.evaluate_behaviour(tgt, items(12), native, transferred, [-4.0, 4.0],
                               transferred_bias=vector(tgt, 3, seed=3), random_seeds=[0, 1],
                               source=src, source_vector=vector(src, 2), n_boot=50)
    conds = res["conditions"]
    assert set(conds) == {"none", "native", "transferred", "transferred_bias", "random:0",
                          "random:1", "source_none", "source"}
    assert "extra_conditions" not in res  # only a caller that passes `extra` gets them back
    assert np.asarray(conds["native"]["p"]).shape == (2, 12)
    h = res["summary"]["headline"]
    for key in ("transferred_retention", "random_retention_mean", "transferred_corr_change",
                "random_corr_change", "none_answer_mass"):
        assert key in h
    # random controls have the transferred vector's norm
    norms = res["vector_norms"]
    assert norms["random:0"]["norm"] == pytest.approx(norms["transferred"]["norm"], rel=1e-5)
    assert -1 <= res["cosine"]["transferred"] <= 1


def test_side_effects_zero_at_alpha_zero_and_positive_otherwise(tiny: LoadedModel) -> None:
    wins = [tiny.tokenizer.encode("The quick brown fox jumps over the lazy dog. " * 2)] * 3
    v = {"v": vector(tiny, 2)}
    zero = side_effects(tiny, wins, v, 0.0)
    assert zero["v"]["kl"] == pytest.approx(0.0, abs=1e-9)
    assert zero["v"]["ppl_change"] == pytest.approx(0.0, abs=1e-9)
    big = side_effects(tiny, wins, v, 5.0)
    assert big["v"]["kl"] > 1e-4
    assert big["tokens"] == 3 * (len(wins[0]) - 1)
    assert math.isfinite(big["none_ppl"])


def test_generations_and_vader(tiny: LoadedModel) -> None:
    g = freetext.generations(tiny, ["Describe the weather."], {"v": vector(tiny, 2)}, 3.0,
                      max_new_tokens=5)
    assert g["conditions"] == ["none", "v"]
    assert set(g["samples"][0]["outputs"]) == {"none", "v"}
    fake = {"alpha": 1.0, "samples": [{"outputs": {"none": "This is terrible and sad.",
                                                   "v": "What a wonderful, lovely day!"}}]}
    tone = freetext.vader_tone(fake)
    assert tone["shift"]["v"] > 0.5
