"""A configured behaviour's items: loaded, split, checked and formatted as the config says.

`behaviour_data` reads a behaviour's data in one of three ways: a built-in behaviour, one task
file split into disjoint generate / test sets (``data``; `steerbridge.vectors.splits`), or
separate generate and test files. It then drops or keeps items with more than two choices
(``multi_choice``), adds the answer instruction and prefix, truncates to ``max_generate`` /
``max_test``, and warns (`SteerbridgeWarning`) about what would make a result misleading:
repeated questions, test questions also in the generate set, a test set too small to judge,
multi-choice items kept. Generate and test files with the same content are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from steerbridge.cachekeys import file_digest
from steerbridge.errors import SteerbridgeError, warn
from steerbridge.evaluation import freetext
from steerbridge.evaluation.judgeable import too_small
from steerbridge.run.config import BehaviourConfig
from steerbridge.vectors import datasets, splits
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.text_answers import as_text_answers, text_answers_lenient


@dataclass
class BehaviourData:
    """What one behaviour's stages read."""

    generate: list[ABItem]
    test: list[ABItem]
    open_prompts: list[str]
    notes: list[str] = field(default_factory=list)  # how the items were made (for results)


def _warn(message: str) -> None:
    warn(message, stacklevel=3)


def _from_files(beh: BehaviourConfig, notes: list[str]) -> tuple[list[ABItem], list[ABItem]]:
    assert beh.generate is not None and beh.test is not None
    if Path(beh.generate).is_file() and Path(beh.test).is_file() and \
            file_digest(beh.generate) == file_digest(beh.test):
        raise SteerbridgeError(
            f"{beh.name}: generate ({beh.generate}) and test ({beh.test}) hold the same items, "
            "so the test would score the items the vector was built from. Use data = FILE "
            "(split into disjoint sets) or a separate test file.")
    g = datasets.load(beh.generate, beh.multi_choice)
    t = datasets.load(beh.test, beh.multi_choice)
    for ds, role in ((g, "generate"), (t, "test")):
        notes.append(f"{role}: {ds.summary()}")
        dup = splits.duplicates(ds.items)
        if dup:
            _warn(f"{beh.name}: {dup} {role} item(s) in {ds.name} repeat an earlier question; "
                  "they count twice. De-duplicate the file, or use data = FILE (a split "
                  "de-duplicates first).")
    shared = splits.overlap(g.items, t.items)
    if shared:
        _warn(f"{beh.name}: {shared} test question(s) also appear in the generate set "
              f"({g.name}), so the test is not held out for them. Remove them from one file, "
              "or use data = FILE for a disjoint split.")
    return g.items, t.items


def _from_split(beh: BehaviourConfig, notes: list[str]) -> tuple[list[ABItem], list[ABItem]]:
    assert beh.data is not None
    ds = datasets.load(beh.data, beh.multi_choice)
    sp = splits.split(ds.items, beh.test_fraction, beh.split_seed, name=str(beh.data))
    notes += [ds.summary(), f"split (test_fraction {beh.test_fraction}, seed "
                            f"{beh.split_seed}): {sp.describe()}"]
    if sp.duplicates_dropped:
        _warn(f"{beh.name}: {ds.name} repeats {sp.duplicates_dropped} question(s); each was kept "
              "once before splitting, so no question is in both the generate and test sets.")
    return sp.generate, sp.test


def _as_text(items: list[ABItem], beh: BehaviourConfig, role: str,
             notes: list[str]) -> tuple[list[ABItem], list[ABItem]]:
    """(the items kept, as given; the same as text answers): the question's stem, each answer
    its own text. Items with nothing to contrast as text are left out, counted in `notes` and
    warned about (none left: refused)."""
    conv = text_answers_lenient(items)
    conv.refuse_if_none_left(f"{beh.name} ({role})", "fix the items or use scoring = \"letter\"")
    if conv.left_out:
        note = f"{role}: {conv.note()}"
        notes.append(note)
        _warn(f"{beh.name}: {note}.")
    return [items[i] for i in conv.kept], conv.items


def format_items(items: list[ABItem], beh: BehaviourConfig) -> list[ABItem]:
    """`items` as `beh` puts them to a model: text answers (every item must convert), the
    instruction and the answer prefix."""
    return _with_instruction(as_text_answers(items) if beh.scoring == "text" else items, beh)


def _with_instruction(items: list[ABItem], beh: BehaviourConfig) -> list[ABItem]:
    """`items` with `beh`'s answer instruction appended and its answer prefix set."""
    if not beh.answer_instruction and not beh.answer_prefix:
        return items
    extra = f"\n\n{beh.answer_instruction}" if beh.answer_instruction else ""
    return [replace(it, question=it.question + extra, answer_prefix=beh.answer_prefix)
            for it in items]


def behaviour_data(beh: BehaviourConfig) -> BehaviourData:
    """Generate items, test items and open-ended prompts of one configured behaviour."""
    notes: list[str] = []
    opens: list[str] = []
    if beh.builtin is not None:
        gen, test = datasets.builtin(beh.builtin)
        try:
            opens = datasets.builtin_open_prompts(beh.builtin)
        except (SteerbridgeError, FileNotFoundError):
            opens = []
    elif beh.data is not None:
        gen, test = _from_split(beh, notes)
    else:
        gen, test = _from_files(beh, notes)
    if beh.open_ended is not None:
        opens = freetext.read_open_prompts(beh.open_ended)
    shown_gen, shown_test = gen, test  # as put to the models
    if beh.scoring == "text":  # before truncating, so left-out items are replaced
        gen, shown_gen = _as_text(gen, beh, "generate", notes)
        test, shown_test = _as_text(test, beh, "test", notes)
    gen, test = gen[: beh.max_generate], test[: beh.max_test]
    multi = sum(len(it.choices) > 2 for it in gen + test)  # text answers drop the list
    gen = _with_instruction(shown_gen[: beh.max_generate], beh)
    test = _with_instruction(shown_test[: beh.max_test], beh)
    if multi and beh.multi_choice == "keep":
        notes.append(f"{multi} item(s) with more than two choices kept (multi_choice = keep): "
                     "only their two named answers are compared")
    small = too_small(beh.name, len(test))
    if small:
        _warn(small)
    return BehaviourData(gen, test, opens, notes)
