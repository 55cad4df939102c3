"""Contrastive A/B data: one item type, its loaders and the built-in behaviours.

An `ABItem` is a question that lists its choices, the answer that shows the behaviour
(``matching``, e.g. ``"(A)"``) and the one that does not (``non_matching``). Two file schemas
load into it:

* CAA JSON: a list of ``{"question", "answer_matching_behavior",
  "answer_not_matching_behavior"}`` objects (nrimsky/CAA and ../shared/data/caa).
* Anthropic model-written-evals JSONL: one such object per line; answers look like ``" (A)"`` or
  ``" Yes"``, and ``answer_not_matching_behavior`` may be a list.

Built-in behaviours (`builtin`, `builtin_names`) ship in ``steerbridge/data/behaviours``:
generate and test splits, open-ended prompts and a card each. Formatting items for a model
is `steerbridge.vectors.prompts`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from steerbridge.errors import SteerbridgeError
from steerbridge.safeio import read_text, write_text

MultiChoice = Literal["keep", "drop"]

_CHOICE_LINE = re.compile(r"^\s*\(([A-Z])\)", re.MULTILINE)
_LETTER_ANSWER = re.compile(r"^\(([A-Z])\)?$")


@dataclass(frozen=True)
class ABItem:
    """One contrastive question: the answer that matches the behaviour and the one that doesn't.

    `source` says where the item came from (``file:index``) so errors can name it.
    `answer_prefix` opens the assistant turn before the answer (e.g. ``"("``, so the next
    token is the letter); the answer labels are read after it.
    """

    question: str
    matching: str
    non_matching: str
    source: str = ""
    answer_prefix: str = ""

    @property
    def choices(self) -> list[str]:
        """Letters of the ``(X)`` choices listed in the question (empty for Yes/No items)."""
        return _CHOICE_LINE.findall(self.question)

    def to_json(self) -> dict[str, str]:
        """The CAA schema (what `load_caa` reads back)."""
        return {
            "question": self.question,
            "answer_matching_behavior": self.matching,
            "answer_not_matching_behavior": self.non_matching,
        }


@dataclass
class ABDataset:
    """Items loaded from one source, with the count of items dropped and why."""

    name: str
    items: list[ABItem]
    dropped: Counter[str] = field(default_factory=Counter)
    multi_choice_kept: int = 0

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[ABItem]:
        return iter(self.items)

    @property
    def fingerprint(self) -> str:
        return dataset_fingerprint(self.items)

    def summary(self) -> str:
        """One line: kept, dropped by reason, multi-choice items kept."""
        parts = [f"{self.name}: {len(self.items)} items"]
        if self.dropped:
            parts.append("dropped " + ", ".join(f"{n} {why}" for why, n in self.dropped.items()))
        if self.multi_choice_kept:
            parts.append(f"{self.multi_choice_kept} with more than two choices kept")
        return "; ".join(parts)


def dataset_fingerprint(items: Sequence[ABItem]) -> str:
    """A stable 16-hex-digit hash of the items' content (order matters, `source` does not)."""
    h = hashlib.sha256()
    for it in items:
        d = it.to_json()
        if it.answer_prefix:  # only when set: older fingerprints stay as they were
            d["answer_prefix"] = it.answer_prefix
        h.update(json.dumps(d, sort_keys=True).encode())
    return h.hexdigest()[:16]


def answer_text(answer: str) -> str:
    """The text appended after the opened assistant turn for an answer label.

    ``"(A)"`` and ``" (A)"`` become ``"(A"`` (the letter token; the closing bracket would be a
    second token that carries no choice); ``" Yes"`` becomes ``"Yes"``.
    """
    a = answer.strip()
    m = _LETTER_ANSWER.match(a)
    return f"({m.group(1)}" if m else a


def choice_text(question: str, letter: str) -> str | None:
    """The text of choice ``(letter)`` as listed in `question` (to the end of its line)."""
    m = re.search(rf"^\s*\({re.escape(letter)}\)[ \t]*(.+?)\s*$", question, re.MULTILINE)
    return m.group(1) if m else None


def with_choice_text(items: Sequence[ABItem]) -> list[ABItem]:
    """Items whose answers are the whole chosen line, ``"(A) That's wonderful! …"``.

    Reading a vector at the end of the answer's text (not at its letter) contrasts what the
    two answers *say*; the letter alone only says which one was picked. An answer that is not
    a letter (``Yes`` / ``No``) is its own text and stays as it is. Raises, naming the item,
    when a letter's choice line is missing.
    """
    out = []
    for i, it in enumerate(items):
        full = []
        for ans in (it.matching, it.non_matching):
            letter = answer_letter(ans)
            if letter is None:
                full.append(ans)
                continue
            text = choice_text(it.question, letter)
            if text is None:
                raise SteerbridgeError(
                    f"{it.source or f'item {i}'}: answer {ans!r} has no '({letter or '?'}) …' "
                    "choice line in the question, so it cannot be read at its text; use the "
                    "answer-letter read position for this dataset.")
            full.append(f"({letter}) {text}")
        out.append(replace(it, matching=full[0], non_matching=full[1]))
    return out


def answer_letter(answer: str) -> str | None:
    """The letter of a ``"(A)"`` / ``" (A"`` answer label; None for any other answer."""
    m = _LETTER_ANSWER.match(answer.strip())
    return m.group(1) if m else None


def make_item(
    raw: Any, source: str, multi_choice: MultiChoice = "keep"
) -> tuple[ABItem | None, str]:
    """Validate one raw record; return (item, "") or (None, reason to drop).

    Raises `SteerbridgeError` naming `source` for records that are broken rather than merely
    out of scope: a missing or empty field, or an answer letter that is not among the choices.
    """
    if not isinstance(raw, dict):
        plain = (" This file holds plain texts, not A/B items: as bridge text it goes in "
                 "[bridge] corpus (as a .txt or .jsonl file); as a behaviour it needs two "
                 "answers per question.") if isinstance(raw, str) else ""
        raise SteerbridgeError(f"{source}: expected an object with question, "
                               "answer_matching_behavior and answer_not_matching_behavior, got "
                               f"{type(raw).__name__}.{plain}")
    missing = [k for k in ("question", "answer_matching_behavior", "answer_not_matching_behavior")
               if k not in raw or raw[k] in (None, "", [])]
    if missing:
        questions_only = (" It has a question but no answers, like an open-ended prompt file: "
                          "give such a file as the behaviour's open_ended, not as its A/B data."
                          if len(missing) == 2 and "question" not in missing else "")
        raise SteerbridgeError(
            f"{source}: missing field(s) {', '.join(missing)}. Every A/B item needs question, "
            "answer_matching_behavior and answer_not_matching_behavior; fix or remove the item."
            + questions_only)
    question = str(raw["question"])
    matching = raw["answer_matching_behavior"]
    non_matching = raw["answer_not_matching_behavior"]
    if isinstance(matching, list):
        if len(matching) != 1:
            return None, "with several matching answers"
        matching = matching[0]
    if isinstance(non_matching, list):
        if len(non_matching) != 1:
            return None, "with several non-matching answers"
        non_matching = non_matching[0]
    matching, non_matching = str(matching).strip(), str(non_matching).strip()
    if answer_text(matching) == answer_text(non_matching):
        raise SteerbridgeError(f"{source}: the matching and non-matching answers are the same "
                               f"({matching!r}); fix or remove the item.")
    item = ABItem(question=question, matching=matching, non_matching=non_matching, source=source)
    letters = item.choices
    for ans in (matching, non_matching):
        letter = answer_letter(ans)
        if letter is not None and letters and letter not in letters:
            raise SteerbridgeError(
                f"{source}: answer {ans!r} is not among the choices "
                f"({', '.join(f'({c})' for c in letters)}) listed in the question; fix the item "
                "or remove it."
            )
    if len(letters) > 2 and multi_choice == "drop":
        return None, "with more than two choices"
    return item, ""


def _collect(name: str, records: Iterable[tuple[str, Any]], multi_choice: MultiChoice) -> ABDataset:
    ds = ABDataset(name=name, items=[])
    for source, raw in records:
        item, why = make_item(raw, source, multi_choice)
        if item is None:
            ds.dropped[why] += 1
            continue
        if len(item.choices) > 2:
            ds.multi_choice_kept += 1
        ds.items.append(item)
    if not ds.items:
        dropped = f" ({ds.summary()})" if ds.dropped else ""
        raise SteerbridgeError(f"No A/B items left in {name}{dropped}. Check the file, or keep "
                               "multi-choice items with multi_choice='keep'.")
    return ds


def load_caa(path: str | Path, multi_choice: MultiChoice = "keep") -> ABDataset:
    """Load a CAA-schema JSON file (a list of items).

    multi_choice: items whose question lists more than two choices are kept with their two
    named answers ("keep", default) or dropped and counted ("drop").
    """
    p = Path(path).expanduser()
    text = read_text(p, "A/B dataset")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if _looks_like_jsonl(text):  # an evals file saved as .json: one object per line
            return _collect(p.name, _jsonl_records(p, text), multi_choice)
        raise SteerbridgeError(f"A/B dataset {p} is not valid JSON ({err.msg} at line "
                               f"{err.lineno}, column {err.colno}); CAA files are one JSON list, "
                               "evals files one object per line (.jsonl).") from None
    if not isinstance(data, list):
        keys = (f" with keys {', '.join(map(str, list(data)[:6]))}"
                if isinstance(data, dict) else "")
        raise SteerbridgeError(
            f"{p}: expected a JSON list of A/B items, got {type(data).__name__}{keys}. A/B files "
            "are one JSON list of {question, answer_matching_behavior, "
            "answer_not_matching_behavior} objects (CAA) or one such object per line (.jsonl)."
        )
    return _collect(p.name, ((f"{p.name}:{i}", r) for i, r in enumerate(data)), multi_choice)


def load_anthropic_jsonl(path: str | Path, multi_choice: MultiChoice = "keep") -> ABDataset:
    """Load an Anthropic model-written-evals JSONL file (one item per line).

    Answers such as ``" (A)"`` or ``" Yes"`` are stripped; a list-valued answer with one entry
    is used as that entry, with several entries the item is dropped and counted.
    """
    p = Path(path).expanduser()
    return _collect(p.name, _jsonl_records(p, read_text(p, "A/B dataset")), multi_choice)


def _looks_like_jsonl(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    try:
        return len(lines) > 1 and isinstance(json.loads(lines[0]), dict)
    except json.JSONDecodeError:
        return False


def _jsonl_records(p: Path, text: str) -> list[tuple[str, Any]]:
    records: list[tuple[str, Any]] = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((f"{p.name}:{i}", json.loads(line)))
        except json.JSONDecodeError as err:
            raise SteerbridgeError(f"{p.name}:{i} is not valid JSON ({err.msg}, column "
                                   f"{err.colno}); fix or remove that line.") from None
    return records


def load(path: str | Path, multi_choice: MultiChoice = "keep") -> ABDataset:
    """Load a built-in behaviour name (its generate split), a CAA ``.json`` or a ``.jsonl``."""
    s = str(path)
    if s in builtin_names():
        gen, _ = builtin(s)
        return ABDataset(name=s, items=gen)
    if Path(s).expanduser().is_dir():
        raise SteerbridgeError(f"A/B dataset {s} is a folder, not a file: give the .json or "
                               ".jsonl file inside it.")
    if s.endswith(".jsonl"):
        return load_anthropic_jsonl(s, multi_choice)
    if s.endswith(".json"):
        return load_caa(s, multi_choice)
    raise SteerbridgeError(f"Unknown dataset {s!r}: give a built-in behaviour "
                           f"({', '.join(builtin_names())}), a CAA .json or an evals .jsonl file.")


# ---------------------------------------------------------------------------- built-ins

def _builtin_root() -> Any:
    return resources.files("steerbridge").joinpath("data", "behaviours")


def builtin_names() -> list[str]:
    """Names of the built-in behaviours (each a folder with generate/test items and a card)."""
    root = _builtin_root()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.joinpath("card.md").is_file())


def _check_builtin(name: str) -> Any:
    if name not in builtin_names():
        raise SteerbridgeError(f"No built-in behaviour {name!r}; choose one of "
                               f"{', '.join(builtin_names())}.")
    return _builtin_root().joinpath(name)


def builtin(name: str) -> tuple[list[ABItem], list[ABItem]]:
    """The (generate, test) items of a built-in behaviour."""
    folder = _check_builtin(name)
    splits = []
    for split in ("generate", "test"):
        raw = json.loads(folder.joinpath(f"{split}.json").read_text(encoding="utf-8"))
        splits.append(_collect(f"{name}/{split}", ((f"{name}/{split}:{i}", r)
                                                   for i, r in enumerate(raw)), "keep").items)
    return splits[0], splits[1]


def builtin_card(name: str) -> str:
    """The dataset card (Markdown): what the behaviour measures and how the items were made."""
    return str(_check_builtin(name).joinpath("card.md").read_text(encoding="utf-8"))


def builtin_open_prompts(name: str) -> list[str]:
    """Open-ended prompts (no choices) for checking a behaviour in generated text."""
    raw = json.loads(_check_builtin(name).joinpath("open_ended.json").read_text(encoding="utf-8"))
    return [str(p) for p in raw]


def save_caa(items: Sequence[ABItem], path: str | Path, force: bool = False) -> Path:
    """Write items in the CAA JSON schema (atomic; another kind of file at `path` is kept
    unless `force`)."""
    text = json.dumps([it.to_json() for it in items], indent=1, ensure_ascii=False) + "\n"
    return write_text(path, text, kind=("dataset", "json"), force=force)

