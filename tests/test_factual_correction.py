"""The factual-correction built-in: size, split, balanced letters, held-out premises."""

from __future__ import annotations

from steerbridge.vectors import datasets as d


def test_factual_correction_items():
    gen, test = d.builtin("factual-correction")
    assert len(gen) + len(test) >= 150 and len(test) >= 30
    for split in (gen, test):
        assert sum(it.matching == "(A)" for it in split) * 2 == len(split)
    premise = lambda it: it.question.split("\n\n")[0].split('"')[-2 if '"' in it.question else 0]  # noqa: E731
    assert not {premise(it) for it in gen} & {premise(it) for it in test}
    assert "factual-correction" in d.builtin_card("factual-correction")
