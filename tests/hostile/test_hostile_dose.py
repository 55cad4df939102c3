"""Hostile input to `steerbridge dose`, to text answers (``[[behaviours]] scoring = "text"``,
``dose --format text``) and to ``pairs --by transfer --format``: unknown formats and
behaviours, alphas without a ±a pair or not finite, A/B files whose answers cannot be text, a
bad ``scoring`` key, broken JSONL. Every refusal exits 2 with one message naming what is wrong
and what to do, no traceback, before any model loads, and leaves files already written as they
were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile_kit import ab_items, small_config, write_config, write_input, write_json

from steerbridge.errors import SteerbridgeError, SteerbridgeWarning
from steerbridge.run.behaviour_data import behaviour_data
from steerbridge.run.config import BehaviourConfig

pytestmark = pytest.mark.filterwarnings("ignore:.*too few to judge")


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    import steerbridge.models.loading as loading

    monkeypatch.setattr(loading, "load", lambda *a, **k: pytest.fail("a model was loaded"))


def _choice_item(i: int, a: str = "Sunny and warm, all week.", b: str = "Grey and wet again.",
                 stem: str = "What will the weather be like?") -> dict[str, str]:
    """A letter item with a '(X) …' choice list: convertible to text answers."""
    q = f"{stem} ({i})\n\nChoices:\n (A) {a} {i}\n (B) {b} {i}" if stem else \
        f"(A) {a}\n(B) {b}"
    m, nm = ("(A)", "(B)") if i % 2 else ("(B)", "(A)")
    return {"question": q, "answer_matching_behavior": m, "answer_not_matching_behavior": nm}


def _yes_no(n: int) -> list[dict[str, str]]:
    return [{"question": f"Is the sky green today? ({i})", "answer_matching_behavior": " Yes",
             "answer_not_matching_behavior": " No"} for i in range(n)]


# A previous run's record at the -o path: a refused command must leave it byte for byte.
OLD_RECORD = {"settings": {"model": "earlier"}, "results": [{"behaviour": "caution"}]}


# ---------------------------------------------------------------------- steerbridge dose

def _dose_data(tmp: Path, kind: str) -> Path:
    if kind == "yesno":
        return write_json(tmp / "yesno.json", _yes_no(10))
    if kind == "letters-no-choices":
        return write_json(tmp / "bare.json", ab_items(10, 0, ("(A)", "(B)")))
    if kind == "gone":
        return tmp / "gone.json"
    return write_json(tmp / "ok.json", [_choice_item(i) for i in range(10)])


DOSE: list[tuple[str, list[str], str | None, list[str]]] = [
    ("format", ["--format", "bogus"], None,
     ["Unknown answer format 'bogus'", "plain, instruction, paren, instruction+paren, text, "
                                       "system"]),
    ("no-pair", ["--alpha", "0.2", "--alpha", "0.4"], None,
     ["[0.2, 0.4]", "at least one alpha pair ±a", "--alpha -0.2 --alpha 0.2"]),
    ("one-sided", ["--alpha", "-0.2", "--alpha", "0.4"], None,
     ["at least one alpha pair ±a"]),
    ("nan", ["--alpha", "nan", "--alpha", "-0.2", "--alpha", "0.2"], None,
     ["nan is not a finite number", "give finite steering strengths"]),
    ("inf", ["--alpha", "-inf", "--alpha", "inf"], None,
     ["inf is not a finite number", "give finite steering strengths"]),
    ("behaviour", ["-b", "no-such-thing"], None,
     ["'no-such-thing' is not a built-in behaviour", "positive-tone", "give --data FILE"]),
    ("both", ["-b", "caution"], "ok", ["--behaviour NAME", "--data FILE", "not both"]),
    ("gone", [], "gone", ["gone.json", "does not exist"]),
    ("bare-text", ["--format", "plain", "--format", "text"], "letters-no-choices",
     ["--format text on bare", "bare.json:", "names choice (", "no '(", "line to take its "
      "text from", "--format plain, instruction or paren"]),
    ("bare-default", [], "letters-no-choices", ["--format text on bare", "names choice ("]),
    ("layers", ["--layers", "x-y"], None, ["x-y"]),
    ("score-on", ["-b", "caution", "--score-on", "train"], None,
     ["--score-on 'train'", "give test or generate"]),
    ("score-on-few", ["-b", "caution", "--score-on", "generate", "--max-generate", "3"], None,
     ["caution: --score-on generate splits the generate items in two halves", "there are 3",
      "at least 4", "--max-generate", "--score-on test"]),
]


@pytest.mark.parametrize(("case", "args", "data", "needles"), DOSE, ids=[d[0] for d in DOSE])
def test_dose_refuses_before_loading_and_keeps_the_old_record(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, case: str, args: list[str],
        data: str | None, needles: list[str]) -> None:
    _no_loading(monkeypatch)
    out = write_json(tmp_path / "dose.json", OLD_RECORD)
    before = out.read_bytes()
    extra = ["--data", _dose_data(tmp_path, data)] if data else []
    res = cli("dose", "--model", "tiny-src", *args, *extra, "-o", out)
    res.refused(*needles)
    assert res.text.count("error:") == 1  # one message, not a cascade
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("dose")) == \
        ["dose.json"]  # no temporary file left beside it


def test_dose_refuses_an_output_that_holds_another_kind_of_file(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_loading(monkeypatch)
    notes = write_input(tmp_path / "notes.json", "my notes, not JSON")
    res = cli("dose", "--model", "tiny-src", "-b", "caution", "-o", notes)
    res.refused("notes.json", "--force")
    assert notes.read_text() == "my notes, not JSON"


@pytest.mark.parametrize("kind", ["ok", "yesno"])
def test_dose_text_format_accepts_choice_lines_and_yes_no(tmp_path: Path, kind: str) -> None:
    """The refusal above is about the file, not the format: choice lines convert, and answers
    that are not letters (Yes / No) are their own texts after the unchanged question."""
    from steerbridge.cli.dose_cmd import _behaviour, _check_formats
    from steerbridge.evaluation.dose import FORMATS

    tasks = {kind: _behaviour(kind, _dose_data(tmp_path, kind), 8, 2)}
    _check_formats(tasks, [FORMATS["text"], FORMATS["plain"]])
    gen = FORMATS["text"].apply(tasks[kind][0])
    assert all("(A)" not in it.question and it.matching != it.non_matching for it in gen)
    if kind == "yesno":
        assert {(it.matching, it.non_matching) for it in gen} == {("Yes", "No")}
        assert gen[0].question == tasks[kind][0][0].question


@pytest.mark.parametrize("stop_at", [1, 2], ids=["first-sweep", "second-sweep"])
def test_interrupted_dose_loses_no_finished_sweep(tmp_path: Path, cli: Any, model_dirs: Any,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  stop_at: int) -> None:
    """Ctrl-C during a sweep: the record on disk is the last complete one, never half a file."""
    from steerbridge.evaluation import dose

    real = dose.dose_response
    calls: list[int] = []

    def flaky(*a: Any, **k: Any) -> Any:
        calls.append(1)
        if len(calls) == stop_at:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(dose, "dose_response", flaky)
    out = write_json(tmp_path / "dose.json", OLD_RECORD)
    before = out.read_bytes()
    res = cli("dose", "--model", model_dirs[0], "--dtype", "float32", "--device", "cpu",
              "-b", "caution", "--layers", "2", "--alpha", "-2", "--alpha", "2",
              "--format", "paren", "--format", "instruction", "--max-generate", "4",
              "--max-test", "2", "-o", out)
    assert res.code == 130 and "Traceback" not in res.text, res.text
    if stop_at == 1:
        assert out.read_bytes() == before
    else:
        rec = json.loads(out.read_text())
        assert [r["format"]["name"] for r in rec["results"]] == ["paren"]
        assert rec["settings"]["formats"] == ["paren", "instruction"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("dose")] == ["dose.json"]


# ------------------------------------------------------- pairs --by transfer --format

PAIRS_FORMAT = [
    ("system", ["--format 'system' sets a system line", "does not pass on",
                "plain, instruction, paren, instruction+paren, text"]),
    ("bogus", ["Unknown answer format 'bogus'", "plain"]),
]


@pytest.mark.parametrize(("fmt", "needles"), PAIRS_FORMAT, ids=[p[0] for p in PAIRS_FORMAT])
def test_pairs_by_transfer_refuses_a_format_it_cannot_use_before_loading(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, fmt: str,
        needles: list[str]) -> None:
    _no_loading(monkeypatch)
    res = cli("pairs", "--by", "transfer", "--format", fmt, "--out-dir", tmp_path / "o")
    res.refused(*needles)
    assert not (tmp_path / "o").exists()


def test_pairs_by_r2_ignores_the_format() -> None:
    """--format only matters with --by transfer: --by r2 builds no settings to refuse."""
    from steerbridge.cli.pairs_transfer import settings

    assert settings("r2", None, "0.1", 1, 1, "", 1, Path("unused"), False, "system") is None


# ---------------------------------------------------------- [[behaviours]] scoring = "text"

def test_unknown_scoring_is_refused_naming_the_key(tmp_path: Path, cli: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _no_loading(monkeypatch)
    cfg = small_config(tmp_path, behaviours=[{"name": "weather", "generate": "g.json",
                                              "test": "t.json", "scoring": "bogus"}])
    res = cli("run", write_config(tmp_path, cfg))
    res.refused("exp.toml", "behaviours.0.scoring", "'letter' or 'text'", "'bogus'")
    assert "Value error" not in res.text and "pydantic" not in res.text
    assert not (tmp_path / "run").exists()


def _text_behaviour(tmp: Path, generate: Any, test: Any, name: str = "g.json",
                    as_json: bool = True) -> BehaviourConfig:
    g = write_input(tmp / name, generate, as_json=as_json)
    t = write_json(tmp / "t.json", test)
    return BehaviourConfig(name="weather", generate=g, test=t, scoring="text")


GOOD = [_choice_item(i) for i in range(6)]
HELD_OUT = [_choice_item(i) for i in range(100, 106)]  # test items, none in a generate file
SAME = _choice_item(0, a="Same text.", b="Same text.")
SAME["question"] = "What now?\n\nChoices:\n (A) Same text.\n (B) Same text."
ONLY_CHOICES = _choice_item(1, stem="")
TEXT_FILES: list[tuple[str, list[dict[str, str]], list[str]]] = [
    ("letters-without-choices", [*GOOD[:3], *ab_items(2, 0, ("(A)", "(B)"))],
     ["g.json:3", "names choice (", "but the question has no '(", "cannot be scored as text",
      "list the choices as '(A) …' lines", 'use scoring = "letter" for this dataset']),
    ("missing-letter-line", [*GOOD[:1], {
        "question": "Which?\n\nChoices:\n (A) Only one line here.",
        "answer_matching_behavior": "(A)", "answer_not_matching_behavior": "(B)"}],
     ["g.json:1", "answer '(B)' is not among the choices ((A))", "fix the item or remove it"]),
    ("all-identical-texts", [SAME, SAME],
     ["weather (generate): none of its 2 item(s) can be scored as text", "g.json:0",
      "identical ('Same text.')", 'use scoring = "letter"']),
]


@pytest.mark.parametrize(("case", "items", "needles"), TEXT_FILES, ids=[t[0] for t in TEXT_FILES])
def test_text_scoring_names_the_item_that_cannot_be_text(tmp_path: Path, case: str,
                                                         items: list[dict[str, str]],
                                                         needles: list[str]) -> None:
    beh = _text_behaviour(tmp_path, items, HELD_OUT)
    with pytest.raises(SteerbridgeError) as err:
        behaviour_data(beh)
    msg = str(err.value)
    for n in needles:
        assert n in msg, (n, msg)
    assert "\n" not in msg  # one paragraph
    if 'scoring = "letter"' in msg:  # the advice works: the same file scored by letter loads
        letter = beh.model_copy(update={"scoring": "letter"})
        assert len(behaviour_data(letter).generate) == len(items)


@pytest.mark.parametrize(("flawed", "where", "why"), [
    (SAME, "g.json:2", "identical ('Same text.')"),
    (ONLY_CHOICES, "g.json:2", "only a choice list")])
def test_items_with_nothing_to_contrast_as_text_are_left_out_and_named(
        tmp_path: Path, flawed: dict[str, str], where: str, why: str) -> None:
    """One flawed item does not stop a task: it is left out (the next item takes its place
    under max_generate), named in a warning and the run's notes; as letters it stays."""
    beh = _text_behaviour(tmp_path, [*GOOD[:2], flawed, *GOOD[2:5]], HELD_OUT)
    beh = beh.model_copy(update={"max_generate": 4})
    with pytest.warns(SteerbridgeWarning, match=r"weather: generate: 1 item\(s\) left out"):
        data = behaviour_data(beh)
    assert [it.source for it in data.generate] == ["g.json:0", "g.json:1", "g.json:3",
                                                   "g.json:4"]
    assert any(where in n and why in n for n in data.notes), data.notes
    letter = behaviour_data(beh.model_copy(update={"scoring": "letter"}))
    assert [it.source for it in letter.generate][2] == "g.json:2"


def test_text_scoring_reads_jsonl_with_blank_lines_and_names_real_line_numbers(
        tmp_path: Path) -> None:
    bare = ab_items(1, 0, ("(A)", "(B)"))[0]
    lines = [json.dumps(GOOD[0]), "", "   ", json.dumps(GOOD[1]), "", json.dumps(bare)]
    beh = _text_behaviour(tmp_path, "\n".join(lines) + "\n\n", HELD_OUT, name="g.jsonl",
                          as_json=False)
    with pytest.raises(SteerbridgeError, match=r"^g\.jsonl:6: answer '\(.\)' names choice"):
        behaviour_data(beh)
    (tmp_path / "g.jsonl").write_text("\n".join(lines[:5]) + "\n\n", encoding="utf-8")
    data = behaviour_data(beh)
    assert [it.source for it in data.generate] == ["g.jsonl:1", "g.jsonl:4"]
    assert all("Choices" not in it.question and it.matching.startswith(("Sunny", "Grey"))
               for it in data.generate)


def test_text_scoring_refuses_a_broken_jsonl_line_by_number(tmp_path: Path) -> None:
    lines = [json.dumps(GOOD[0]), "", json.dumps(GOOD[1])[:-5], json.dumps(GOOD[2])]
    beh = _text_behaviour(tmp_path, "\n".join(lines), HELD_OUT, name="g.jsonl", as_json=False)
    with pytest.raises(SteerbridgeError) as err:
        behaviour_data(beh)
    msg = str(err.value)
    assert msg.startswith("g.jsonl:3 is not valid JSON") and "fix or remove that line" in msg


def test_a_run_with_a_text_behaviour_that_cannot_be_text_fails_it_clearly(
        tmp_path: Path, cli: Any, model_dirs: Any) -> None:
    cfg = small_config(tmp_path, str(model_dirs[0]), str(model_dirs[1]))
    write_json(tmp_path / "bare.json", ab_items(6, 0, ("(A)", "(B)")))
    cfg["behaviours"] = [{"name": "weather", "generate": "bare.json", "test": "t.json"}]
    res = cli("run", write_config(tmp_path, cfg))  # scoring left out: text, the default
    assert res.code == 1 and "Traceback" not in res.text, res.text
    assert "1 of 1 behaviours failed" in res.text
    assert "bare.json:0: answer" in res.text and "names choice (" in res.text
    assert 'use scoring = "letter"' in res.text
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["failed"] == ["weather"] or set(saved["failed"]) == {"weather"}
    assert 'scoring = "letter"' in saved["behaviours"]["weather"]["errors"][0]
    assert not list((tmp_path / "run").glob("bridge-*"))


def test_dose_text_format_leaves_out_flawed_items_and_refuses_when_none_is_left() -> None:
    """`dose --format text` reads items as `run` does: a flawed item is left out with a
    warning naming it; a set with no item left is refused with the fix."""
    from steerbridge.evaluation.dose import answer_format
    from steerbridge.vectors.datasets import make_item

    good, _ = make_item(GOOD[0], "g.json:0")
    same, _ = make_item(SAME, "g.json:1")
    assert good is not None and same is not None
    with pytest.warns(SteerbridgeWarning, match=r"format text: 1 item\(s\) left out.*g\.json:1"):
        kept = answer_format("text").apply([good, same])
    assert [it.source for it in kept] == ["g.json:0"]
    with pytest.raises(SteerbridgeError, match=r"format text: none of its 1 item\(s\).*"
                                               r"compare letter formats only"):
        answer_format("text").apply([same])
