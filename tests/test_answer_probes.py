"""Text-answer probes for label-free methods: a prompt followed by each candidate answer.

The distilled and select methods compare source and target on the behaviour's unlabelled
prompts; for text-scored behaviours (`scoring = "text"`) the behaviour lives in the answer's
tokens, so `answer_batch` probes every position that predicts one. The two answers reach the
method unordered, so which one matches cannot leak in.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from steerbridge.bridge import distill as distill_mod
from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.method_inputs import TransferInputs, unlabelled_answers
from steerbridge.bridge.methods import random_source
from steerbridge.bridge.probes import answer_batch, prompt_batch, text_batch
from steerbridge.bridge.select import effect_scores
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import text_scores
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.prompts import build_prompts
from steerbridge.vectors.vector import SteeringVector

QUESTIONS = ("How was the film?", "Describe the weather today in a few words please.")
ANSWERS = (("It was a delight from start to finish.", "Dull."),
           ("Grey and wet, as usual.", "Lovely sunshine all day long, warm and bright."))


def _vector(lm, layer: int, seed: int = 0, scale: float = 4.0) -> SteeringVector:
    d = torch.randn(lm.hidden_size, generator=torch.Generator().manual_seed(seed))
    return SteeringVector({layer: d}, {layer: scale}, lm.name, lm.fingerprint, lm.hidden_size,
                          "test", "none")


def _inputs(lm, answers, vector=None) -> TransferInputs:
    bridge = Bridge(torch.eye(lm.hidden_size), torch.zeros(lm.hidden_size), [1], 1, lm.name,
                    lm.name, lm.fingerprint, lm.fingerprint)
    return TransferInputs(lm, vector or _vector(lm, 1), bridge, lm, prompts=QUESTIONS,
                          answers=answers)


def test_answer_batch_probes_exactly_the_answer_tokens_and_matches_text_scoring():
    lm = tiny_model("qwen2", 32, 3, seed=5, dtype=torch.float64)
    batch = answer_batch(lm.tokenizer, QUESTIONS, ANSWERS)
    assert batch.ids.shape[0] == 4
    items = [ABItem(q, a[0], a[1]) for q, a in zip(QUESTIONS, ANSWERS, strict=True)]
    prompts = build_prompts(lm.tokenizer, items).prompts
    rows = [ans for p in prompts for ans in (p.matching_ids, p.non_matching_ids)]
    for i, ans in enumerate(rows):
        cols = batch.probe[i].nonzero().squeeze(1)
        assert len(cols) == len(ans)
        assert batch.ids[i, cols + 1].tolist() == ans  # each probed column predicts the next
    logp = distill_mod.logp_at_probes(lm, batch)
    nxt = torch.cat([batch.ids[i, batch.probe[i].nonzero().squeeze(1) + 1] for i in range(4)])
    per_tok = logp.gather(1, nxt.unsqueeze(1)).squeeze(1)
    sums = torch.stack([c.sum() for c in per_tok.split([len(a) for a in rows])]).view(2, 2)
    with torch.no_grad():
        sc, _ = text_scores.scores(lm, text_scores.encode(lm, prompts))
    ld = torch.tensor(sc["ld"])
    assert torch.allclose((sums[:, 0] - sums[:, 1]).double(), ld, atol=1e-4)  # float32 logp
    assert float(ld.abs().min()) > 1e-3  # the answers differ, so the check is not vacuous


def test_logits_from_the_first_probed_column_equal_the_full_forward():
    lm = tiny_model("qwen2", 32, 3, seed=2, dtype=torch.float64)
    for batch in (prompt_batch(lm.tokenizer, list(QUESTIONS)),
                  text_batch(lm.tokenizer, ["One two three four five.", "Six seven."], 12),
                  answer_batch(lm.tokenizer, QUESTIONS, ANSWERS)):
        full = torch.log_softmax(lm.model(input_ids=batch.ids, attention_mask=batch.mask,
                                          position_ids=distill_mod.position_ids_from_mask(
                                              batch.mask)).logits.float(), -1)[batch.probe]
        assert torch.allclose(distill_mod.logp_at_probes(lm, batch), full, atol=1e-6)


def test_answers_arrive_unordered_so_the_label_cannot_leak():
    lm = tiny_model("qwen2", 32, 3, seed=7)
    a = [ABItem("Q1?", "Kind words.", "Cruel words."), ABItem("Q2?", "Yes.", "No.")]
    b = [dataclasses.replace(it, matching=it.non_matching, non_matching=it.matching) for it in a]
    assert unlabelled_answers(a) == unlabelled_answers(b)
    with pytest.raises(SteerbridgeError, match="generate split"):
        unlabelled_answers(a, split="test")
    swapped = tuple(tuple(reversed(x)) for x in ANSWERS)
    assert _inputs(lm, swapped).answers == _inputs(lm, ANSWERS).answers
    assert random_source(_inputs(lm, swapped), 1).answers == _inputs(lm, ANSWERS).answers
    with pytest.raises(SteerbridgeError, match="one tuple of answer strings per prompt"):
        _inputs(lm, ANSWERS[:1])
    with pytest.raises(SteerbridgeError, match="one list of candidate answers per question"):
        answer_batch(lm.tokenizer, QUESTIONS, ANSWERS[:1])


def test_distillation_on_answer_tokens_recovers_the_source_direction():
    """Target = source (W = I): from a rotated start, distilling on the answers' tokens turns
    the vector back toward v; with the answers in either order the result is the same."""
    lm = tiny_model("qwen2", 32, 3, seed=7)
    v = _vector(lm, 1)
    noise = torch.randn(32, generator=torch.Generator().manual_seed(9))
    start = dataclasses.replace(v, directions={1: v.unit(1) + 0.8 * noise / noise.norm()})
    settings = distill_mod.DistillSettings(alpha=1.0, steps=40, lr=0.05, penalty=0.0,
                                           max_neutral=0)
    out = distill_mod.distilled(_inputs(lm, ANSWERS, v), start, settings)
    cos = torch.nn.functional.cosine_similarity
    assert float(cos(out.unit(1), v.unit(1), dim=0)) > \
        float(cos(start.unit(1), v.unit(1), dim=0)) + 0.05
    assert out.info["distill"]["loss_last"] < out.info["distill"]["loss_first"]
    swapped = tuple(tuple(reversed(x)) for x in ANSWERS)
    again = distill_mod.distilled(_inputs(lm, swapped, v), start, settings)
    assert torch.equal(again.unit(1), out.unit(1))


def test_selection_on_answer_tokens_prefers_the_source_vector():
    lm = tiny_model("qwen2", 32, 3, seed=7)
    v = _vector(lm, 1)
    cands = {"v": v, **{f"r{i}": _vector(lm, 1, seed=20 + i) for i in range(3)}}
    scores = effect_scores(_inputs(lm, ANSWERS, v), cands, alpha=1.0, max_neutral=0)
    assert min(scores, key=lambda k: scores[k]) == "v" and scores["v"] < 1e-4
    assert all(scores[k] > 10 * scores["v"] for k in cands if k != "v")
