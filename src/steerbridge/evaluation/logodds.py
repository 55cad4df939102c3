"""The log-odds instrument: the verdict rule's numbers on each item's answer log-odds, not p.

The primary rule (`evaluation.verdicts`) measures retention and its controls in p, the
matching answer's share. A random direction moves each item's log-odds by a scatter whose mean
is near zero; through ``p = sigmoid(log-odds)`` that scatter alone pulls the mean p toward 0.5
whenever the unsteered items lean one way, and the random-target bar reads the pull as a push
on the behaviour (RESULTS.md §7g). On the log-odds the scatter averages out. For text answers
the score is per token (``lo`` in `evaluation.text_scores`), so a perturbation that lowers
every token's log-probability does not favour the shorter answer; for one-token letters it is
the letters' logit difference.

`judgement` computes every number of the rule on ``lo`` with the same thresholds; whether a
behaviour is judgeable at all (items, native |Δp|, answer mass, the source's odd Δp) stays the
primary judgement's, measured in p. It is reported beside the primary verdict, never instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

from steerbridge.evaluation.summary import summarize_behaviour
from steerbridge.evaluation.verdicts import Evidence, judge
from steerbridge.evaluation.verdicts import judgement as rule_judgement

SCORE = "lo"
NAME = "log-odds"
_JUDGEABILITY = ("n_test", "native_dp", "none_mass", "source_odd_dp", "text_answers")


def available(conditions: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether every condition carries the log-odds score (results made before it did not)."""
    return bool(conditions) and all(SCORE in c for c in conditions.values())


def as_primary(conditions: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """`conditions` with the log-odds in the place the summary reads p (and ld) from."""
    return {name: {"p": c[SCORE], "ld": c[SCORE], "mass": c["mass"]}
            for name, c in conditions.items()}


def judgement(conditions: Mapping[str, Mapping[str, Any]], alphas: Sequence[float],
              source_controls: Sequence[str], target_controls: Sequence[str],
              primary: Mapping[str, Any]) -> dict[str, Any] | None:
    """The verdict of ``transferred`` on the log-odds (None when a condition lacks them).

    `conditions` are already masked for collapse (`evaluation.collapse.mask`); `primary` is the
    p rule's judgement of the same run, whose judgeability the log-odds verdict keeps. Its
    ``native_dlo`` is native's log-odds change at its best α (``native_dp`` stays in p).
    """
    if not available(conditions):
        return None
    summary = summarize_behaviour(alphas, as_primary(conditions), n_boot=0)
    j = rule_judgement(summary, "transferred", source_controls, target_controls,
                       int(primary["n_test"]), bool(primary.get("text_answers", False)))
    ev = Evidence(**{f.name: j[f.name] for f in fields(Evidence)})
    ev = replace(ev, **{k: primary[k] for k in _JUDGEABILITY if k in primary})
    verdict, why = judge(ev)
    return {**j, **ev.__dict__, "verdict": verdict, "why": why, "instrument": NAME,
            "native_dlo": j["native_dp"], "best_alpha": summary.best_alpha}
