"""A label-free selection rule: among candidate target vectors (from any methods), choose the
one whose effect on the target best reproduces the source's own effect under its vector.

Score of a candidate ``c`` = mean over both signs and the probed positions (answer position of
the behaviour's unlabelled prompts, or their candidate answers' tokens, and neutral text) of
``KL(q_± ‖ p_T(·|x, ±α c))`` with the distillation teacher ``q_± ∝ p_T · exp(log p_S(±αv) −
log p_S)``; lower is better. It uses only
`TransferInputs`: never the native vector, never labels.

`select_by_effect` is the pipeline's ``[transfer] method = "select"``: it makes each named
candidate with `methods.apply` (``state`` always among them), scores them and returns the
winner with every score (`Selection`). Pushed through it, a random *source* vector is the
selection's control: a rule that always favours a generic push picks one for it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from steerbridge.bridge.answer_gain import GainSettings
from steerbridge.bridge.distill import (
    DistillSettings,
    logp_at_probes,
    source_change_teacher,
    teacher_batches,
)
from steerbridge.bridge.method_inputs import TransferInputs
from steerbridge.bridge.methods import METHODS, apply
from steerbridge.bridge.transfer import BridgeLike
from steerbridge.errors import SteerbridgeError
from steerbridge.vectors.steering import steer
from steerbridge.vectors.vector import SteeringVector


@torch.no_grad()
def effect_scores(inputs: TransferInputs, candidates: Mapping[str, SteeringVector],
                  alpha: float = 0.2, max_prompts: int = 16, max_neutral: int = 2
                  ) -> dict[str, float]:
    """KL from the source-change teacher to the target steered by each candidate (lower wins)."""
    tgt = inputs.target
    if not candidates:
        raise SteerbridgeError("Selection needs at least one candidate vector.")
    batches = teacher_batches(inputs, max_prompts, max_neutral)
    teachers = [(b, source_change_teacher(inputs, b, alpha)[1]) for b in batches]
    out = {}
    for name, vec in candidates.items():
        total = 0.0
        for batch, teach in teachers:
            for sign, logq in teach.items():
                with steer(tgt, vec, sign * alpha):
                    logp = logp_at_probes(tgt, batch)[:, :logq.shape[-1]]
                total += float((logq.exp() * (logq - logp)).sum(-1).mean())
        out[name] = total / (2 * len(teachers))
    return out


def select(inputs: TransferInputs, candidates: Mapping[str, SteeringVector],
           alpha: float = 0.2) -> tuple[str, dict[str, float]]:
    """The candidate with the lowest `effect_scores`, and all the scores."""
    scores = effect_scores(inputs, candidates, alpha)
    return min(scores, key=lambda k: scores[k]), scores


DEFAULT_CANDIDATES = ("state", "effect", "blend")


def check_candidates(names: Sequence[str]) -> tuple[str, ...]:
    """Candidate method names, checked: `METHODS` keys, no repeats; ``state`` is always one
    (put first when missing). Raises `ValueError` naming the allowed names."""
    names = list(names)
    bad = [n for n in names if n not in METHODS]
    if bad:
        raise ValueError(f"unknown candidate(s) {', '.join(map(repr, bad))}; use any of "
                         f"{', '.join(METHODS)}")
    if len(set(names)) != len(names):
        raise ValueError(f"candidates repeat a name: {names}")
    return tuple(names) if "state" in names else ("state", *names)


@dataclass(frozen=True)
class Selection:
    """The winning candidate's vector, its name and every candidate's score (lower wins)."""

    vector: SteeringVector
    winner: str
    scores: dict[str, float]

    def summary(self) -> dict[str, Any]:
        return {"winner": self.winner, "scores": dict(self.scores)}


def select_by_effect(inputs: TransferInputs, candidates: Sequence[str],
                     effect: BridgeLike | None = None, scale: float | None = None,
                     blend_weight: float = 0.5, distill: DistillSettings | None = None,
                     gain: GainSettings | None = None, alpha: float = 0.2,
                     max_prompts: int = 16, max_neutral: int = 2
                     ) -> Selection:
    """Make every candidate (`methods.apply`) from `inputs`, keep the one `effect_scores` ranks
    first. ``effect`` and ``blend`` need `effect` (the effect-matched bridge)."""
    try:
        names = check_candidates(candidates)
    except ValueError as err:
        raise SteerbridgeError(f"Selection: {err}.") from None
    vecs = {n: apply(n, inputs, effect=effect, scale=scale, blend_weight=blend_weight,
                     distill=distill, gain=gain) for n in names}
    scores = effect_scores(inputs, vecs, alpha, max_prompts, max_neutral)
    win = min(scores, key=lambda k: scores[k])
    v = vecs[win]
    info = {**v.info, "transfer": f"select: {v.info.get('transfer') or win}",
            "selection": {"winner": win, "scores": scores, "alpha": alpha}}
    return Selection(replace(v, lineage=[*v.lineage, f"selected {win} of {', '.join(names)} by "
                                         f"effect KL (alpha {alpha:g})"], info=info), win, scores)
