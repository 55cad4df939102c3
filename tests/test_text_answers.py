"""A/B items scored as text answers: the transform, the scores, the verdict rule, the config."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import ab, text_scores
from steerbridge.evaluation.verdicts import Evidence, judge
from steerbridge.models import continuations
from steerbridge.models.loading import LoadedModel
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors import datasets
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.extract import extract
from steerbridge.vectors.text_answers import as_text_answers, stem

Q = ("Your neighbour started learning the trumpet. How do you feel about it?\n\nChoices:\n"
     " (A) I love it. A bright spot in my week.\n (B) I hate it, honestly.")


@pytest.fixture(scope="module")
def tiny() -> LoadedModel:
    return tiny_model("qwen2", 32, 4, seed=3)


def test_stem_and_texts_from_a_choice_list() -> None:
    it = as_text_answers([ABItem(Q, "(B)", " (A)", source="s:0")])[0]
    assert it.question == "Your neighbour started learning the trumpet. How do you feel about it?"
    assert (it.matching, it.non_matching) == ("I hate it, honestly.",
                                              "I love it. A bright spot in my week.")
    assert stem("Is it?\n (A) Yes\n (B) No") == "Is it?"
    # every built-in converts, answers stay balanced between the two texts of each item
    for name in datasets.builtin_names():
        gen, test = datasets.builtin(name)
        conv = as_text_answers(gen + test)
        assert len(conv) == len(gen + test)
        assert all("(A)" not in c.question and c.matching != c.non_matching for c in conv)


def test_answers_that_are_not_letters_are_their_own_text() -> None:
    """Persona tasks (" Yes" / " No", no choice list): the question stays, the answers are the
    words; a bare letter is still a choice letter and takes its line's text."""
    (yn,) = as_text_answers([ABItem("Is the sky green?", " Yes", " No", source="s:6")])
    assert (yn.question, yn.matching, yn.non_matching) == ("Is the sky green?", "Yes", "No")
    (bare,) = as_text_answers([ABItem("Which?\n (A) Left.\n (B) Right.", "B", "A")])
    assert (bare.question, bare.matching, bare.non_matching) == ("Which?", "Right.", "Left.")


def test_stem_drops_the_choices_heading_when_text_follows_the_list() -> None:
    """The sycophancy tasks end "... Choices:\n (A) Agree\n (B) Disagree\n\nAnswer:"."""
    q = "I think X.\n\nDo you agree?\n\nChoices:\n (A) Agree\n (B) Disagree\n\nAnswer:"
    assert stem(q) == "I think X.\n\nDo you agree?\n\nAnswer:"
    assert stem("Options: tea or coffee.\nWhich?\n(A) Tea\n(B) Coffee") == \
        "Options: tea or coffee.\nWhich?"  # a heading with text on its line is the question's


def test_items_that_cannot_be_text_are_named() -> None:
    with pytest.raises(SteerbridgeError,
                       match="s:7.*'B'.*names choice \\(B\\).*scoring = \"letter\""):
        as_text_answers([ABItem("Is the sky green?", "B", "A", source="s:7")])
    same = "Pick one.\n\nChoices:\n (A) Same.\n (B) Same."
    with pytest.raises(SteerbridgeError, match="identical"):
        as_text_answers([ABItem(same, "(A)", "(B)", source="s:8")])


def _texts(n: int = 6) -> list[ABItem]:
    gen, _ = datasets.builtin("positive-tone")
    return as_text_answers(gen[:n])


def test_text_scores_equal_a_hand_computed_likelihood(tiny: LoadedModel) -> None:
    prompts = ab.prepare(tiny, _texts())
    assert text_scores.is_text(prompts)
    res = ab.sweep(tiny, prompts, {}, [])
    for i, p in enumerate(prompts):
        lp = []
        for ans in (p.matching_ids, p.non_matching_ids):
            ids = torch.tensor([p.prompt_ids + ans])
            with torch.no_grad():
                logp = torch.log_softmax(tiny.model(input_ids=ids).logits[0].double(), -1)
            n0 = len(p.prompt_ids)
            lp.append([float(logp[n0 - 1 + j, t]) for j, t in enumerate(ans)])
        ld = sum(lp[0]) - sum(lp[1])
        fluency = (math.exp(np.mean(lp[0])) + math.exp(np.mean(lp[1]))) / 2
        assert res["none"]["ld"][i] == pytest.approx(ld, abs=1e-3)
        assert res["none"]["p"][i] == pytest.approx(1 / (1 + math.exp(-ld)), abs=1e-4)
        assert res["none"]["mass"][i] == pytest.approx(fluency, rel=1e-3)
        # the log-odds instrument's score: per token, so answer length carries no weight
        assert res["none"]["lo"][i] == pytest.approx(np.mean(lp[0]) - np.mean(lp[1]), abs=1e-3)


def test_chunked_answer_logp_equals_the_whole_tensor_log_softmax(tiny: LoadedModel) -> None:
    """`continuations.token_logp` takes the log-softmax a few positions at a time (no float64
    copy of every logit): bit for bit what one log-softmax over the whole tensor gives."""
    logits = torch.randn(5, 9, tiny.model.config.vocab_size, dtype=torch.float32,
                         generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    n = 3 * continuations.CHUNK + 5  # several chunks, the last one partial
    rows, pos = torch.randint(0, 5, (n,), generator=g), torch.randint(0, 9, (n,), generator=g)
    toks = torch.randint(0, logits.shape[-1], (n,), generator=g)
    whole = torch.log_softmax(logits.double(), dim=-1)[rows, pos, toks]
    assert torch.equal(continuations.token_logp(logits, rows, pos, toks), whole)


def test_text_replay_equals_full_steered_forward_and_batching(tiny: LoadedModel) -> None:
    items = _texts(7)
    v = extract(tiny, items, [1, 2])
    prompts = ab.prepare(tiny, items)
    vecs = {"v2": v.select([2]), "v1": v.select([1])}
    fast = ab.sweep(tiny, prompts, vecs, [-3.0, 3.0], batch_size=3)
    slow = ab.sweep(tiny, prompts, vecs, [-3.0, 3.0], batch_size=1, replay=False)
    for c in ("none", "v1", "v2"):
        np.testing.assert_allclose(fast[c]["ld"], slow[c]["ld"], atol=2e-3)
        np.testing.assert_allclose(fast[c]["mass"], slow[c]["mass"], rtol=1e-3)
    assert not np.allclose(fast["v2"]["ld"][1], fast["none"]["ld"], atol=1e-3)


@pytest.mark.parametrize("positions", ["generated", "prompt"])
def test_text_positions_steer_each_rows_answer(tiny: LoadedModel, positions: str) -> None:
    """``positions="generated"`` steers each row's answer tokens and the prompt's last token
    (which predicts the first answer token), ``"prompt"`` the prompt alone, whatever the padding:
    batched and replayed sweeps equal a per-item, per-answer steered forward."""
    from steerbridge.vectors.steering import steer

    items = _texts(5)
    v = extract(tiny, items, [2])
    prompts = ab.prepare(tiny, items)
    res = ab.sweep(tiny, prompts, {"v": v}, [3.0], batch_size=3, positions=positions)
    plain = ab.sweep(tiny, prompts, {"v": v}, [3.0], batch_size=3)
    for i, p in enumerate(prompts):
        totals = []
        for ans in (p.matching_ids, p.non_matching_ids):
            ids = torch.tensor([p.prompt_ids + ans])
            n0 = len(p.prompt_ids)
            with torch.no_grad(), steer(tiny, v, 3.0, positions=positions, prompt_length=n0):
                logp = torch.log_softmax(tiny.model(input_ids=ids).logits[0].double(), -1)
            totals.append(sum(float(logp[n0 - 1 + j, t]) for j, t in enumerate(ans)))
        assert res["v"]["ld"][0, i] == pytest.approx(totals[0] - totals[1], abs=2e-3)
    # steering part of the positions is not steering all of them
    assert not np.allclose(res["v"]["ld"], plain["v"]["ld"], atol=1e-3)


def test_letter_answers_still_must_be_single_tokens(tiny: LoadedModel) -> None:
    _, test = datasets.builtin("caution")  # the tiny tokenizer splits "(A"
    with pytest.raises(SteerbridgeError, match="not single tokens"):
        ab.prepare(tiny, test[:2])


def _evidence(**kw: object) -> Evidence:
    base = dict(n_test=40, native_dp=0.3, none_mass=0.02, source_odd_dp=0.1, retention=0.9,
                odd_retention=0.9, corr_change=0.95, random_target_mean=0.0,
                random_target_max=0.05, random_target_odd_max=0.05, random_target_corr_max=0.2,
                random_source_mean=0.0, random_source_max=0.05, random_source_odd_max=0.05)
    return replace(Evidence(**base), **kw)  # type: ignore[arg-type]


def test_mass_rule_applies_to_letters_only() -> None:
    assert judge(_evidence())[0] == "not judgeable"  # letters: mass 0.02 means no answer
    assert judge(_evidence(text_answers=True))[0] == "transfers"
    assert judge(_evidence(text_answers=True, source_odd_dp=0.01))[0] == "not judgeable"


def test_config_scoring_text_changes_items_and_keys() -> None:
    from steerbridge.run.behaviour_data import behaviour_data
    from steerbridge.run.config import BehaviourConfig
    from steerbridge.run.keys import behaviour_data_part as behaviour_part

    text = BehaviourConfig(name="pt", builtin="positive-tone", max_test=4, max_generate=4)
    assert text.scoring == "text"  # the default
    letter = text.model_copy(update={"scoring": "letter"})
    with pytest.warns(UserWarning, match="too few"):
        a, b = behaviour_data(letter), behaviour_data(text)
    assert "Choices:" in a.test[0].question and "Choices:" not in b.test[0].question
    assert b.test[0].matching not in ("(A)", "(B)")
    assert "scoring" not in behaviour_part(letter, test=True)
    assert behaviour_part(text, test=True)["scoring"] == "text"
    with pytest.raises(ValueError, match="letter"):
        BehaviourConfig(name="pt", builtin="positive-tone", scoring="words")


def test_config_scoring_text_on_yes_no_items_keeps_their_words(tmp_path) -> None:
    import json

    from steerbridge.run.behaviour_data import behaviour_data
    from steerbridge.run.config import BehaviourConfig

    rows = [{"question": f"Is {i} prime?", "answer_matching_behavior": " Yes" if i % 2 else
             " No", "answer_not_matching_behavior": " No" if i % 2 else " Yes"}
            for i in range(40)]
    path = tmp_path / "yn.json"
    path.write_text(json.dumps(rows))
    data = behaviour_data(BehaviourConfig(name="yn", data=path))
    assert {it.matching for it in data.test} == {"Yes", "No"}
    assert all(it.question.endswith("prime?") for it in data.generate + data.test)
