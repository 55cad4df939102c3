"""Log-probabilities of several continuations of each prompt, with the prompt run once.

A/B text scoring (`evaluation.text_scores`) and the answer-matched gain (`bridge.answer_gain`)
score two answers per prompt, and the prompt is about three quarters of their tokens. Here each
prompt runs once (left-padded, ``B`` rows) and fills a KV cache; its continuations run on that
cache (``kB`` rows, right-padded): about 0.62 of the tokens of one row per answer.

Replay (`models.replay`): a push at block ``l`` leaves blocks ``0..l`` and their cache as they
were, so an unsteered run keeps block ``l``'s output of both passes and the prompt's cache of
blocks ``0..l`` (a `Prefix`); a steered run replays them and runs only the blocks after ``l``.
Its prompt pass fills a fresh cache for those blocks; the continuation pass reads the kept
cache below ``l`` and the new one above.

A push (`Push`: a function from each row's prompt end to a steering context, e.g. ``lambda
ends: steer(lm, v, alpha, positions=..., prompt_length=ends)``) is entered inside each forward,
after the replay's stand-ins, so its hooks act on them. Its columns are absolute: with the prompt
run once every prompt ends at column ``P``, so ``positions="generated"`` steers the last prompt
column and every continuation token, ``"prompt"`` the prompt alone, as with one row each.

A model whose sliding attention window is shorter than a batch's rows, whose forward takes no
KV cache (`shares_prompt` says so), or whose cache does not hold one layer per block, scores
one row per continuation (prompt and continuation together): the same numbers, more tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from transformers import DynamicCache

from steerbridge.errors import SteerbridgeError
from steerbridge.models.batching import pad_batch, position_ids_from_mask
from steerbridge.models.hidden_states import cache_kwarg
from steerbridge.models.loading import LoadedModel
from steerbridge.models.replay import capture, output_of, replay_prefix

Push = Callable[[int | Tensor], AbstractContextManager[Any]]
CPU = torch.device("cpu")  # index tensors are built here (whatever the default device), then moved
CHUNK = 16  # positions per log-softmax: a few MB, never a float64 copy of every kept logit


@dataclass(frozen=True)
class Encoded:
    """`k` continuations per prompt as token lists and padded batches."""

    prompts: list[list[int]]
    rows: list[list[int]]  # the continuations; continuation j of prompt i is row i*k + j
    pad: int

    @property
    def k(self) -> int:
        return len(self.rows) // len(self.prompts)

    @property
    def lengths(self) -> list[int]:
        return [len(r) for r in self.rows]

    @property
    def prompt_end(self) -> int:
        """The column where every row's prompt ends (prompts are left-padded)."""
        return max(len(p) for p in self.prompts)

    @property
    def total_length(self) -> int:
        """The longest prompt plus the longest continuation."""
        return self.prompt_end + max(self.lengths)


def encode(prompts: Sequence[Sequence[int]], continuations: Sequence[Sequence[Sequence[int]]],
           pad: int) -> Encoded:
    """Each prompt with its continuations (the same number for every prompt)."""
    if len(prompts) != len(continuations) or not prompts:
        raise SteerbridgeError(f"{len(prompts)} prompts but {len(continuations)} lists of "
                               "continuations: give one non-empty list per prompt.")
    k = len(continuations[0])
    if k == 0 or any(len(c) != k for c in continuations):
        raise SteerbridgeError("Every prompt needs the same number (at least one) of "
                               "continuations.")
    rows = [[int(t) for t in c] for cs in continuations for c in cs]
    if any(not r for r in rows) or any(len(p) == 0 for p in prompts):
        raise SteerbridgeError("A prompt or a continuation has no tokens.")
    return Encoded([[int(t) for t in p] for p in prompts], rows, pad)


@dataclass
class Prefix:
    """What a steered run at block `layer` or later replays from an unsteered run."""

    layer: int
    shared: bool  # prompt once + continuations (else one row per continuation)
    outputs: list[Any]  # block `layer`'s output per pass (prompt, continuations; or joint)
    kv: list[tuple[Tensor, Tensor]]  # the prompt's cache of blocks 0..layer, k rows per prompt


class _CacheUnusable(Exception):
    """The prompt's KV cache does not hold one layer per block: score one row each instead."""


def shares_prompt(lm: LoadedModel, total_length: int) -> bool:
    """Whether rows of `total_length` tokens can run as prompt once + continuations on its
    cache: the forward takes a cache, and no attention window is shorter than the rows."""
    if cache_kwarg(lm.model) is None:
        return False
    cfg = lm.model.config
    cfg = cfg.get_text_config() if hasattr(cfg, "get_text_config") else cfg
    window = getattr(cfg, "sliding_window", None)
    return window is None or int(window) >= total_length


def token_logp(logits: Tensor, rows: Tensor, pos: Tensor, tokens: Tensor) -> Tensor:
    """``log p(tokens[j])`` at ``logits[rows[j], pos[j]]`` in float64, `CHUNK` positions at a
    time: each row's log-softmax equals the one over the whole tensor, without a float64 copy
    of every kept logit (page-faulting it cost as much as a replayed pass on a 2-core VM)."""
    dev = logits.device
    rows, pos, tokens = rows.to(dev), pos.to(dev), tokens.to(dev)
    out = [torch.log_softmax(logits[rows[j:j + CHUNK], pos[j:j + CHUNK]].double(), dim=-1)
           .gather(1, tokens[j:j + CHUNK, None])[:, 0] for j in range(0, len(rows), CHUNK)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.float64, device=dev)


def _forward(lm: LoadedModel, replayed: tuple[int, Any] | None, keep_layer: int | None,
             sink: list[Any], push: Push | None, ends: int | Tensor, stop: bool = False,
             **kwargs: Any) -> Tensor | None:
    """``lm.model(**kwargs).logits``, replaying ``replayed = (layer, output)`` if given, under
    ``push(ends)``; block `keep_layer`'s output is appended to `sink`. ``stop``: the forward
    stops after block `keep_layer` (no logits)."""
    if stop:
        assert keep_layer is not None and replayed is None and push is None
        sink.append(output_of(lm, keep_layer, lambda: lm.model(**kwargs)))
        return None
    with ExitStack() as stack:
        if replayed is not None:  # the stand-ins first, so the push's hooks attach to them
            stack.enter_context(replay_prefix(lm, *replayed))
        if push is not None:
            stack.enter_context(push(ends))
        if keep_layer is not None:
            got, handle = capture(lm, keep_layer)
            stack.callback(handle.remove)
        logits = lm.model(**kwargs).logits
        if keep_layer is not None:
            sink.append(got[0])
    return logits


def _ids(lm: LoadedModel, rows: Sequence[Sequence[int]], pad: int, side: Any
         ) -> tuple[Tensor, Tensor]:
    ids, mask = pad_batch(rows, pad, side)
    return ids.to(lm.device), mask.to(lm.device)


def _joint(lm: LoadedModel, enc: Encoded, keep_layer: int | None, prefix: Prefix | None,
           sink: list[Any], push: Push | None, stop: bool = False) -> Tensor | None:
    """One row per continuation, left-padded so every continuation ends at the last column."""
    prompts = [p for p in enc.prompts for _ in range(enc.k)]
    ids, mask = _ids(lm, [p + r for p, r in zip(prompts, enc.rows, strict=True)], enc.pad,
                     "left")
    keep = 1 + max(enc.lengths)
    ends = torch.tensor([ids.shape[1] - n for n in enc.lengths], device=CPU)
    logits = _forward(lm, (prefix.layer, prefix.outputs[0]) if prefix else None, keep_layer,
                      sink, push, ends, stop, input_ids=ids, attention_mask=mask,
                      position_ids=position_ids_from_mask(mask), use_cache=False,
                      logits_to_keep=keep)
    if logits is None:
        return None
    # the token at column keep-n+i (of the last `keep`) is predicted by column keep-n+i-1
    rows = torch.cat([torch.full((n,), r, device=CPU) for r, n in enumerate(enc.lengths)])
    pos = torch.cat([torch.arange(keep - n - 1, keep - 1, device=CPU) for n in enc.lengths])
    return token_logp(logits, rows, pos, _tokens(enc.rows))


def _tokens(rows: Sequence[Sequence[int]]) -> Tensor:
    return torch.tensor([t for r in rows for t in r], dtype=torch.long, device=CPU)


def _shared(lm: LoadedModel, enc: Encoded, keep_layer: int | None, prefix: Prefix | None,
            sink: list[Any], push: Push | None, kv_sink: list[tuple[Tensor, Tensor]],
            stop: bool = False) -> Tensor | None:
    """Prompt once (its cache kept), then every continuation on it (``stop``: both passes
    stop after block `keep_layer`, for the prefix alone)."""
    name = cache_kwarg(lm.model)
    assert name is not None
    k, end = enc.k, enc.prompt_end
    ids, mask = _ids(lm, enc.prompts, enc.pad, "left")
    cache = DynamicCache()  # under replay, blocks 0..layer stay empty (they do not run)
    first = _forward(lm, (prefix.layer, prefix.outputs[0]) if prefix else None, keep_layer,
                     sink, push, end, stop, input_ids=ids, attention_mask=mask, use_cache=True,
                     position_ids=position_ids_from_mask(mask), logits_to_keep=1, **{name: cache})
    below = 0 if prefix is None else prefix.layer + 1
    layers = [(item[0], item[1]) for item in cache]
    ran = keep_layer + 1 if stop and keep_layer is not None else lm.num_layers
    if len(layers) != ran or any(key is None for key, _ in layers[below:]):
        raise _CacheUnusable  # e.g. layers that share or skip their cache
    kv = [(key.repeat_interleave(k, 0), val.repeat_interleave(k, 0))
          for key, val in layers[below:]]
    if prefix is None and keep_layer is not None:
        kv_sink.extend(kv[:keep_layer + 1])
    kv = (prefix.kv if prefix else []) + kv
    if first is None:  # stopped: the prefix alone
        if max(enc.lengths) == 1:
            sink.append(None)
        else:
            _forward(lm, None, keep_layer, sink, None, end, True,
                     **_continuation_inputs(lm, enc, mask, name, kv))
        return None
    rows = torch.arange(len(enc.rows), device=CPU)
    lp = token_logp(first, rows // k, torch.zeros_like(rows), _tokens([r[:1] for r in enc.rows]))
    if max(enc.lengths) == 1:
        sink.append(None)
        return lp
    logits = _forward(lm, (prefix.layer, prefix.outputs[1]) if prefix else None, keep_layer,
                      sink, push, end, **_continuation_inputs(lm, enc, mask, name, kv))
    assert logits is not None
    rest = token_logp(logits, torch.cat([torch.full((n - 1,), r, device=CPU) for r, n in enumerate(
        enc.lengths)]), torch.cat([torch.arange(n - 1, device=CPU) for n in enc.lengths]),
        _tokens([r[1:] for r in enc.rows]))
    pieces = rest.split([n - 1 for n in enc.lengths])
    return torch.cat([t for r, piece in enumerate(pieces) for t in (lp[r:r + 1], piece)])


def _continuation_inputs(lm: LoadedModel, enc: Encoded, prompt_mask: Tensor, name: str,
                         kv: list[tuple[Tensor, Tensor]]) -> dict[str, Any]:
    """The continuation pass's inputs: right-padded rows on a cache of their prompts."""
    cont, cont_mask = _ids(lm, enc.rows, enc.pad, "right")
    full = torch.cat([prompt_mask.repeat_interleave(enc.k, 0), cont_mask], dim=1)
    return {"input_ids": cont, "attention_mask": full, "use_cache": True,
            "position_ids": position_ids_from_mask(full)[:, enc.prompt_end:],
            name: DynamicCache(ddp_cache_data=kv)}


def prefix_of(lm: LoadedModel, enc: Encoded, layer: int) -> Prefix:
    """The `Prefix` of `logprobs(keep_layer=layer)` without its log-probabilities: every
    forward stops after block `layer` (for callers that only score pushed runs)."""
    lm.check_layer(layer)
    sink: list[Any] = []
    kv: list[tuple[Tensor, Tensor]] = []
    if shares_prompt(lm, enc.total_length):
        try:
            _shared(lm, enc, layer, None, sink, None, kv, stop=True)
            return Prefix(layer, True, sink, kv)
        except _CacheUnusable:
            sink.clear()
            kv.clear()
    _joint(lm, enc, layer, None, sink, None, stop=True)
    return Prefix(layer, False, sink, kv)


def logprobs(lm: LoadedModel, enc: Encoded, keep_layer: int | None = None,
             prefix: Prefix | None = None, push: Push | None = None
             ) -> tuple[Tensor, Prefix | None]:
    """``log p`` of every continuation token given its prompt (float64, all rows' tokens in
    order) under `push`, and, with `keep_layer`, the `Prefix` a later run replays.

    Under `prefix` (from an unpushed run on the same `enc`, with `keep_layer` set) only the
    blocks after its layer run: `push` must act at that layer or later.
    """
    if keep_layer is not None and prefix is not None:
        raise SteerbridgeError("Pass keep_layer (an unsteered run) or prefix (a replay), not "
                               "both.")
    if keep_layer is not None:
        lm.check_layer(keep_layer)
    shared = prefix.shared if prefix else shares_prompt(lm, enc.total_length)
    sink: list[Any] = []
    kv: list[tuple[Tensor, Tensor]] = []
    lp = None
    if shared:
        try:
            lp = _shared(lm, enc, keep_layer, prefix, sink, push, kv)
        except _CacheUnusable:  # (a shared prefix from `prefix_of` saw only blocks 0..layer)
            shared, prefix = False, None  # one row each, and full forwards
            sink.clear()
            kv.clear()
    if not shared:
        lp = _joint(lm, enc, keep_layer, prefix, sink, push)
    assert lp is not None
    if keep_layer is None:
        return lp, None
    return lp, Prefix(keep_layer, shared, sink, kv)
