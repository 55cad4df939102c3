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
from dataclasses import dataclass, field, replace

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


def text_answer(it: ABItem, name: str) -> ABItem | str:
    """One item as a text answer, or the reason it has nothing to contrast as text (its two
    texts are the same, or it has no question before its choices).

    Raises `SteerbridgeError` naming the item when a letter answer has no choice line: that is
    the dataset's format, not one item's flaw.
    """
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
        return f"its two answer texts are identical ({texts[0]!r})"
    if not question:
        return "its question is only a choice list"
    return replace(it, question=question, matching=texts[0], non_matching=texts[1],
                   answer_prefix="")


@dataclass
class TextAnswers:
    """Items converted to text answers, and those left out with why (source or index)."""

    items: list[ABItem]
    kept: list[int] = field(default_factory=list)  # each converted item's index in the input
    left_out: list[tuple[str, str]] = field(default_factory=list)

    def refuse_if_none_left(self, what: str, fix: str) -> None:
        """Raise when every item was left out: nothing would be measured."""
        if self.left_out and not self.items:
            first, why = self.left_out[0]
            raise SteerbridgeError(f"{what}: none of its {len(self.left_out)} item(s) can be "
                                   f"scored as text (first: {first}: {why}); {fix}.")

    def note(self) -> str:
        """One line for a run's notes ('' when nothing was left out)."""
        if not self.left_out:
            return ""
        first, why = self.left_out[0]
        return (f"{len(self.left_out)} item(s) left out as text answers, nothing to contrast "
                f"(first: {first}: {why}); as letters they would stay")


def text_answers_lenient(items: Sequence[ABItem]) -> TextAnswers:
    """`as_text_answers`, leaving out (and listing) items with nothing to contrast as text
    instead of refusing them all: one flawed item in a thousand should not stop a task."""
    out = TextAnswers([])
    for i, it in enumerate(items):
        name = it.source or f"item {i}"
        res = text_answer(it, name)
        if isinstance(res, str):
            out.left_out.append((name, res))
        else:
            out.items.append(res)
            out.kept.append(i)
    return out


def as_text_answers(items: Sequence[ABItem]) -> list[ABItem]:
    """Items whose question is the stem and whose answers are the chosen lines' texts (an
    answer that is not a letter is its own text).

    Raises `SteerbridgeError` naming the first item with a letter answer but no choice line
    for it, or whose two texts are the same (nothing to contrast).
    """
    conv = text_answers_lenient(items)
    if conv.left_out:
        name, why = conv.left_out[0]
        raise SteerbridgeError(f"{name}: {why}, so there is nothing to contrast as text; fix "
                               "or remove the item.")
    return conv.items
