"""Side effects of steering on neutral text: KL(unsteered ‖ steered) and perplexity.

A vector that moves the A/B answers may also damage everything else the model writes; this
measures that damage on plain corpus text at one alpha, for every steered condition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import metrics
from steerbridge.evaluation.collapse import ppl_collapsed, vocab_size
from steerbridge.models.batching import pad_batch, pad_id
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.steering import Positions, steer
from steerbridge.vectors.vector import SteeringVector


@torch.inference_mode()
def side_effects(
    lm: LoadedModel,
    windows: Sequence[Sequence[int]],
    vectors: dict[str, SteeringVector],
    alpha: float,
    batch_size: int = 4,
    positions: Positions = "all",
) -> dict[str, Any]:
    """KL(unsteered ‖ steered) of next-token distributions and perplexity on neutral text.

    `windows`: token-id lists of neutral text (position 0 is scored as context only). Returns
    ``{"alpha", "tokens", "none_ppl", name: {"kl", "ppl", "ppl_change", "collapsed"}}``;
    ``collapsed``: the perplexity is near the vocabulary size (no better than guessing).
    """
    nll = {name: 0.0 for name in ["none", *vectors]}
    kl_sum = {name: 0.0 for name in vectors}
    count = 0
    wins = [list(w) for w in windows if len(w) > 1]
    if not wins:
        raise SteerbridgeError("Side effects need neutral text windows of at least two tokens.")
    for lo in range(0, len(wins), batch_size):
        # right padding; targets are the next real tokens
        ids, mask = pad_batch(wins[lo:lo + batch_size], pad_id(lm.tokenizer), "right")
        ids, mask = ids.to(lm.device), mask.to(lm.device)
        tgt = ids[:, 1:]
        valid = (mask[:, 1:] * mask[:, :-1]).bool()
        count += int(valid.sum())

        def run(ids: Tensor = ids, mask: Tensor = mask) -> Tensor:
            return lm.model(input_ids=ids, attention_mask=mask, use_cache=False).logits[:, :-1]

        ref = torch.log_softmax(run().double(), -1)
        tgt, valid = tgt.to(ref.device), valid.to(ref.device)  # the LM head's device (a map)
        nll["none"] += float(-ref.gather(-1, tgt[..., None])[..., 0][valid].sum())
        for name, vec in vectors.items():
            with steer(lm, vec, alpha, positions=positions):
                lp = torch.log_softmax(run().double(), -1)
            nll[name] += float(-lp.gather(-1, tgt[..., None])[..., 0][valid].sum())
            kl_sum[name] += float(metrics.kl_per_position(ref, lp)[valid].sum())
    ppl0 = metrics.perplexity(nll["none"], count)
    out: dict[str, Any] = {"alpha": float(alpha), "tokens": count, "none_ppl": ppl0}
    vocab = vocab_size(lm)
    for name in vectors:
        ppl = metrics.perplexity(nll[name], count)
        out[name] = {"kl": kl_sum[name] / count if count else math.nan, "ppl": ppl,
                     "ppl_change": metrics.perplexity_change(ppl0, ppl),
                     "collapsed": ppl_collapsed(ppl, ppl0, vocab)}
    return out


