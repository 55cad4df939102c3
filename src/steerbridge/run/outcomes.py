"""What a run tells its user besides numbers: warnings, and behaviours that failed alone.

`Outcomes` collects the `SteerbridgeWarning`s raised while the pipeline runs (a corrupt cache
set aside, repeated items, a test set too small to judge, collapsed outputs), each under the
behaviour being worked on or under the run as a whole, and shows each one through the hooks
as it happens. `Outcomes.attempt` runs one behaviour's step so that its failure (a bad file, a
broken vector, even a bug) is recorded with its reason and the other behaviours carry on.
`failure_summary` is the sentence the command line ends with ("2 of 3 behaviours failed").
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from steerbridge.errors import SteerbridgeError, warnings_to
from steerbridge.evaluation.collapse import describe
from steerbridge.evaluation.verdicts import MASS_MIN

T = TypeVar("T")


@dataclass
class Outcomes:
    """Warnings per behaviour (``""``: the run) and failures, as the pipeline meets them."""

    say: Callable[[str], None]
    warnings: dict[str, list[str]] = field(default_factory=dict)
    failures: dict[str, dict[str, str]] = field(default_factory=dict)
    current: str = ""

    def warn(self, message: str, behaviour: str | None = None) -> None:
        """Record (and show) a warning about `behaviour`, else about the current one."""
        name = self.current if behaviour is None else behaviour
        self.warnings.setdefault(name, []).append(message)
        self.say(f"warning: {message}")

    @contextmanager
    def capturing(self) -> Iterator[Outcomes]:
        """Route this thread's steerbridge warnings (`steerbridge.errors.warn`) to `warn`."""
        with warnings_to(self.warn):
            yield self

    @contextmanager
    def behaviour(self, name: str) -> Iterator[None]:
        """Attribute warnings raised inside to behaviour `name`."""
        before, self.current = self.current, name
        try:
            yield
        finally:
            self.current = before

    def attempt(self, name: str, step: Callable[[], T]) -> T | None:
        """``step()`` for behaviour `name`; on failure record why and return None."""
        if name in self.failures:
            return None
        with self.behaviour(name):
            try:
                return step()
            except SteerbridgeError as err:
                self.failures[name] = {"error": str(err)}
            except Exception as err:  # noqa: BLE001 - one behaviour's bug must not end the run
                self.failures[name] = {
                    "error": f"unexpected {type(err).__name__}: {err} (please report it; the "
                             "traceback is in results.json)",
                    "traceback": traceback.format_exc()}
        self.say(f"{name}: FAILED: {self.failures[name]['error']}")
        return None

    def check_result(self, name: str, res: dict[str, Any]) -> None:
        """Warnings a finished evaluation calls for: collapsed outputs, little answer mass (letter
        answers only: text answers are both scored whatever their share of the vocabulary)."""
        if res.get("collapsed"):
            self.warn(f"{name}: {describe(res['collapsed'])}", name)
        if res.get("scoring") == "text":
            return
        mass = ((res.get("summary") or {}).get("headline") or {}).get("none_answer_mass")
        if isinstance(mass, float) and mass < MASS_MIN:  # the verdict rule's own bar
            self.warn(f"{name}: the unsteered target puts only {mass:.1%} of its probability on "
                      "the two answers, so the A/B scores say little. Add answer_instruction "
                      "(e.g. 'Answer with (A) or (B).') or answer_prefix (e.g. '(') to the "
                      "behaviour.", name)


def failure_summary(results: dict[str, Any]) -> str | None:
    """``"2 of 3 behaviours failed: a (why); b (why)"``, or None when none failed."""
    behaviours = results.get("behaviours", {})
    failed = {n: b for n, b in behaviours.items() if "summary" not in b}
    if not failed:
        return None
    why = "; ".join(f"{n} ({(b.get('errors') or ['no result'])[0]})" for n, b in failed.items())
    return f"{len(failed)} of {len(behaviours)} behaviours failed: {why}"
