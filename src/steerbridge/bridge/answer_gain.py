"""Answer-matched gain: scale a mapped vector so the target moves between each prompt's two
answers as much as the source moves under its own vector (label-free, a few forward passes).

For an unlabelled prompt ``i`` with its two answer texts ``(a_i, b_i)`` in sorted order (which
one matches the behaviour is never known), ``d_M,i(x) = log p_M(a_i|x) − log p_M(b_i|x)``. The
source's change is ``c_S,i = d_S,i(+αv) − d_S,i(−αv)``; the target's, steered by ``±α g u``
(``u = W·v``), is ``c_T,i(g)``. The gain is the least-squares fit of ``c_T(g) ≈ c_S``, to first
order ``g = Σ c_T(1) c_S / Σ c_T(1)²``, refined by `rounds` fixed-point steps. A negative fit
flips the direction: the mapped vector moves the answers the opposite way to the source's.

Both models are steered at the same positions as the evaluation (`GainSettings.positions`:
every position, or the answer's tokens and the position that predicts the first one). Each
prompt runs once and its two answers on its KV cache, and each model's blocks up to the steered
layer run once per batch (`AnswerScorer`, `models.continuations`); every push replays their
output and cache.

A random *source* vector barely moves the source's answers, so its gain comes out small: the
method's own control. The agreement ``corr(c_T(1), c_S)`` over prompts is recorded: a
label-free sign of whether the map carries this behaviour at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from steerbridge.bridge.method_inputs import TransferInputs
from steerbridge.bridge.probes import answer_continuations
from steerbridge.errors import SteerbridgeError
from steerbridge.models import continuations
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.steering import Positions, steer
from steerbridge.vectors.vector import SteeringVector


@dataclass(frozen=True)
class GainSettings:
    alpha: float = 0.4  # the push the demo fits at (RESULTS.md §7d: text scores hold at 0.4)
    max_prompts: int = 40
    batch_size: int = 8
    rounds: int = 1
    max_gain: float = 8.0
    positions: Positions = "all"  # where both models are steered (the evaluation's setting)


@dataclass(frozen=True)
class Steering:
    """A push to apply while scoring: `vector` at `alpha`, at `positions` of each row."""

    vector: SteeringVector
    alpha: float
    positions: Positions = "all"
    check_model: bool = True


@dataclass
class AnswerScorer:
    """One model's answer differences on fixed prompts, unsteered or under any push.

    With `layer` set, each batch's output of block `layer` is computed once (the forward stops
    there) and every steered scoring replays it, running only the blocks after `layer`
    (`models.replay`): the gain scores the same prompts under four or more pushes. A push at a
    layer before `layer` falls back to full forwards. ``layer=None``: full forwards always.
    """

    lm: LoadedModel
    questions: Sequence[str]
    answers: Sequence[Sequence[str]]
    batch_size: int = 8
    layer: int | None = None

    def __post_init__(self) -> None:
        if self.layer is not None:
            self.lm.check_layer(self.layer)  # a clear error before any forward
        self._batches: list[continuations.Encoded] = []
        for j in range(0, len(self.questions), self.batch_size):
            qs, ans = self.questions[j:j + self.batch_size], self.answers[j:j + self.batch_size]
            if any(len(a) != 2 for a in ans):
                raise SteerbridgeError("Answer-matched gain needs exactly two answers per "
                                       "prompt.")
            self._batches.append(answer_continuations(self.lm.tokenizer, qs, ans))
        self._prefix: list[continuations.Prefix] = []

    def _prefixes(self) -> list[continuations.Prefix]:
        """Block `layer`'s unsteered outputs and cache per batch (computed on first use)."""
        if not self._prefix and self.layer is not None:
            self._prefix = [continuations.prefix_of(self.lm, enc, self.layer)
                            for enc in self._batches]
        return self._prefix

    @torch.no_grad()
    def differences(self, steering: Steering | None = None) -> np.ndarray:
        """``log p(first answer) − log p(second answer)`` per question, steered by
        `steering` (at each answer's tokens and the position that predicts the first, or all
        positions: `Steering.positions`)."""
        replay = steering is not None and self.layer is not None \
            and min(steering.vector.layers) >= self.layer
        prefixes = self._prefixes() if replay else []
        push = None
        if steering is not None:
            def push(ends: int | Tensor, s: Steering = steering) -> AbstractContextManager[None]:
                return steer(self.lm, s.vector, s.alpha, positions=s.positions,
                             prompt_length=ends, check_model=s.check_model)
        out = []
        for k, enc in enumerate(self._batches):
            logp, _ = continuations.logprobs(self.lm, enc, prefix=prefixes[k] if replay
                                             else None, push=push)
            totals = torch.stack([t.sum() for t in logp.split(enc.lengths)])
            out.append((totals[0::2] - totals[1::2]).cpu().numpy())
        return np.concatenate(out)

    def change(self, vector: SteeringVector, alpha: float, positions: Positions = "all",
               check_model: bool = True) -> np.ndarray:
        """``d(+α v) − d(−α v)`` per question: the odd change steering makes between the
        answers."""
        up, down = (self.differences(Steering(vector, a, positions, check_model))
                    for a in (alpha, -alpha))
        return up - down


def answer_differences(lm: LoadedModel, questions: Sequence[str],
                       answers: Sequence[Sequence[str]], batch_size: int = 8,
                       steering: Steering | None = None) -> np.ndarray:
    """`AnswerScorer.differences` with full forwards (no replay)."""
    return AnswerScorer(lm, questions, answers, batch_size).differences(steering)


def with_gain(vec: SteeringVector, layer: int, gain: float) -> SteeringVector:
    """`vec` with its push at `layer` multiplied by `gain` (a negative gain flips it)."""
    sign = 1.0 if gain >= 0 else -1.0
    return replace(vec, directions={layer: sign * vec.unit(layer)},
                   scales={layer: float(vec.scales[layer]) * abs(gain)})


def fit_gain(c_t: np.ndarray, c_s: np.ndarray) -> float:
    """The least-squares ``g`` in ``g·c_t ≈ c_s`` (0 when the target did not move)."""
    den = float(np.dot(c_t, c_t))
    return float(np.dot(c_t, c_s)) / den if den > 0 else 0.0


def answer_matched(inputs: TransferInputs, start: SteeringVector,
                   settings: GainSettings = GainSettings()) -> SteeringVector:
    """`start` (a mapped vector on the target) with its norm (and sign) set so that the target's
    change between each prompt's two answers matches the source's (see the module doc)."""
    s = settings
    if not inputs.answers:
        raise SteerbridgeError("The answer-matched gain needs each prompt's two answer texts "
                               "(a behaviour with scoring = \"text\").")
    lt = int(inputs.bridge.target_layer)
    if start.model_fingerprint != inputs.target.fingerprint or lt not in start.directions:
        raise SteerbridgeError("answer_matched() needs a start vector on the target at the "
                               "bridge's target layer (e.g. the state bridge's W·v).")
    qs, ans = inputs.prompts[:s.max_prompts], inputs.answers[:s.max_prompts]
    source = AnswerScorer(inputs.source, qs, ans, s.batch_size, min(inputs.vector.layers))
    target = AnswerScorer(inputs.target, qs, ans, s.batch_size, lt)
    c_s = source.change(inputs.vector, s.alpha, s.positions)
    c_t = target.change(start, s.alpha, s.positions)
    agreement = float(np.corrcoef(c_t, c_s)[0, 1]) if len(qs) > 1 and c_t.std() > 0 \
        and c_s.std() > 0 else float("nan")
    gain = fit_gain(c_t, c_s)
    history = [gain]
    for _ in range(s.rounds):  # c_T is not linear in g far from 1: refit around the last gain
        gain = float(np.clip(gain, -s.max_gain, s.max_gain))
        if gain == 0.0:
            break
        c_g = target.change(with_gain(start, lt, gain), s.alpha, s.positions)
        gain *= fit_gain(c_g, c_s)
        history.append(gain)
    gain = float(np.clip(gain, -s.max_gain, s.max_gain))
    if gain == 0.0:
        raise SteerbridgeError("Answer-matched gain: neither model's answers moved under "
                               "steering; nothing to match. Try a larger alpha.")
    out = with_gain(start, lt, gain)
    return replace(out, lineage=[*start.lineage, f"answer-matched gain {gain:.3g} (alpha "
                                                 f"{s.alpha:g})"],
                   info={**start.info, "transfer": "gain",
                         "gain": {"gain": gain, "history": history, "agreement": agreement,
                                  "source_change": float(np.mean(np.abs(c_s))),
                                  "target_change": float(np.mean(np.abs(c_t))),
                                  "n_prompts": len(qs), **s.__dict__}})
