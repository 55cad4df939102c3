"""Run only the blocks after a layer: replay a cached block output (prefix replay).

Inside ``with replay_prefix(lm, layer, cached):`` blocks ``0..layer-1`` pass their input through
and block `layer` returns `cached` (its output from an earlier pass on the same inputs), so a
forward costs only the blocks after `layer` and the head. Hooks registered on
``lm.layers[layer]`` inside the block attach to the stand-in and still act on the cached output.
Used by the A/B sweeps (`evaluation.ab`), distillation (`bridge.distill`) and the answer-matched
gain (`bridge.answer_gain`, which takes the cached output from `output_of`, a forward stopped
after the block).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from torch import nn

from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel


class Replay(nn.Module):
    """Stands in for a decoder block: returns a cached output, or passes its input through."""

    def __init__(self, cached: Any = None, like: Any = None) -> None:
        super().__init__()
        self.cached = cached
        self.like = like

    def forward(self, hidden_states: Any = None, *args: Any, **kwargs: Any) -> Any:
        if self.cached is not None:
            return self.cached
        h = hidden_states if hidden_states is not None else args[0]
        return (h, *self.like[1:]) if isinstance(self.like, tuple) else h


@contextmanager
def replay_prefix(lm: LoadedModel, layer: int, cached: Any) -> Iterator[None]:
    """Blocks before `layer` pass through; block `layer` returns `cached`."""
    originals = [lm.layers[i] for i in range(layer + 1)]
    try:
        for i in range(layer):
            lm.layers[i] = Replay(like=cached)
        lm.layers[layer] = Replay(cached)
        yield
    finally:
        for i, block in enumerate(originals):
            lm.layers[i] = block


def capture(lm: LoadedModel, layer: int) -> tuple[list[Any], Any]:
    """A forward hook that stores block `layer`'s output in the returned list; remove it after."""
    sink: list[Any] = []
    handle = lm.layers[layer].register_forward_hook(lambda _m, _a, out: sink.append(out))
    return sink, handle


class _StopAfterBlock(Exception):
    """Raised by `output_of`'s hook: the blocks after the wanted one need not run."""


def output_of(lm: LoadedModel, layer: int, forward: Callable[[], Any]) -> Any:
    """Block `layer`'s output from `forward()` (a forward of `lm`), as `replay_prefix` replays
    it (the block's own dtype and structure), stopping the forward after that block."""
    sink: list[Any] = []

    def stop(_m: Any, _a: Any, out: Any) -> None:
        sink.append(out)
        raise _StopAfterBlock

    handle = lm.layers[lm.check_layer(layer)].register_forward_hook(stop)
    try:
        forward()
    except _StopAfterBlock:
        pass
    finally:
        handle.remove()
    if not sink:
        raise SteerbridgeError(f"Block {layer} of {lm.name} did not run in the forward; is the "
                               "model's layers_path right?")
    return sink[0]
