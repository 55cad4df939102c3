"""Layer lists as people type them: ``"12"``, ``"3,5"``, ``"2-6"``, ``"4-16:2"``, ``"all"``.

Layer ``l`` is the output of decoder block ``l`` (0-based), i.e. HF ``hidden_states[l + 1]``.
One parser for every command that takes layers, so the same text means the same layers
everywhere and a bad one fails with the same message before any model loads.
"""

from __future__ import annotations

from steerbridge.errors import SteerbridgeError

_SYNTAX = "a layer (12), a comma list (3,5), a range START-STOP[:STEP] (2-6, 4-16:2) or all"


def _bad(spec: str, why: str) -> SteerbridgeError:
    return SteerbridgeError(f"Cannot read layers {spec!r}: {why}. Use {_SYNTAX}.")


def _int(text: str, spec: str) -> int:
    if not text.strip():
        raise _bad(spec, "a range misses one of its ends (negative layers are not allowed)")
    try:
        return int(text.strip())
    except ValueError:
        raise _bad(spec, f"{text.strip()!r} is not a whole number") from None


def _part(part: str, spec: str) -> list[int]:
    """One comma-separated part: a layer or a START-STOP[:STEP] range (inclusive)."""
    if "-" not in part:
        if ":" in part:
            raise _bad(spec, f"a step needs a range ({part.strip()!r})")
        return [_int(part, spec)]
    rng, _, step_text = part.partition(":")
    lo_text, _, hi_text = rng.partition("-")
    lo, hi = _int(lo_text, spec), _int(hi_text, spec)
    step = _int(step_text, spec) if step_text else 1
    if hi < lo:
        raise _bad(spec, f"the range {lo}-{hi} runs backwards")
    if step == 0:
        raise _bad(spec, "a step of 0")
    return list(range(lo, hi + 1, step))


def parse_layers(spec: str, n_layers: int | None = None) -> list[int]:
    """The layers `spec` names, sorted and without repeats.

    With `n_layers` (the model's block count) ``all`` means every layer and each layer is
    checked against ``0..n_layers-1``; without it only the syntax is checked (to fail before a
    model loads) and ``all`` is refused. Raises `SteerbridgeError` naming the spec.
    """
    text = spec.strip()
    if not text:
        raise _bad(spec, "it is empty")
    if text == "all":
        if n_layers is None:
            raise _bad(spec, "'all' needs the model's layer count")
        return list(range(n_layers))
    layers: set[int] = set()
    for part in text.split(","):
        if not part.strip():
            raise _bad(spec, "an empty item in the list")
        layers.update(_part(part, spec))
    if n_layers is not None:
        out = sorted(x for x in layers if x >= n_layers)
        if out:
            raise _bad(spec, f"layer(s) {out} out of range: the model has layers "
                             f"0..{n_layers - 1}")
    return sorted(layers)
