"""Scores of A/B prompts whose answers are texts (several tokens): the likelihood of saying each.

For a text answer (`steerbridge.vectors.text_answers`) the answer's log-probability is the sum
over its tokens, each given the prompt and the answer's tokens before it. The prompt runs once
and both answers on its KV cache (`models.continuations`: 0.62 of the tokens of one row per
answer on the built-in behaviours):

- ``ld``: ``log p(matching text) − log p(non-matching text)``; ``p``: ``sigmoid(ld)``, the
  matching answer's share of the two (the letter score's definition, with texts for letters);
- ``lo``: the per-token log-odds, ``mean log p(matching tokens) − mean log p(non-matching
  tokens)``: the `evaluation.logodds` instrument (no length term: a perturbation that lowers
  every token's log-probability alike leaves it unchanged);
- ``mass``: the answers' *fluency*, the mean over the two of the per-token geometric-mean
  probability. A model steered into gibberish drops it toward the uniform share, which the
  collapse check catches; it is not the letter score's answer mass (there is no off-answer
  probability when both answers are forced), so the verdict rule's mass threshold does not
  apply to it (`evaluation.verdicts`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from steerbridge.models import continuations
from steerbridge.models.batching import pad_id
from steerbridge.models.continuations import Encoded, Prefix, Push
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.prompts import ABPrompt

Scores = dict[str, np.ndarray]


def is_text(prompts: Sequence[ABPrompt]) -> bool:
    """Whether any prompt's answer is longer than one token (then all are scored as text)."""
    return any(len(p.matching_ids) > 1 or len(p.non_matching_ids) > 1 for p in prompts)


def encode(lm: LoadedModel, prompts: Sequence[ABPrompt]) -> Encoded:
    """Each prompt with its two answers (matching, then non-matching)."""
    return continuations.encode([p.prompt_ids for p in prompts],
                                [(p.matching_ids, p.non_matching_ids) for p in prompts],
                                pad_id(lm.tokenizer))


def from_logp(logp: Tensor, enc: Encoded) -> Scores:
    """p, ld, lo, mass per prompt from every answer token's log-probability."""
    total, per_token = [], []
    for lp in logp.split(enc.lengths):
        total.append(lp.sum())
        per_token.append(lp.mean())
    t, g = torch.stack(total).view(-1, 2), torch.stack(per_token).view(-1, 2)
    ld = t[:, 0] - t[:, 1]
    out = {"p": torch.sigmoid(ld), "ld": ld, "lo": g[:, 0] - g[:, 1],
           "mass": g.exp().mean(dim=1)}
    bad = ~torch.isfinite(t).all(dim=1)
    return {key: torch.where(bad, torch.nan, v).cpu().numpy() for key, v in out.items()}


def scores(lm: LoadedModel, enc: Encoded, keep_layer: int | None = None,
           prefix: Prefix | None = None, push: Push | None = None
           ) -> tuple[Scores, Prefix | None]:
    """`from_logp` of `continuations.logprobs` (see there for `keep_layer`, `prefix`, `push`)."""
    logp, kept = continuations.logprobs(lm, enc, keep_layer, prefix, push)
    return from_logp(logp, enc), kept
