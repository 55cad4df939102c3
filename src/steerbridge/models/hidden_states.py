"""Read hidden states of a model at chosen layers and token positions.

Layer convention (everywhere in steerbridge): the hidden state of layer ``l`` is the output of
decoder block ``l`` (0-based), i.e. Hugging Face ``hidden_states[l + 1]``. For the *last* block
HF's ``hidden_states[-1]`` is the final-norm output; we return the raw block output instead, so
the convention holds for every layer.

Two entry points:

- `hidden_states_at` runs one padded batch and returns the states at the requested layers. The
  forward stops right after the deepest requested block (a forward hook raises a private
  exception), so later blocks and the LM head (152k x hidden for Qwen) never run.
- `collect` / `iter_batches` walk a list of token windows in batches with a progress bar, check
  every batch for NaN/inf and gather states at all real tokens (minus position 0 by default), the
  last token, or an index from the end.

Padding: batches may be padded on either side. Position ids are computed from the attention
mask (``cumsum(mask) - 1``), exactly as ``generate`` does, so a left-padded row sees the same
positions as the unpadded sequence and gives the same states as a right-padded one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor

from steerbridge.errors import SteerbridgeError
from steerbridge.models.batching import Side, pad_batch, pad_id, position_ids_from_mask
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, progress_context

Positions = Literal["all", "all_with_first", "last"] | int
"""Which tokens `collect` reads: every real token except position 0 (``"all"``, the default),
every real token (``"all_with_first"``), the last real token (``"last"``), or an index from the
end (``-1`` = last, ``-2`` = the one before, ...)."""


class _StopForward(Exception):
    """Raised by the hook on the deepest requested block to end the forward early."""


class NonFiniteActivationsError(SteerbridgeError):
    """NaN or inf in a batch's activations; `.partial` keeps what was collected before it."""

    def __init__(self, message: str, partial: Collected | None = None) -> None:
        super().__init__(message)
        self.partial = partial


def _block_output(output: Any) -> Tensor:
    """Decoder blocks return a tensor (transformers >= 4.54) or a tuple whose first item is it."""
    if isinstance(output, tuple):
        output = output[0]
    if not isinstance(output, Tensor):
        raise SteerbridgeError(f"Unexpected decoder block output type {type(output).__name__}.")
    return output


def _accepts(model: torch.nn.Module, name: str) -> bool:
    try:
        return name in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def cache_kwarg(model: torch.nn.Module) -> str | None:
    """The forward's keyword for a KV cache (``cache`` from transformers 5.24,
    ``past_key_values`` before), or None when it takes neither."""
    return next((n for n in ("cache", "past_key_values") if _accepts(model, n)), None)


def check_layers(lm: LoadedModel, layers: Sequence[int]) -> list[int]:
    """Validate and de-duplicate `layers` (sorted); raise with the valid range if one is bad."""
    if len(layers) == 0:
        raise SteerbridgeError("No layers requested: pass at least one layer index.")
    return sorted({lm.check_layer(int(layer)) for layer in layers})


@torch.inference_mode()
def hidden_states_at(
    lm: LoadedModel,
    input_ids: Tensor,
    attention_mask: Tensor,
    layers: Sequence[int],
    positions: Tensor | None = None,
    cache: Any = None,
) -> dict[int, Tensor]:
    """Hidden states of `lm` at `layers` for one padded batch, in float32.

    Args:
        input_ids, attention_mask: ``[B, T]``; padding may be on either side.
        layers: block indices (layer ``l`` = output of block ``l`` = HF ``hidden_states[l+1]``).
        positions: optional ``[B]`` token indices into ``T`` (one per row).
        cache: optional KV cache (e.g. ``transformers.DynamicCache()``), filled for blocks
            ``0..deepest`` and read on the next call: `input_ids` then continue the cached
            tokens and `attention_mask` covers cached + new tokens (``[B, past + T]``).

    Returns:
        ``{layer: [B, d]}`` at `positions` if given, else ``{layer: [B, T, d]}`` (states at padded
        positions are meaningless; mask them with `attention_mask`), all on ``lm.device`` (the
        input device), also when a device map puts the blocks on several devices.

    The forward stops after the deepest requested block: no later block, no final norm, no LM
    head runs.
    """
    wanted = check_layers(lm, layers)
    past = int(cache.get_seq_length()) if cache is not None else 0
    if (input_ids.dim() != 2 or attention_mask.dim() != 2
            or attention_mask.shape != (input_ids.shape[0], past + input_ids.shape[1])):
        raise SteerbridgeError(
            f"input_ids {tuple(input_ids.shape)} and attention_mask "
            f"{tuple(attention_mask.shape)} must both be [batch, tokens]"
            + (f", the mask also covering the {past} cached tokens." if past else ".")
        )
    device = lm.device
    input_ids = input_ids.to(device)
    attention_mask = attention_mask.to(device)
    deepest = wanted[-1]
    captured: dict[int, Tensor] = {}
    rows = torch.arange(input_ids.shape[0], device=device)
    pos = positions.to(device).long() if positions is not None else None

    def make_hook(layer: int) -> Callable[..., None]:
        def hook(_module: torch.nn.Module, _args: Any, output: Any) -> None:
            h = _block_output(output)  # on this block's device (a device map has several)
            if pos is not None:
                h = h[rows.to(h.device), pos.to(h.device)]
            captured[layer] = h.to(device=device, dtype=torch.float32)  # gathered to one device
            if layer == deepest:
                raise _StopForward

        return hook

    handles = [lm.layers[layer].register_forward_hook(make_hook(layer)) for layer in wanted]
    kwargs: dict[str, Any] = {"input_ids": input_ids, "attention_mask": attention_mask,
                              "use_cache": cache is not None}
    if cache is not None:
        kwargs[cache_kwarg(lm.model) or "past_key_values"] = cache
    if _accepts(lm.model, "position_ids"):
        kwargs["position_ids"] = position_ids_from_mask(attention_mask)[:, past:]
    try:
        lm.model(**kwargs)
    except _StopForward:
        pass
    finally:
        for handle in handles:
            handle.remove()
    missing = [layer for layer in wanted if layer not in captured]
    if missing:
        raise SteerbridgeError(f"Layers {missing} of {lm.name} did not run; is layers_path right?")
    return {layer: captured[layer] for layer in wanted}


def select_tokens(attention_mask: Tensor, positions: Positions = "all") -> Tensor:
    """Boolean ``[B, T]`` mask of the tokens that `positions` picks in a padded batch."""
    real = attention_mask.bool()
    order = position_ids_from_mask(attention_mask)  # 0..n-1 over real tokens
    lengths = real.sum(-1, keepdim=True)
    if positions == "all":
        return real & (order > 0)
    if positions == "all_with_first":
        return real
    index = -1 if positions == "last" else positions
    if not isinstance(index, int) or index >= 0:
        raise SteerbridgeError(
            f"positions={positions!r}: use 'all', 'all_with_first', 'last' or a negative index "
            "from the end (-1 = last token)."
        )
    return real & (order == lengths + index)


@dataclass
class Collected:
    """States gathered by `collect`: one row per selected token."""

    states: dict[int, Tensor]  # layer -> [N, d] float32
    window: Tensor  # [N] index of the window each row came from
    position: Tensor  # [N] position of the token within its window (0 = first real token)
    batches_done: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def n_tokens(self) -> int:
        return int(self.window.numel())


@dataclass
class Batch:
    """One collected batch: states at the selected tokens, flattened to rows."""

    index: int
    window_ids: Tensor  # [B] indices into the window list
    select: Tensor  # [B, T] bool: which tokens the rows below are
    states: dict[int, Tensor]  # layer -> [N, d] float32, N = select.sum()
    window: Tensor  # [N]
    position: Tensor  # [N]


def check_finite(states: dict[int, Tensor], what: str) -> None:
    """Raise a `NonFiniteActivationsError` naming `what` and the layer if a state is NaN/inf."""
    for layer, h in states.items():
        bad = ~torch.isfinite(h)
        if bad.any():
            n_bad_rows = int(bad.reshape(-1, h.shape[-1]).any(-1).sum())
            raise NonFiniteActivationsError(
                f"NaN or inf in {what}, layer {layer}: {n_bad_rows} token(s) affected. Try "
                "dtype='float32' (bfloat16 can overflow) or check the model weights."
            )


def iter_batches(
    lm: LoadedModel,
    windows: Sequence[Sequence[int]],
    layers: Sequence[int],
    positions: Positions = "all",
    batch_size: int = 8,
    padding_side: Side = "right",
    start_batch: int = 0,
) -> Iterator[Batch]:
    """Yield the states of `windows` batch by batch (states at the selected tokens only).

    Raises `NonFiniteActivationsError` naming the batch (and its window range) on NaN/inf.
    `start_batch` skips batches already done (resuming an interrupted collection).
    """
    wanted = check_layers(lm, layers)
    if len(windows) == 0:
        raise SteerbridgeError("The corpus produced no token windows: give it more text.")
    pad = pad_id(lm.tokenizer)
    n_batches = (len(windows) + batch_size - 1) // batch_size
    for b in range(start_batch, n_batches):
        lo, hi = b * batch_size, min(len(windows), (b + 1) * batch_size)
        ids, mask = (t.to(lm.device) for t in pad_batch(windows[lo:hi], pad, padding_side))
        full = hidden_states_at(lm, ids, mask, wanted)
        select = select_tokens(mask, positions)
        states = {layer: h[select] for layer, h in full.items()}
        check_finite(states, f"batch {b} (windows {lo}..{hi - 1}) of {lm.name}")
        rows, cols = select.nonzero(as_tuple=True)
        order = position_ids_from_mask(mask)
        yield Batch(
            index=b,
            window_ids=torch.arange(lo, hi, device=mask.device),
            select=select,
            states=states,
            window=rows + lo,
            position=order[rows, cols],
        )


def collect(
    lm: LoadedModel,
    windows: Sequence[Sequence[int]],
    layers: Sequence[int],
    positions: Positions = "all",
    batch_size: int = 8,
    padding_side: Side = "right",
    progress: Progress = True,
) -> Collected:
    """Collect hidden states of `lm` over token `windows` at `layers` and `positions`.

    Keeps every selected token in memory as float32, on the CPU (use
    `steerbridge.bridge.collection.collect_pair_moments` to stream a large corpus into O(d^2)
    statistics instead). `progress` is True for a bar (if one is registered), False for none,
    or a callback ``(batches_done, n_batches)``.

    On NaN/inf raises `NonFiniteActivationsError` naming the batch; its ``.partial`` holds the
    states of all earlier batches.
    """
    wanted = check_layers(lm, layers)
    parts: dict[int, list[Tensor]] = {layer: [] for layer in wanted}
    win: list[Tensor] = []
    pos: list[Tensor] = []
    n_batches = (len(windows) + batch_size - 1) // batch_size
    done = 0

    def result() -> Collected:
        cpu = torch.device("cpu")
        return Collected(
            states={
                layer: torch.cat(p) if p else torch.empty(0, lm.hidden_size, device=cpu)
                for layer, p in parts.items()
            },
            window=torch.cat(win) if win else torch.empty(0, dtype=torch.long, device=cpu),
            position=torch.cat(pos) if pos else torch.empty(0, dtype=torch.long, device=cpu),
            batches_done=done,
        )

    with progress_context(progress, n_batches, f"collect {lm.name}") as advance:
        try:
            for batch in iter_batches(lm, windows, wanted, positions, batch_size, padding_side):
                for layer, h in batch.states.items():
                    parts[layer].append(h.cpu())
                win.append(batch.window.cpu())
                pos.append(batch.position.cpu())
                done += 1
                advance(done, n_batches)
        except NonFiniteActivationsError as err:
            err.partial = result()
            raise
    return result()
