"""Answer-state readout: the hidden states at the two answers of each A/B prompt.

Layer ``l`` is the output of decoder block ``l`` (0-based), i.e. HF ``hidden_states[l + 1]``.
A steering vector is read where the answer is given: the answer label is appended after the
opened assistant turn and the state is read at its last token (`READ_POSITIONS`:
``answer_letter``, as CAA does, or ``answer_text``, the end of the whole chosen line).
`answer_states` gives those states for the matching and the non-matching answer; extraction
(`steerbridge.vectors.extract`) and bridge anchors (`steerbridge.bridge.anchors`) both read
through it, so they see the same positions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from transformers import DynamicCache

from steerbridge.errors import SteerbridgeError
from steerbridge.models.batching import pad_batch, pad_id
from steerbridge.models.hidden_states import check_finite, check_layers, collect, hidden_states_at
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, progress_context
from steerbridge.vectors.datasets import ABItem, with_choice_text
from steerbridge.vectors.prompts import ABPrompt

READ_POSITION = "answer_token"
"""Where `extract` reads by default: the answer-label token (e.g. ``(A``) appended after the
opened assistant turn of the chat template."""
READ_POSITIONS = {
    "answer_letter": READ_POSITION,  # CAA: the answer letter after the opened assistant turn
    "answer_text": "answer_text_end",  # the last token of the chosen line, "(A) That's…"
}


def answer_states(
    lm: LoadedModel, prompts: Sequence[ABPrompt], layers: Sequence[int],
    batch_size: int = 16, progress: Progress = False,
) -> tuple[dict[int, Tensor], dict[int, Tensor]]:
    """States at the matching and non-matching answer tokens: ``({l: [N,d]}, {l: [N,d]})``.

    The state is read at the answer label's last token, with the label appended to the prompt.
    When every label is one token (A/B letters), each prompt runs once with a KV cache and
    the two labels then run as one token each on that cache (about half the work of two full
    forwards; same states, tested); otherwise each prompt runs twice, once per label.
    """
    if all(len(p.matching_ids) == 1 and len(p.non_matching_ids) == 1 for p in prompts):
        return _answer_states_shared_prefix(lm, prompts, layers, batch_size, progress)
    return _answer_states_appended(lm, prompts, layers, batch_size, progress)


def _answer_states_appended(
    lm: LoadedModel, prompts: Sequence[ABPrompt], layers: Sequence[int], batch_size: int,
    progress: Progress,
) -> tuple[dict[int, Tensor], dict[int, Tensor]]:
    """`answer_states` for any labels: each prompt runs twice, once with each label appended."""
    windows: list[list[int]] = []
    for p in prompts:
        windows.append(p.prompt_ids + p.matching_ids)
        windows.append(p.prompt_ids + p.non_matching_ids)
    got = collect(lm, windows, layers, positions="last", batch_size=batch_size,
                  padding_side="left", progress=progress)
    if got.n_tokens != len(windows):
        raise SteerbridgeError(f"Expected {len(windows)} answer states, got {got.n_tokens}.")
    pos = {layer: h[0::2] for layer, h in got.states.items()}
    neg = {layer: h[1::2] for layer, h in got.states.items()}
    return pos, neg


@torch.inference_mode()
def _answer_states_shared_prefix(
    lm: LoadedModel, prompts: Sequence[ABPrompt], layers: Sequence[int], batch_size: int,
    progress: Progress,
) -> tuple[dict[int, Tensor], dict[int, Tensor]]:
    """`answer_states` for one-token labels: the prompt once, then each label on its cache."""
    wanted = check_layers(lm, layers)
    pad = pad_id(lm.tokenizer)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i].prompt_ids))
    cpu = torch.device("cpu")  # states come back on the CPU, as from `collect`
    pos: dict[int, Tensor] = {layer: torch.zeros(len(prompts), lm.hidden_size, device=cpu)
                              for layer in wanted}
    neg = {layer: t.clone() for layer, t in pos.items()}
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    with progress_context(progress, len(batches), f"answers {lm.name}") as advance:
        for done, idx in enumerate(batches, 1):
            ids, mask = (t.to(lm.device) for t in
                         pad_batch([prompts[i].prompt_ids for i in idx], pad, "left"))
            cache = DynamicCache()
            hidden_states_at(lm, ids, mask, wanted, cache=cache)
            mask1 = torch.cat([mask, torch.ones(len(idx), 1, dtype=mask.dtype,
                                                device=mask.device)], dim=1)
            for out, attr in ((pos, "matching_ids"), (neg, "non_matching_ids")):
                label = torch.tensor([[getattr(prompts[i], attr)[0]] for i in idx],
                                     device=lm.device)
                got = hidden_states_at(lm, label, mask1, wanted, cache=cache,
                                       positions=torch.zeros(len(idx), device=lm.device))
                cache.crop(-1)  # drop the label again (negative: a count, in every version)
                check_finite(got, f"answer batch {done} of {lm.name}")
                for layer, h in got.items():
                    out[layer][idx] = h.cpu()
            advance(done, len(batches))
    return pos, neg


def items_for_read(items: Sequence[ABItem], read: str) -> tuple[list[ABItem], str]:
    """The items as `answer_states` must see them to read at `read`, and its lineage name.

    ``answer_text`` turns each answer label into its whole choice line; ``answer_letter``
    keeps the items as they are.
    """
    if read not in READ_POSITIONS:
        raise SteerbridgeError(f"Unknown read position {read!r}: use "
                               f"{' or '.join(READ_POSITIONS)}.")
    if read == "answer_text":
        return with_choice_text(items), READ_POSITIONS[read]
    return list(items), READ_POSITIONS[read]
