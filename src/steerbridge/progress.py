"""Progress reporting without a user interface: a callback type and a scoped helper.

Library functions take ``progress``: a callable ``advance(done, total)``, ``False``/``None``
(silent), or ``True`` (ask the registered factory for a bar). The library itself draws
nothing; the command line registers its rich bars with `set_factory` at start-up, so
`True` shows a bar there and stays silent in a plain Python session unless a caller
registers a factory of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TypeAlias

ProgressFn: TypeAlias = Callable[[int, int], None]
Progress: TypeAlias = bool | ProgressFn | None
# (label, total) -> a context manager that yields an advance(done, total) callback
ProgressFactory: TypeAlias = Callable[[str, int], AbstractContextManager[ProgressFn]]


def _silent(done: int, total: int) -> None:
    """The no-op callback."""


_factory: ProgressFactory | None = None


def set_factory(factory: ProgressFactory | None) -> None:
    """Register what ``progress=True`` shows (the CLI registers rich bars); None: silent."""
    global _factory
    _factory = factory


def progress_context(progress: Progress, total: int, label: str
                     ) -> AbstractContextManager[ProgressFn]:
    """A context giving an ``advance(done, total)`` callback for `progress` (see module doc)."""
    if callable(progress):
        return nullcontext(progress)
    if progress and _factory is not None:
        return _factory(label, total)
    return nullcontext(_silent)
