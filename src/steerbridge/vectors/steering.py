"""Apply steering vectors with forward hooks: a context manager, and steered generation.

Inside ``with steer(lm, vector, alpha):`` every forward of `lm` adds ``alpha * v_hat * scale``
to the output of each steered decoder block (layer ``l`` = output of block ``l`` = HF
``hidden_states[l + 1]``), where ``scale`` is the layer's typical token norm stored with the
vector. The hooks are removed when the block exits, also on exceptions.

Positions are absolute token indices in the sequence (cache included), so the same tokens are
steered with and without the KV cache:

* ``"all"``: every position;
* ``"prompt"``: positions ``< prompt_length``;
* ``"generated"``: positions ``>= prompt_length - 1``, i.e. every position whose output
  predicts a generated token (the last prompt token predicts the first one).

``prompt_length`` is given, or taken from the first forward that starts a sequence (no cache
yet): in ``generate`` that is the padded prompt. For batches, use left padding (what
``generate`` needs anyway): then the prompt ends at the same index in every row. A batch whose
rows end their prompts at different columns (left-padded prompt + answer rows, as the A/B text
score runs them) passes ``prompt_length`` as a ``[B]`` tensor: one prompt end per row.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, get_args

import torch
from torch import Tensor

from steerbridge.checks import check_count
from steerbridge.errors import SteerbridgeError
from steerbridge.models.batching import pad_batch, pad_id
from steerbridge.models.devices import to_like
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.prompts import chat_prompt
from steerbridge.vectors.vector import SteeringVector

Positions = Literal["all", "prompt", "generated"]
POSITIONS: tuple[str, ...] = get_args(Positions)


@dataclass
class _State:
    """Shared by the hooks of one `steer` block: where the current forward starts."""

    offset: int = 0
    prompt_length: int | Tensor | None = None
    fixed_prompt_length: bool = False


def _past_length(kwargs: dict[str, Any]) -> int:
    cache_position = kwargs.get("cache_position")
    if isinstance(cache_position, Tensor) and cache_position.numel() > 0:
        return int(cache_position.reshape(-1)[0])
    # transformers >= 5 passes the cache as `cache`, older versions as `past_key_values`
    past = next((kwargs[k] for k in ("cache", "past_key_values") if kwargs.get(k) is not None),
                None)
    if past is None:
        return 0
    get = getattr(past, "get_seq_length", None)
    if callable(get):
        return int(get())
    try:  # legacy tuple cache: ((k, v), ...) with k [B, heads, T, d]
        return int(past[0][0].shape[-2])
    except (TypeError, IndexError, AttributeError):
        return 0


def _check_alpha(alpha: float) -> float:
    try:
        a = float(alpha)
    except (TypeError, ValueError) as err:
        raise SteerbridgeError(f"alpha must be a number, got {alpha!r}.") from err
    if not math.isfinite(a):
        raise SteerbridgeError(f"alpha must be finite, got {alpha}. Typical useful values lie in "
                               "[-0.5, 0.5] (units of the layer's median token norm).")
    return a


@contextmanager
def steer(
    lm: LoadedModel,
    vector: SteeringVector,
    alpha: float,
    layers: Sequence[int] | None = None,
    positions: Positions = "all",
    prompt_length: int | Tensor | None = None,
    check_model: bool = True,
) -> Iterator[None]:
    """Add ``alpha * v_hat * scale`` at `layers` (default: all the vector's layers).

    alpha is in units of the layer's typical (median) token norm: 0.05 is about one native CAA
    vector at a middle layer of Qwen2.5-0.5B; beyond about 0.5 the model stops answering.
    check_model=False allows a vector from another model with the same hidden size.
    """
    a = _check_alpha(alpha)
    if positions not in POSITIONS:
        raise SteerbridgeError(f"positions={positions!r}: use one of {', '.join(POSITIONS)}.")
    if vector.hidden_size != lm.hidden_size:
        raise SteerbridgeError(
            f"Vector from {vector.model_name} has hidden size {vector.hidden_size} but "
            f"{lm.name} has {lm.hidden_size}. Transfer it through a bridge first."
        )
    if check_model:
        vector.check_model(lm)
    chosen = list(layers) if layers is not None else vector.layers
    deltas: dict[int, Tensor] = {}
    for layer in chosen:  # each on its own block's device (a device map has several)
        lm.check_layer(layer)
        unit = vector.unit(layer).detach()
        deltas[layer] = (unit * (a * vector.scales[layer])).to(lm.layer_device(layer), lm.dtype)
    shortest = int(prompt_length.min()) if isinstance(prompt_length, Tensor) else prompt_length
    if shortest is not None and shortest < 1:
        raise SteerbridgeError(f"prompt_length must be >= 1, got {prompt_length}.")
    state = _State(prompt_length=prompt_length, fixed_prompt_length=prompt_length is not None)

    def pre_hook(_module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        state.offset = _past_length(kwargs)
        if state.offset == 0 and not state.fixed_prompt_length:
            ids = kwargs.get("input_ids", args[0] if args else None)
            embeds = kwargs.get("inputs_embeds")
            ref = ids if isinstance(ids, Tensor) else embeds
            state.prompt_length = int(ref.shape[1]) if isinstance(ref, Tensor) else None

    def make_hook(delta: Tensor) -> Any:
        def hook(_module: Any, _args: Any, output: Any) -> Any:
            h = output[0] if isinstance(output, tuple) else output
            d = to_like(delta, h)  # a no-op unless the block's output lives elsewhere
            if positions == "all":
                new = h + d
            else:
                if state.prompt_length is None:
                    raise SteerbridgeError("Cannot tell prompt from generated tokens: pass "
                                           "prompt_length to steer().")
                idx = torch.arange(state.offset, state.offset + h.shape[1], device=h.device)
                end = torch.as_tensor(state.prompt_length, device=h.device).reshape(-1, 1)
                if end.shape[0] not in (1, h.shape[0]):
                    raise SteerbridgeError(f"prompt_length gives {end.shape[0]} rows' prompt "
                                           f"ends for a batch of {h.shape[0]}: pass one int for "
                                           "every row, or one prompt end per row.")
                keep = idx[None, :] < end if positions == "prompt" else idx[None, :] >= end - 1
                new = h + keep[:, :, None].to(h.dtype) * d
            return (new, *output[1:]) if isinstance(output, tuple) else new

        return hook

    handles = []
    try:
        handles.append(lm.model.register_forward_pre_hook(pre_hook, with_kwargs=True))
        for layer, delta in deltas.items():
            handles.append(lm.layers[layer].register_forward_hook(make_hook(delta)))
        yield
    finally:
        for handle in handles:
            handle.remove()


# -------------------------------------------------------------------------- generation


def encode_prompts(lm: LoadedModel, prompts: Sequence[str], chat: bool = True,
                   system: str | None = None) -> tuple[Tensor, Tensor]:
    """Left-padded ``(input_ids, attention_mask)`` for `prompts` (chat-formatted by default)."""
    texts = [chat_prompt(lm.tokenizer, p, system) if chat else p for p in prompts]
    ids = [lm.tokenizer.encode(t, add_special_tokens=False) for t in texts]
    return pad_batch(ids, pad_id(lm.tokenizer), "left")


@torch.inference_mode()
def generate(
    lm: LoadedModel,
    prompts: Sequence[str],
    vector: SteeringVector | None = None,
    alpha: float = 0.0,
    max_new_tokens: int = 48,
    positions: Positions = "all",
    chat: bool = True,
    system: str | None = None,
    batch_size: int = 8,
    check_model: bool = True,
) -> list[str]:
    """Greedy continuations of `prompts`, steered with `vector` at `alpha` if given."""
    if not prompts:
        raise SteerbridgeError("No prompts to generate from.")
    check_count(max_new_tokens, "max_new_tokens")
    check_count(batch_size, "batch_size")
    out: list[str] = []
    for lo in range(0, len(prompts), batch_size):
        ids, mask = encode_prompts(lm, prompts[lo:lo + batch_size], chat, system)
        ids, mask = ids.to(lm.device), mask.to(lm.device)
        kwargs: dict[str, Any] = {
            "input_ids": ids, "attention_mask": mask, "max_new_tokens": max_new_tokens,
            "do_sample": False, "pad_token_id": lm.tokenizer.pad_token_id,
        }
        if vector is None or alpha == 0:
            gen = lm.model.generate(**kwargs)  # type: ignore[operator]
        else:
            with steer(lm, vector, alpha, positions=positions, check_model=check_model):
                gen = lm.model.generate(**kwargs)  # type: ignore[operator]
        out += lm.tokenizer.batch_decode(gen[:, ids.shape[1]:], skip_special_tokens=True)
    return [t.strip() for t in out]
