"""Warnings a finished evaluation calls for (`run.outcomes.Outcomes.check_result`)."""

from __future__ import annotations

from typing import Any

from steerbridge.run.outcomes import Outcomes


def _result(mass: float, scoring: str) -> dict[str, Any]:
    return {"collapsed": {}, "scoring": scoring,
            "summary": {"headline": {"none_answer_mass": mass}}}


def test_little_answer_mass_is_warned_for_letter_answers_only() -> None:
    said: list[str] = []
    out = Outcomes(say=said.append)
    out.check_result("letters", _result(0.03, "letter"))
    out.check_result("texts", _result(0.03, "text"))
    out.check_result("plenty", _result(0.9, "letter"))
    assert list(out.warnings) == ["letters"]
    assert "3.0% of its probability" in out.warnings["letters"][0]
    assert len(said) == 1
