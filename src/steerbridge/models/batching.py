"""Padded batches of token ids: the one place that pads, and positions read from the mask.

Every forward over several sequences (collection, answer readout, A/B scoring, generation,
side effects) builds its ``[B, T]`` batch with `pad_batch`. Padding goes right for reading
states or scoring every position, left where the last column must be each row's last token
(answer readout, scoring the next token, ``generate``). `position_ids_from_mask` gives the
positions ``generate`` uses, so a left-padded row sees the positions of its unpadded sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch
from torch import Tensor

from steerbridge.errors import SteerbridgeError

Side = Literal["right", "left"]


def pad_id(tokenizer: Any) -> int:
    """The id padding uses: the tokenizer's pad token, else 0 (masked out either way)."""
    pad = getattr(tokenizer, "pad_token_id", None)
    return 0 if pad is None else int(pad)


def pad_batch(
    windows: Sequence[Sequence[int]], pad: int, side: Side = "right"
) -> tuple[Tensor, Tensor]:
    """Pad token windows to one ``[B, T]`` batch; return ``(input_ids, attention_mask)``.

    Both are int64 on the CPU (callers move them); raises if there is no window or one is
    empty.
    """
    if not windows or min(len(w) for w in windows) == 0:
        raise SteerbridgeError("Cannot build a batch from empty token windows.")
    if side not in ("right", "left"):
        raise SteerbridgeError(f"Padding side {side!r}: use 'right' or 'left'.")
    width = max(len(w) for w in windows)
    cpu = torch.device("cpu")
    ids = torch.full((len(windows), width), pad, dtype=torch.long, device=cpu)
    mask = torch.zeros((len(windows), width), dtype=torch.long, device=cpu)
    for i, w in enumerate(windows):
        sl = slice(0, len(w)) if side == "right" else slice(width - len(w), width)
        ids[i, sl] = torch.as_tensor(list(w), dtype=torch.long, device=cpu)
        mask[i, sl] = 1
    return ids, mask


def position_ids_from_mask(attention_mask: Tensor) -> Tensor:
    """Positions 0..n-1 over the real tokens of each row, whichever side is padded."""
    pos = attention_mask.long().cumsum(-1) - 1
    return pos.clamp(min=0)


def plan_batches(lengths: Sequence[int], batch_size: int = 8,
                 batch_tokens: int | None = None) -> list[tuple[int, int]]:
    """Contiguous ``(lo, hi)`` ranges of windows, one per forward batch, in window order.

    Without `batch_tokens`: `batch_size` windows each. With it: as many windows as fit in
    `batch_tokens` padded tokens (rows x longest window of the batch, at least one window),
    so short windows make wide batches and a GPU sees about the same work every forward.
    """
    if batch_size < 1:
        raise SteerbridgeError(f"batch_size must be >= 1, got {batch_size}.")
    n = len(lengths)
    if batch_tokens is None:
        return [(lo, min(n, lo + batch_size)) for lo in range(0, n, batch_size)]
    if batch_tokens < 1:
        raise SteerbridgeError(f"batch_tokens must be >= 1, got {batch_tokens}.")
    out: list[tuple[int, int]] = []
    lo, width = 0, 0
    for i, length in enumerate(lengths):
        wider = max(width, int(length))
        if i > lo and wider * (i - lo + 1) > batch_tokens:
            out.append((lo, i))
            lo, wider = i, int(length)
        width = wider
    if lo < n:
        out.append((lo, n))
    return out
