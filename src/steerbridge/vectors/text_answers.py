"""A/B items as text answers: the question without its choice list, each answer its own text.

A letter A/B item asks a model to *pick* a letter for an answer it read above; a small model
may not link the two (the 0.5B picks at chance on the built-ins, and its own vector barely
moves the letter: RESULTS.md §7c). `as_text_answers` turns the item into a continuation test:
the prompt is the question's stem and the two answers are the choice lines' texts, so the score
(`steerbridge.evaluation.text_scores`) is how likely the model is to *say* each answer. Any
dataset in the model-written-evals format whose choices are listed as ``(A) …`` lines converts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from steerbridge.errors import SteerbridgeError
from steerbridge.vectors.datasets import ABItem, answer_letter, choice_text

_CHOICE_LINE = re.compile(r"^\s*\([A-Z]\)[ \t]*.*$", re.MULTILINE)
_CHOICES_HEADER = re.compile(r"\n\s*(choices|options|answers)\s*:\s*$", re.IGNORECASE)


def stem(question: str) -> str:
    """`question` without its ``(X) …`` choice lines and a trailing "Choices:" header."""
    text = _CHOICE_LINE.sub("", question).rstrip()
    return _CHOICES_HEADER.sub("", text).rstrip()


def as_text_answers(items: Sequence[ABItem]) -> list[ABItem]:
    """Items whose question is the stem and whose answers are the chosen lines' texts.

    Raises `SteerbridgeError` naming the first item whose answers are not letters with a
    choice line, or whose two texts are the same (nothing to contrast).
    """
    out = []
    for i, it in enumerate(items):
        name = it.source or f"item {i}"
        texts = []
        for ans in (it.matching, it.non_matching):
            letter = answer_letter(ans)
            text = choice_text(it.question, letter) if letter else None
            if text is None:
                raise SteerbridgeError(
                    f"{name}: answer {ans!r} is not a letter with a '(X) …' choice line in the "
                    "question, so it cannot be scored as text; use scoring = \"letter\" for "
                    "this dataset.")
            texts.append(text)
        question = stem(it.question)
        if texts[0] == texts[1]:
            raise SteerbridgeError(f"{name}: its two answer texts are identical ({texts[0]!r}), "
                                   "so there is nothing to contrast as text; fix or remove the "
                                   "item.")
        if not question:
            raise SteerbridgeError(f"{name}: its question is only a choice list, so there is no "
                                   "prompt to score the answers after; add the question before "
                                   "the choices or remove the item.")
        out.append(replace(it, question=question, matching=texts[0], non_matching=texts[1],
                           answer_prefix=""))
    return out
