"""Numbers read from files or given by people, checked before they are used.

A NaN, an infinity or an absurd magnitude in a bridge's ``W`` or a vector's direction would
run to the end and poison every number after it; a scale that is zero or negative would
silently break or reverse steering. `check_tensor` and `check_scale` refuse them with a
message that names the file, the tensor and the fix.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from steerbridge.errors import SteerbridgeError

MAX_ABS = 1e10
"""Largest magnitude accepted in a stored tensor or scale: far beyond any hidden-state value
(bf16 models' outliers stay below 1e5), far below where float32 sums overflow."""


def check_tensor(t: Tensor, name: str, where: str, fix: str) -> None:
    """Refuse NaN, infinite or absurdly large entries of `t` (called `name`, read from `where`)."""
    if t.numel() == 0:
        return
    x = t.detach().double()
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        n_nan, n_inf = int(torch.isnan(x).sum()), int(torch.isinf(x).sum())
        raise SteerbridgeError(f"{where}: {name} holds {n_nan} NaN and {n_inf} infinite "
                               f"value(s), so it cannot be used. {fix}")
    big = float(x.abs().max())
    if big > MAX_ABS:
        raise SteerbridgeError(f"{where}: {name} holds a value of magnitude {big:.3g}, beyond "
                               f"any real hidden state (limit {MAX_ABS:.0e}). {fix}")


def check_scale(value: object, name: str, where: str, fix: str) -> float:
    """A layer scale (a typical token norm): a positive finite number below `MAX_ABS`."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SteerbridgeError(f"{where}: {name} is {value!r}, not a number. {fix}") from None
    if not math.isfinite(x) or x <= 0 or x > MAX_ABS:
        why = "negative: it would silently reverse steering" if x < 0 else \
            "zero: steering would do nothing" if x == 0 else "not a usable size"
        raise SteerbridgeError(f"{where}: {name} is {x!r} ({why}); a scale is a typical token "
                               f"norm, a positive finite number. {fix}")
    return x


def check_count(value: int, name: str, least: int = 1) -> int:
    """A count given by a person (a batch size, a token budget): at least `least`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise SteerbridgeError(f"{name} must be a whole number of at least {least}, got "
                               f"{value!r}.")
    return value
