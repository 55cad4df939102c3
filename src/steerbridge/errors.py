"""The exception type steerbridge raises for bad input (its message says what to do), and the
warnings it gives about input it could use but the user should know about.

`warn` raises a `SteerbridgeWarning` through Python's warnings, except inside `warnings_to`
(the pipeline uses it): there the message goes to the given callback, so a run records each
warning with the behaviour it concerns, in this thread only, without touching global state.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SteerbridgeError(Exception):
    """A problem the user can fix; the message names the problem and the fix."""


class SteerbridgeWarning(UserWarning):
    """Something steerbridge worked around (a corrupt cache set aside, duplicated items, a test
    set too small to judge); the message names the input and what was done."""


_sink = threading.local()


def warn(message: str, stacklevel: int = 2) -> None:
    """Give a `SteerbridgeWarning` (to the current `warnings_to` callback, if any)."""
    callback = getattr(_sink, "callback", None)
    if callback is not None:
        callback(message)
    else:
        warnings.warn(message, SteerbridgeWarning, stacklevel=stacklevel + 1)


@contextmanager
def warnings_to(callback: Callable[[str], None]) -> Iterator[None]:
    """Send this thread's `warn` messages to `callback` inside the block."""
    before = getattr(_sink, "callback", None)
    _sink.callback = callback
    try:
        yield
    finally:
        _sink.callback = before
