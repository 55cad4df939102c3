"""A/B items as text answers: the question without its choice list, each answer its own text.

A letter A/B item asks a model to *pick* a letter for an answer it read above; a small model
may not link the two (the 0.5B picks at chance on the built-ins, and its own vector barely
moves the letter: RESULTS.md §7c). `as_text_answers` turns the item into a continuation test:
the prompt is the question's stem and the two answers are the choice lines' texts, so the score
(`steerbridge.evaluation.text_scores`) is how likely the model is to *say* each answer. Any
dataset in the model-written-evals format converts: letter answers whose choices are listed as
``(A) …`` lines become those lines' texts, and answers that are not letters (the persona
tasks' ``" Yes"`` / ``" No"``) are already texts and stay as they are, after the question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from steerbridge.errors import SteerbridgeError
from steerbridge.vectors.datasets import ABItem, answer_letter, choice_text

_CHOICE_LINE = re.compile(r"^[ \t]*\([A-Z]\)[ \t]*.*$\n?", re.MULTILINE)
# a "Choices:" line whose next non-blank line is a choice line (text may follow the list,
# e.g. the sycophancy tasks' "Answer:")
_CHOICES_HEADER = re.compile(r"^[ \t]*(choices|options|answers)[ \t]*:[ \t]*\n(?=(?:[ \t]*\n)*"
                             r"[ \t]*\([A-Z]\))", re.IGNORECASE | re.MULTILINE)
_BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def stem(question: str) -> str:
    """`question` without its ``(X) …`` choice lines and the "Choices:" line heading them."""
    text = _CHOICE_LINE.sub("", _CHOICES_HEADER.sub("", question))
    return _BLANK_RUN.sub("\n\n", text).strip()


def _bare_letter(answer: str) -> str | None:
    """``"A"`` written without brackets: a choice letter all the same, never an answer text."""
    a = answer.strip()
    return a if len(a) == 1 and "A" <= a <= "Z" else None


def as_text_answers(items: Sequence[ABItem]) -> list[ABItem]:
    """Items whose question is the stem and whose answers are the chosen lines' texts (an
    answer that is not a letter is its own text).

    Raises `SteerbridgeError` naming the first item with a letter answer but no choice line
    for it, or whose two texts are the same (nothing to contrast).
    """
    out = []
    for i, it in enumerate(items):
        name = it.source or f"item {i}"
        texts = []
        for ans in (it.matching, it.non_matching):
            letter = answer_letter(ans) or _bare_letter(ans)
            text = choice_text(it.question, letter) if letter else ans.strip()
            if text is None:
                raise SteerbridgeError(
                    f"{name}: answer {ans!r} names choice ({letter}), but the question has no "
                    f"'({letter}) …' line to take its text from, so it cannot be scored as "
                    "text; list the choices as '(A) …' lines or use scoring = \"letter\" for "
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
