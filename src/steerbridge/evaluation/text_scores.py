"""Scores of A/B prompts whose answers are texts (several tokens): the likelihood of saying each.

For a text answer (`steerbridge.vectors.text_answers`) the prompt runs twice, once with each
answer appended, and the answer's log-probability is the sum over its tokens:

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

Prompts are left-padded, so every answer ends at the last column and the logits of the last
``max answer length + 1`` positions cover every answer token.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from steerbridge.models.batching import pad_batch, pad_id, position_ids_from_mask
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.prompts import ABPrompt

Scores = dict[str, np.ndarray]


def is_text(prompts: Sequence[ABPrompt]) -> bool:
    """Whether any prompt's answer is longer than one token (then all are scored as text)."""
    return any(len(p.matching_ids) > 1 or len(p.non_matching_ids) > 1 for p in prompts)


def encode(lm: LoadedModel, prompts: Sequence[ABPrompt]) -> tuple[Tensor, Tensor]:
    """Two rows per prompt (matching answer appended, then non-matching), left-padded."""
    rows = [p.prompt_ids + ans for p in prompts for ans in (p.matching_ids, p.non_matching_ids)]
    ids, mask = pad_batch(rows, pad_id(lm.tokenizer), "left")
    return ids.to(lm.device), mask.to(lm.device)


def forward(lm: LoadedModel, ids: Tensor, mask: Tensor, prompts: Sequence[ABPrompt]) -> Tensor:
    """Logits of the last ``longest answer + 1`` positions: ``[2B, K, vocab]``."""
    k = 1 + max(max(len(p.matching_ids), len(p.non_matching_ids)) for p in prompts)
    out = lm.model(input_ids=ids, attention_mask=mask, position_ids=position_ids_from_mask(mask),
                   use_cache=False, logits_to_keep=k)
    return out.logits


CHUNK = 16  # answer positions per log-softmax: a few MB, not [2B, K, vocab] in float64 at once


def answer_logp(logits: Tensor, rows: Tensor, pos: Tensor, tokens: Tensor) -> Tensor:
    """``log p(tokens[j])`` at ``logits[rows[j], pos[j]]`` in float64, a `CHUNK` of positions at
    a time: each row's log-softmax is the same as over the whole tensor, without allocating
    (and page-faulting) a float64 copy of every logit, which cost as much as a replayed pass."""
    out = [torch.log_softmax(logits[rows[j:j + CHUNK], pos[j:j + CHUNK]].double(), dim=-1)
           .gather(1, tokens[j:j + CHUNK, None])[:, 0] for j in range(0, len(rows), CHUNK)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.float64, device=logits.device)


def scores(logits: Tensor, prompts: Sequence[ABPrompt]) -> Scores:
    """p, ld, lo, mass per prompt from `forward`'s logits."""
    k = logits.shape[1]
    answers = [a for p in prompts for a in (p.matching_ids, p.non_matching_ids)]
    # the token at column k-n+i (of the last k) is predicted by column k-n+i-1
    rows = torch.cat([torch.full((len(a),), r) for r, a in enumerate(answers)])
    pos = torch.cat([torch.arange(k - len(a) - 1, k - 1) for a in answers])
    toks = torch.tensor([t for a in answers for t in a], dtype=torch.long)
    dev = logits.device
    lps = answer_logp(logits, rows.to(dev), pos.to(dev), toks.to(dev))
    total, per_token = [], []
    for lp in lps.split([len(a) for a in answers]):
        total.append(lp.sum())
        per_token.append(lp.mean())
    t, g = torch.stack(total).view(-1, 2), torch.stack(per_token).view(-1, 2)
    ld = t[:, 0] - t[:, 1]
    out = {"p": torch.sigmoid(ld), "ld": ld, "lo": g[:, 0] - g[:, 1],
           "mass": g.exp().mean(dim=1)}
    bad = ~torch.isfinite(t).all(dim=1)
    return {key: torch.where(bad, torch.nan, v).cpu().numpy() for key, v in out.items()}
