"""One task file into disjoint generate / test sets, and checks for items that repeat.

Anthropic's model-written-evals tasks (and CAA's generate files) come as one file. `split`
makes the two sets a steering experiment needs:

1. questions are de-duplicated first (whitespace-insensitive; the first occurrence is kept),
   because public task files repeat questions and a naive split would put one copy in each
   set, testing on training items;
2. items are grouped by their matching answer (``(A)`` / ``(B)`` / ``Yes`` / ``No``...) and each
   group is shuffled with `seed` and cut at `test_fraction` (largest-remainder rounding, so the
   test set has the file's answer balance);
3. each set is ordered so that every prefix keeps that balance (``max_generate`` / ``max_test``
   take a prefix).

`duplicates` and `overlap` count repeats within one set and across two, for warnings.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from steerbridge.errors import SteerbridgeError
from steerbridge.vectors.datasets import ABItem


def question_key(item: ABItem) -> str:
    """What makes two items the same question: the question text, whitespace collapsed."""
    return " ".join(item.question.split())


def dedupe(items: Sequence[ABItem]) -> tuple[list[ABItem], int]:
    """Items with each question once (first occurrence kept) and how many were dropped."""
    seen: set[str] = set()
    out = []
    for it in items:
        k = question_key(it)
        if k not in seen:
            seen.add(k)
            out.append(it)
    return out, len(items) - len(out)


def duplicates(items: Sequence[ABItem]) -> int:
    """How many items repeat a question that came earlier in `items`."""
    return dedupe(items)[1]


def overlap(a: Sequence[ABItem], b: Sequence[ABItem]) -> int:
    """How many distinct questions of `b` also appear in `a`."""
    keys = {question_key(it) for it in a}
    return len({question_key(it) for it in b} & keys)


@dataclass(frozen=True)
class Split:
    """A split's two sets and what was done to make them."""

    generate: list[ABItem]
    test: list[ABItem]
    duplicates_dropped: int
    groups: dict[str, tuple[int, int]]  # matching answer -> (generate count, test count)

    def describe(self) -> str:
        g = ", ".join(f"{k}: {a}/{b}" for k, a, b in
                      ((k, *v) for k, v in sorted(self.groups.items())))
        return (f"{len(self.generate)} generate / {len(self.test)} test items (by matching "
                f"answer, generate/test: {g}); {self.duplicates_dropped} repeated question(s) "
                "dropped first")


def _interleave(groups: dict[str, list[ABItem]]) -> list[ABItem]:
    """All items, ordered so that every prefix keeps the groups' proportions."""
    keyed = [((i + 0.5) / len(items), name, i, it) for name, items in groups.items()
             for i, it in enumerate(items)]
    return [it for *_, it in sorted(keyed, key=lambda k: (k[0], k[1], k[2]))]


def _allocate(sizes: dict[str, int], n_test: int) -> dict[str, int]:
    """Test items per group: proportional, largest remainder first (ties by name)."""
    total = sum(sizes.values())
    exact = {k: n_test * n / total for k, n in sizes.items()}
    out = {k: math.floor(v) for k, v in exact.items()}
    rest = n_test - sum(out.values())
    for k in sorted(exact, key=lambda k: (out[k] - exact[k], k))[:rest]:
        out[k] += 1
    return out


def split(items: Sequence[ABItem], test_fraction: float = 0.2, seed: int = 0,
          name: str = "the dataset") -> Split:
    """Disjoint generate / test sets of `items` (see the module docstring)."""
    if not 0 < test_fraction < 1:
        raise SteerbridgeError(f"test_fraction must be between 0 and 1 (exclusive), got "
                               f"{test_fraction}.")
    unique, dropped = dedupe(items)
    if len(unique) < 2:
        raise SteerbridgeError(f"{name} has {len(unique)} distinct question(s); a split into "
                               "generate and test sets needs at least 2 (far more to judge).")
    n_test = min(max(1, round(len(unique) * test_fraction)), len(unique) - 1)
    groups: dict[str, list[ABItem]] = {}
    for it in unique:
        groups.setdefault(it.matching.strip(), []).append(it)
    rng = random.Random(seed)
    for key in sorted(groups):
        rng.shuffle(groups[key])
    take = _allocate({k: len(v) for k, v in groups.items()}, n_test)
    gen = {k: v[take[k]:] for k, v in groups.items()}
    test = {k: v[:take[k]] for k, v in groups.items()}
    return Split(generate=_interleave(gen), test=_interleave(test), duplicates_dropped=dropped,
                 groups={k: (len(gen[k]), len(test[k])) for k in sorted(groups)})
