"""Answer-matched gain: the norm (and sign) of a mapped vector fitted to the source's change
between each prompt's two answers, label-free."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.answer_gain import GainSettings, answer_differences, answer_matched
from steerbridge.bridge.method_inputs import TransferInputs
from steerbridge.bridge.methods import apply, random_source
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import text_scores
from steerbridge.models.tiny import tiny_model, tiny_pair
from steerbridge.run import config as C
from steerbridge.run import pipeline
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.prompts import build_prompts
from steerbridge.vectors.vector import SteeringVector

QUESTIONS = ("How was the film?", "Describe the weather.", "What did the critic say?",
             "How do you feel today?")
ANSWERS = (("A delight from start to finish.", "Dull."), ("Grey and wet.", "Sunny and warm!"),
           ("Masterful.", "A waste of an evening, sadly."), ("Great, thanks.", "Tired and low."))


SCALE = 0.02  # a push the tiny model answers linearly to (its changes saturate past ~0.05)


def _setup(seed: int = 7):
    lm = tiny_model("qwen2", 32, 3, seed=seed, dtype=torch.float64)
    d = torch.randn(32, generator=torch.Generator().manual_seed(0))
    v = SteeringVector({1: d}, {1: SCALE}, lm.name, lm.fingerprint, 32, "test", "none")
    bridge = Bridge(torch.eye(32), torch.zeros(32), [1], 1, lm.name, lm.name, lm.fingerprint,
                    lm.fingerprint)
    return lm, v, TransferInputs(lm, v, bridge, lm, prompts=QUESTIONS, answers=ANSWERS)


def test_answer_differences_equal_the_text_score_log_odds():
    lm, _, inputs = _setup()
    d = answer_differences(lm, inputs.prompts, inputs.answers, batch_size=3)
    items = [ABItem(q, a[0], a[1]) for q, a in zip(inputs.prompts, inputs.answers, strict=True)]
    prompts = build_prompts(lm.tokenizer, items).prompts
    with torch.no_grad():
        ld = text_scores.scores(lm, text_scores.encode(lm, prompts))[0]["ld"]
    assert np.allclose(d, ld, atol=1e-4) and np.abs(ld).min() > 1e-3


@pytest.mark.parametrize("positions", ["all", "generated"])
def test_steered_answer_differences_equal_the_ab_sweep_at_the_same_positions(positions):
    """The gain fit steers where the evaluation does: its steered log-odds equal the A/B text
    sweep's at the same positions (answer tokens from the prompt's last one, or all)."""
    from steerbridge.bridge.answer_gain import Steering
    from steerbridge.evaluation import ab

    lm, v, inputs = _setup()
    d = answer_differences(lm, inputs.prompts, inputs.answers, batch_size=3,
                           steering=Steering(v, 30.0, positions))
    items = [ABItem(q, a[0], a[1]) for q, a in zip(inputs.prompts, inputs.answers, strict=True)]
    res = ab.sweep(lm, build_prompts(lm.tokenizer, items).prompts, {"v": v}, [30.0],
                   batch_size=2, positions=positions)
    assert np.allclose(d, res["v"]["ld"][0], atol=1e-6)
    plain = answer_differences(lm, inputs.prompts, inputs.answers, batch_size=3)
    assert np.abs(d - plain).max() > 1e-3  # the push moved the answers


@pytest.mark.parametrize("positions", ["all", "generated"])
def test_replayed_scoring_equals_full_forwards(positions):
    """The gain's scorer runs the blocks before the steered layer once per batch and replays
    their output under every push: the same numbers as full steered forwards, for several
    pushes in a row; a push at an earlier layer than the cached one runs full forwards."""
    from steerbridge.bridge.answer_gain import AnswerScorer, Steering

    lm, v, inputs = _setup()
    fast = AnswerScorer(lm, inputs.prompts, inputs.answers, batch_size=3, layer=1)
    slow = AnswerScorer(lm, inputs.prompts, inputs.answers, batch_size=3)
    for alpha in (30.0, -30.0, 12.0):
        a, b = (s.differences(Steering(v, alpha, positions)) for s in (fast, slow))
        assert np.allclose(a, b, atol=1e-9, rtol=0)
    assert len(fast._prefix) == 2 and not slow._prefix  # two batches cached, once
    assert np.allclose(fast.differences(), slow.differences(), atol=1e-12)
    early = SteeringVector({0: v.unit(1)}, {0: SCALE}, lm.name, lm.fingerprint, 32, "t", "none")
    assert np.allclose(fast.differences(Steering(early, 30.0, positions)),
                       slow.differences(Steering(early, 30.0, positions)), atol=1e-9, rtol=0)
    moved = fast.change(v, 30.0, positions)
    assert np.abs(moved).min() > 1e-4  # the replayed push still moves every prompt's answers


@pytest.mark.parametrize("factor", [0.5, -1.0])
def test_the_gain_undoes_a_rescaled_or_flipped_start(factor: float):
    """Target = source, W = I: a start that is v at `factor` times its push must come back to
    a gain of about 1 / factor (the sign too); refitting rounds handle the curvature."""
    lm, v, inputs = _setup()
    start = dataclasses.replace(v, directions={1: np.sign(factor) * v.unit(1)},
                                scales={1: SCALE * abs(factor)})
    out = answer_matched(inputs, start, GainSettings(alpha=0.5, rounds=3, batch_size=2))
    g = out.info["gain"]["gain"]
    assert g == pytest.approx(1 / factor, rel=0.1)
    assert out.info["gain"]["agreement"] == pytest.approx(np.sign(factor), abs=0.02)
    push = out.scales[1] * out.unit(1)  # what steering adds at alpha 1: v's own push again
    assert torch.allclose(push, SCALE * v.unit(1), atol=0.1 * SCALE)


def test_gain_through_apply_and_its_refusals():
    lm, v, inputs = _setup()
    out = apply("gain", inputs, gain=GainSettings(alpha=0.5))
    assert out.info["transfer"] == "gain" and out.model_fingerprint == lm.fingerprint
    ctrl = apply("gain", random_source(inputs, 3), gain=GainSettings(alpha=0.5))
    assert ctrl.info["gain"]["gain"] != out.info["gain"]["gain"]
    with pytest.raises(SteerbridgeError, match="scoring = \"text\""):
        apply("gain", dataclasses.replace(inputs, answers=()))


def _text_items(path, tag: str, n: int) -> None:
    rows = [{"question": f"{tag} {i}: how was the weather?\n\nChoices:\n (A) Lovely and "
                         f"warm, day {i}.\n (B) Grey, wet and cold.",
             "answer_matching_behavior": "(A)", "answer_not_matching_behavior": "(B)"}
            for i in range(n)]
    path.write_text(json.dumps(rows))


def _config(tmp, scoring: str = "text", positions: str = "all"):
    _text_items(tmp / "g.json", "Generate", 8)
    _text_items(tmp / "t.json", "Held-out", 5)
    return C.from_dict({
        "models": {"source": "tiny-src", "target": "tiny-tgt", "dtype": "float32"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 2000},
        "behaviours": [{"name": "weather", "generate": str(tmp / "g.json"),
                        "test": str(tmp / "t.json"), "scoring": scoring}],
        "evaluation": {"alphas": [-0.5, 0.5], "random_seeds": [0], "n_boot": 20,
                       "side_effects_tokens": 0, "generations": 0, "positions": positions},
        "transfer": {"method": "gain", "gain": {"alpha": 0.5, "max_prompts": 6}},
        "run": {"dir": str(tmp / "run")},
    })


def test_gain_method_runs_in_the_pipeline_and_is_refused_for_letters(tmp_path) -> None:
    res = pipeline.run(_config(tmp_path), models=tiny_pair())
    beh = res["behaviours"]["weather"]
    assert "summary" in beh, beh.get("errors")
    assert beh["judgement"]["method"] == "gain"
    assert "answer-matched gain" in beh["vectors"]["transferred_lineage"][-1]
    fitted = beh["vectors"]["carried"]["gain"]
    lineage = beh["vectors"]["transferred_lineage"][-1]
    assert fitted["gain"] != 0 and f"{fitted['gain']:.3g}" in lineage
    controls = beh["vectors"]["random_source_carried"]
    assert set(controls) == {"0"} and controls["0"]["transfer"] == "gain"
    assert controls["0"]["gain"]["gain"] != fitted["gain"]  # the control got its own fit
    with pytest.raises(SteerbridgeError, match=r"'gain' method.*weather.*scoring = \"text\""):
        _config(tmp_path, scoring="letter")


def test_the_pipelines_gain_steers_where_the_evaluation_does(tmp_path) -> None:
    """``[evaluation] positions`` reaches the gain fit (vector and control), and the run's
    evaluation is keyed apart from an every-position run's."""
    res = pipeline.run(_config(tmp_path, positions="generated"), models=tiny_pair())
    vecs = res["behaviours"]["weather"]["vectors"]
    assert vecs["carried"]["gain"]["positions"] == "generated"
    assert vecs["random_source_carried"]["0"]["gain"]["positions"] == "generated"
    (tmp_path / "every").mkdir()
    every = pipeline.run(_config(tmp_path / "every"), models=tiny_pair())
    assert every["behaviours"]["weather"]["vectors"]["carried"]["gain"]["positions"] == "all"
    assert every["behaviours"]["weather"]["vectors"]["carried"]["gain"]["gain"] != \
        vecs["carried"]["gain"]["gain"]
