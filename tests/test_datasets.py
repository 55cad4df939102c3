"""A/B items: loaders, validation, chat-template prompts, built-in behaviours."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_tokenizer
from steerbridge.vectors import datasets as d
from steerbridge.vectors.prompts import build_prompts

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "caa"
Q = "Is this fine?\n\nChoices:\n (A) Yes\n (B) No"


def _write(tmp_path: Path, items: object, name: str = "x.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(items))
    return p


def test_load_caa_and_counts(tmp_path: Path) -> None:
    three = "Q?\n\nChoices:\n (A) a\n (B) b\n (C) c"
    items = [
        {"question": Q, "answer_matching_behavior": "(A)", "answer_not_matching_behavior": "(B)"},
        {"question": three, "answer_matching_behavior": "(C)",
         "answer_not_matching_behavior": "(A)"},
    ]
    p = _write(tmp_path, items)
    kept = d.load_caa(p)
    assert len(kept) == 2 and kept.multi_choice_kept == 1
    dropped = d.load_caa(p, multi_choice="drop")
    assert len(dropped) == 1 and dropped.dropped["with more than two choices"] == 1
    assert kept.items[0].choices == ["A", "B"]
    assert "1 with more than two choices" in kept.summary()


def test_missing_field_names_the_item(tmp_path: Path) -> None:
    p = _write(tmp_path, [{"question": Q, "answer_matching_behavior": "(A)"}])
    with pytest.raises(SteerbridgeError, match=r"x\.json:0.*answer_not_matching_behavior"):
        d.load_caa(p)


def test_answer_not_among_choices(tmp_path: Path) -> None:
    p = _write(tmp_path, [{"question": Q, "answer_matching_behavior": "(C)",
                           "answer_not_matching_behavior": "(B)"}])
    with pytest.raises(SteerbridgeError, match=r"x\.json:0.*'\(C\)' is not among the choices"):
        d.load_caa(p)


def test_empty_after_filtering(tmp_path: Path) -> None:
    three = "Q?\n\nChoices:\n (A) a\n (B) b\n (C) c"
    p = _write(tmp_path, [{"question": three, "answer_matching_behavior": "(C)",
                           "answer_not_matching_behavior": "(A)"}])
    with pytest.raises(SteerbridgeError, match="No A/B items left"):
        d.load_caa(p, multi_choice="drop")


def test_anthropic_jsonl(tmp_path: Path) -> None:
    lines = [
        {"question": Q, "answer_matching_behavior": " (A)", "answer_not_matching_behavior": " (B)"},
        {"question": "Do you like tea?", "answer_matching_behavior": " Yes",
         "answer_not_matching_behavior": [" No"]},
        {"question": "Pick", "answer_matching_behavior": " (A)",
         "answer_not_matching_behavior": [" (B)", " (C)"]},
    ]
    p = tmp_path / "e.jsonl"
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    ds = d.load_anthropic_jsonl(p)
    assert [(it.matching, it.non_matching) for it in ds] == [("(A)", "(B)"), ("Yes", "No")]
    assert ds.dropped["with several non-matching answers"] == 1
    assert ds.items[0].source == "e.jsonl:1"


def test_answer_text() -> None:
    assert d.answer_text(" (A)") == "(A"
    assert d.answer_text("(B)") == "(B"
    assert d.answer_text(" Yes") == "Yes"


def test_build_prompts_opens_assistant_turn() -> None:
    tok = tiny_tokenizer()
    item = d.ABItem(Q, "(A)", "(B)")
    ps = build_prompts(tok, [item])
    p = ps.prompts[0]
    assert p.prompt.endswith("<|im_start|>assistant\n")
    assert "<|im_start|>user\n" + Q in p.prompt
    assert tok.decode(p.matching_ids) == "(A" and tok.decode(p.non_matching_ids) == "(B"
    assert p.prompt_ids == tok.encode(p.prompt, add_special_tokens=False)
    with_system = build_prompts(tok, [item], system="Be brief.").prompts[0].prompt
    assert with_system.startswith("<|im_start|>system\nBe brief.")


def test_build_prompts_counts_dropped() -> None:
    tok = tiny_tokenizer()
    items = [d.ABItem(Q, "(A)", "(B)"), d.ABItem(Q * 20, "(A)", "(B)")]
    ps = build_prompts(tok, items, max_tokens=80)
    assert len(ps) == 1 and ps.dropped["longer than 80 tokens"] == 1
    with pytest.raises(SteerbridgeError, match="No A/B prompts left"):
        build_prompts(tok, items[1:], max_tokens=80)


def test_builtin_datasets() -> None:
    names = d.builtin_names()
    assert {"positive-tone", "formal-register", "caution"} <= set(names)
    for name in names:
        gen, test = d.builtin(name)
        assert len(gen) + len(test) >= 150, name
        assert not {it.question for it in gen} & {it.question for it in test}
        letters = [it.matching for it in gen]
        assert 0.3 < letters.count("(A)") / len(letters) < 0.7, name  # letters balanced
        assert "Measures" in d.builtin_card(name)
        assert len(d.builtin_open_prompts(name)) >= 5
    assert d.load("caution").name == "caution"


def test_dataset_fingerprint_stable() -> None:
    gen, _ = d.builtin("caution")
    assert d.dataset_fingerprint(gen) == d.dataset_fingerprint(list(gen))
    assert d.dataset_fingerprint(gen) != d.dataset_fingerprint(gen[1:])


@pytest.mark.skipif(not SHARED.exists(), reason="shared CAA data absent")
def test_shared_caa_survival_instinct() -> None:
    path = SHARED / "generate" / "survival-instinct" / "generate_dataset.json"
    kept = d.load_caa(path)
    dropped = d.load_caa(path, multi_choice="drop")
    assert len(kept) == 903
    assert len(dropped) + dropped.dropped["with more than two choices"] == 903


def test_with_choice_text_and_its_error() -> None:
    q = "How was it?\n\nChoices:\n (A) Lovely, thanks!\n (B) Dreadful.  "
    it = d.ABItem(q, "(B)", "(A)", "x.json:3")
    assert d.choice_text(q, "A") == "Lovely, thanks!" and d.choice_text(q, "C") is None
    full = d.with_choice_text([it])[0]
    assert (full.matching, full.non_matching) == ("(B) Dreadful.", "(A) Lovely, thanks!")
    assert d.answer_text(full.matching) == "(B) Dreadful."  # appended whole
    with pytest.raises(SteerbridgeError, match=r"x\.json:4.*choice line"):
        d.with_choice_text([d.ABItem("Pick one.", "(A)", "(B)", "x.json:4")])
    # a Yes/No answer is its own text (issue 13): it is read as it is
    yes_no = d.with_choice_text([d.ABItem("Yes or no?", "Yes", "No", "x.json:5")])[0]
    assert (yes_no.matching, yes_no.non_matching) == ("Yes", "No")


def test_generator_tool_reproduces_the_committed_data(tmp_path: Path) -> None:
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("make_datasets", root / "tools/make_datasets.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main([str(tmp_path)])
    for name in d.builtin_names():
        for split in ("generate", "test"):
            made = (tmp_path / name / f"{split}.json").read_text(encoding="utf-8")
            assert made == (tool.DATA_DIR / name / f"{split}.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "matching", "other"), [
    ("joy", "happy", "sad"), ("formal-greeting", "Good afternoon", "Hiya")])
def test_one_word_answers_differ_in_that_word_alone(name: str, matching: str,
                                                    other: str) -> None:
    """The one-word design (RESULTS §7p, §7r): both answers one sentence but for the word, so
    wording favours neither; the matching word is (A) on half the items of each split."""
    for split in d.builtin(name):
        for it in split:
            a, b = (d.choice_text(it.question, x) or "" for x in "AB")
            assert a != b and a.replace(matching, other) in (b, b.replace(matching, other)), \
                it.source
            assert matching in (d.choice_text(it.question, it.matching[1]) or ""), it.source
            assert other in (d.choice_text(it.question, it.non_matching[1]) or ""), it.source
        assert [it.matching for it in split].count("(A)") * 2 == len(split)
