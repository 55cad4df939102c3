"""Hostile input to the answer-matched gain (``[transfer] method = "gain"``): letter-scored
behaviours, bad ``[transfer.gain]`` values, unknown keys, ``run --method gain`` on a letter
config, and answer pairs the fit cannot use. Config refusals exit 2 with one message naming the
key and the fix, before any model loads and before the run folder exists; the library refuses
unusable answers with a `SteerbridgeError` that says what it needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from hostile_kit import small_config, write_config

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.answer_gain import GainSettings, answer_matched
from steerbridge.bridge.method_inputs import TransferInputs
from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors.vector import SteeringVector


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    import steerbridge.models.loading as loading

    monkeypatch.setattr(loading, "load", lambda *a, **k: pytest.fail("a model was loaded"))


def _config(tmp: Path, scoring: str | None, section: str) -> Path:
    cfg = small_config(tmp)
    if scoring is not None:
        cfg["behaviours"][0]["scoring"] = scoring
    path = write_config(tmp, cfg)
    path.write_text(path.read_text() + section, encoding="utf-8")
    return path


GAIN = [
    ("letters", None, '[transfer]\nmethod = "gain"\n',
     ["'gain' method", "weather", 'scoring = "text"', "choose another method"]),
    ("alpha-zero", "text", '[transfer]\nmethod = "gain"\n[transfer.gain]\nalpha = 0\n',
     ["transfer.gain.alpha"]),
    ("alpha-text", "text", '[transfer]\nmethod = "gain"\n[transfer.gain]\nalpha = "big"\n',
     ["transfer.gain.alpha"]),
    ("max-gain", "text", '[transfer]\nmethod = "gain"\n[transfer.gain]\nmax_gain = -2\n',
     ["transfer.gain.max_gain"]),
    ("rounds", "text", '[transfer]\nmethod = "gain"\n[transfer.gain]\nrounds = -1\n',
     ["transfer.gain.rounds"]),
    ("prompts", "text", '[transfer]\nmethod = "gain"\n[transfer.gain]\nmax_prompts = 0\n',
     ["transfer.gain.max_prompts"]),
    ("unknown-key", "text", '[transfer]\nmethod = "gain"\n[transfer.gain]\nstrength = 1\n',
     ["transfer.gain.strength"]),
]


@pytest.mark.parametrize(("scoring", "section", "needles"), [g[1:] for g in GAIN],
                         ids=[g[0] for g in GAIN])
def test_bad_gain_config_is_refused_before_loading(tmp_path: Path, cli: Any,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   scoring: str | None, section: str,
                                                   needles: list[str]) -> None:
    _no_loading(monkeypatch)
    res = cli("run", _config(tmp_path, scoring, section))
    res.refused("exp.toml", *needles)
    assert "Value error" not in res.text
    assert not (tmp_path / "run").exists()


def test_run_method_gain_on_a_letter_config_is_refused(tmp_path: Path, cli: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _no_loading(monkeypatch)
    res = cli("run", _config(tmp_path, None, ""), "--method", "gain")
    res.refused("'gain' method", "weather", 'scoring = "text"')
    assert not (tmp_path / "run").exists()


def _inputs(answers: tuple[tuple[str, ...], ...]) -> tuple[TransferInputs, SteeringVector]:
    lm = tiny_model("qwen2", 32, 3, seed=3, dtype=torch.float64)
    v = SteeringVector({1: torch.ones(32)}, {1: 0.02}, lm.name, lm.fingerprint, 32, "t", "none")
    bridge = Bridge(torch.eye(32), torch.zeros(32), [1], 1, lm.name, lm.name, lm.fingerprint,
                    lm.fingerprint)
    qs = tuple(f"Question {i}?" for i in range(len(answers)))
    return TransferInputs(lm, v, bridge, lm, prompts=qs, answers=answers), v


@pytest.mark.parametrize(("answers", "needle"), [
    ((), 'scoring = "text"'),
    ((("Yes.", "No.", "Maybe."), ("Yes.", "No.", "Maybe.")), "exactly two answers"),
    ((("Yes.", ""), ("Fine.", "Bad.")), "has no tokens"),
], ids=["none", "three", "empty"])
def test_unusable_answers_are_refused(answers: tuple[tuple[str, ...], ...],
                                      needle: str) -> None:
    inputs, v = _inputs(answers)
    with pytest.raises(SteerbridgeError, match=needle.replace("(", r"\(")):
        answer_matched(inputs, v, GainSettings(max_prompts=4, batch_size=2))


def test_a_start_vector_on_another_model_is_refused() -> None:
    inputs, _ = _inputs((("Yes.", "No."), ("Fine.", "Bad.")))
    other = SteeringVector({1: torch.ones(32)}, {1: 0.02}, "other", "f" * 16, 32, "t", "none")
    with pytest.raises(SteerbridgeError, match="start vector on the target"):
        answer_matched(inputs, other)


def test_a_scorer_at_a_layer_the_model_lacks_is_refused_before_any_forward() -> None:
    """`AnswerScorer(layer=...)` names the valid range; `output_of` says when its block never
    ran (a model whose layers are not the ones its forward uses)."""
    from steerbridge.bridge.answer_gain import AnswerScorer
    from steerbridge.models.replay import output_of

    inputs, _ = _inputs((("Yes.", "No."), ("Fine.", "Bad.")))
    with pytest.raises(SteerbridgeError, match=r"valid layers are 0\.\.2"):
        AnswerScorer(inputs.source, inputs.prompts, inputs.answers, layer=7)
    with pytest.raises(SteerbridgeError, match="did not run"):
        output_of(inputs.source, 1, lambda: None)
