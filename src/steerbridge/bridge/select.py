"""A label-free selection rule: among candidate target vectors (from any methods), choose the
one whose effect on the target best reproduces the source's own effect under its vector.

Score of a candidate ``c`` = mean over both signs and the probed positions (answer position of
the behaviour's unlabelled prompts, neutral text) of ``KL(q_± ‖ p_T(·|x, ±α c))`` with the
distillation teacher ``q_± ∝ p_T · exp(log p_S(±αv) − log p_S)``; lower is better. It uses only
`TransferInputs`: never the native vector, never labels.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from steerbridge.bridge.distill import logp_at_probes, source_change_teacher
from steerbridge.bridge.method_inputs import TransferInputs
from steerbridge.bridge.probes import ProbeBatch, prompt_batch, text_batch
from steerbridge.errors import SteerbridgeError
from steerbridge.vectors.steering import steer
from steerbridge.vectors.vector import SteeringVector


@torch.no_grad()
def effect_scores(inputs: TransferInputs, candidates: Mapping[str, SteeringVector],
                  alpha: float = 0.2, max_prompts: int = 16, max_neutral: int = 2
                  ) -> dict[str, float]:
    """KL from the source-change teacher to the target steered by each candidate (lower wins)."""
    tgt = inputs.target
    batches: list[ProbeBatch] = []
    if inputs.prompts:
        batches.append(prompt_batch(tgt.tokenizer, inputs.prompts[:max_prompts]))
    if inputs.neutral:
        batches.append(text_batch(tgt.tokenizer, inputs.neutral[:max_neutral], 32))
    if not batches or not candidates:
        raise SteerbridgeError("Selection needs candidates and unlabelled prompts or text.")
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
