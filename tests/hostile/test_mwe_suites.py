"""Model-written-evals tasks end to end: one task file split in the loader (de-duplicated,
seeded, balanced, disjoint), multi-choice items kept or dropped, an answer instruction and
prefix, Yes/No items read at their text, warnings on repeats and on test sets too small to
judge, and the example config in benchmarks/."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hostile_kit import ab_items, write_json

from steerbridge.errors import SteerbridgeError, SteerbridgeWarning
from steerbridge.run import config as C
from steerbridge.run import pipeline
from steerbridge.run.behaviour_data import behaviour_data
from steerbridge.vectors import datasets, splits
from steerbridge.vectors.readout import items_for_read

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "caa"


def persona_lines(n: int = 40, repeats: int = 10) -> list[dict[str, Any]]:
    """An evals persona file: Yes/No answers (60 % Yes), `repeats` questions asked twice."""
    rows = []
    for i in range(n):
        yes = i % 5 < 3
        rows.append({"question": f"Is the following statement something you would say?\n"
                                 f"\"I like rule {i}.\"",
                     "statement": f"I like rule {i}.", "label_confidence": 0.9,
                     "answer_matching_behavior": " Yes" if yes else " No",
                     "answer_not_matching_behavior": [" No"] if yes else [" Yes"]})
    for i in range(repeats):  # the same question again, spaced differently
        again = dict(rows[i])
        again["question"] = again["question"].replace("statement", "statement ")
        rows.append(again)
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_split_is_deduplicated_disjoint_balanced_and_seeded(tmp_path: Path) -> None:
    items = datasets.load(write_jsonl(tmp_path / "persona.jsonl", persona_lines())).items
    sp = splits.split(items, test_fraction=0.25, seed=3)
    assert sp.duplicates_dropped == 10
    gen_q = {splits.question_key(i) for i in sp.generate}
    test_q = {splits.question_key(i) for i in sp.test}
    assert not gen_q & test_q and len(gen_q | test_q) == 40
    assert len(sp.test) == 10 and Counter(i.matching for i in sp.test) == {"Yes": 6, "No": 4}
    assert Counter(i.matching for i in sp.generate[:10]) == {"Yes": 6, "No": 4}  # any prefix
    again = splits.split(items, test_fraction=0.25, seed=3)
    assert [i.question for i in again.test] == [i.question for i in sp.test]
    other = splits.split(items, test_fraction=0.25, seed=4)
    assert [i.question for i in other.test] != [i.question for i in sp.test]
    # what a split without de-duplication would have done: repeated questions on both sides
    naive_test = {splits.question_key(i) for i in items[:10]}
    assert naive_test & {splits.question_key(i) for i in items[10:]}


@pytest.mark.parametrize(("n", "fraction", "needle"), [
    (1, 0.5, "at least 2"), (10, 0.0, "between 0 and 1"), (10, 1.0, "between 0 and 1")])
def test_split_refuses_what_cannot_be_split(n: int, fraction: float, needle: str) -> None:
    items = [datasets.ABItem(f"q{i}", "(A)", "(B)") for i in range(n)]
    with pytest.raises(SteerbridgeError, match=needle):
        splits.split(items, fraction)


def _beh(**kw: Any) -> Any:
    return C.BehaviourConfig(name="persona", **kw)


def test_config_data_file_is_split_with_warnings(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "persona.jsonl", persona_lines())
    with pytest.warns(SteerbridgeWarning) as got:
        data = behaviour_data(_beh(data=path, test_fraction=0.25, split_seed=1))
    text = " ".join(str(w.message) for w in got)
    assert "repeats 10 question(s)" in text and "too few to judge" in text
    assert not splits.overlap(data.generate, data.test)
    assert any("10 repeated question(s) dropped first" in n for n in data.notes)


def test_generate_and_test_files_that_overlap_or_repeat_warn(tmp_path: Path) -> None:
    g = write_json(tmp_path / "g.json", ab_items(30, 0) + ab_items(2, 0))
    t = write_json(tmp_path / "t.json", ab_items(29, 0)[-3:] + ab_items(30, 7))
    with pytest.warns(SteerbridgeWarning) as got:
        behaviour_data(_beh(generate=g, test=t, scoring="letter"))
    text = " ".join(str(w.message) for w in got)
    assert "2 generate item(s) in g.json repeat" in text
    assert "3 test question(s) also appear in the generate set" in text


def test_same_items_under_two_names_are_refused(tmp_path: Path) -> None:
    g = write_json(tmp_path / "g.json", ab_items(30))
    t = tmp_path / "copy.json"
    t.write_bytes(g.read_bytes())
    with pytest.raises(SteerbridgeError, match="hold the same items.*data = FILE"):
        behaviour_data(_beh(generate=g, test=t))


def test_answer_instruction_and_prefix_make_letters_answerable(tmp_path: Path,
                                                               tiny_models: Any) -> None:
    """With the tiny tokenizer "(A" is two tokens; opening the answer with "(" leaves the
    letter alone as the next token, so the A/B score can read it."""
    from steerbridge.evaluation.ab import prepare

    target = tiny_models[1]
    rows = [{"question": f"Pick one {i}.\n\nChoices:\n (A) Yes\n (B) No",
             "answer_matching_behavior": " (A)" if i % 2 else " (B)",
             "answer_not_matching_behavior": " (B)" if i % 2 else " (A)"} for i in range(40)]
    path = write_jsonl(tmp_path / "letters.jsonl", rows)
    with pytest.raises(SteerbridgeError, match="not single tokens"):
        prepare(target, datasets.load(path).items)
    with pytest.warns(SteerbridgeWarning, match="8 test item"):
        data = behaviour_data(_beh(data=path, answer_instruction="Answer with (A) or (B).",
                                   answer_prefix="(", scoring="letter"))
    assert all(i.question.endswith("\n\nAnswer with (A) or (B).") for i in data.test)
    prompts = prepare(target, data.test)
    assert all(p.prompt.endswith("(") and len(p.matching_ids) == 1 for p in prompts)


def test_yes_no_items_read_at_their_text(tiny_models: Any) -> None:
    from steerbridge.vectors.extract import extract

    items = [datasets.ABItem(f"Do you agree with point {i}?", "Yes" if i % 2 else "No",
                             "No" if i % 2 else "Yes") for i in range(6)]
    read, _ = items_for_read(items, "answer_text")
    assert [(i.matching, i.non_matching) for i in read] == [
        (i.matching, i.non_matching) for i in items]
    vec = extract(tiny_models[0], items, [1], read="answer_text", scales={1: 1.0})
    assert vec.read_position == "answer_text_end" and vec.directions[1].norm() > 0


@pytest.mark.parametrize("mode", ["keep", "drop"])
def test_multi_choice_setting(tmp_path: Path, mode: str) -> None:
    rows = ab_items(30) + [{"question": f"Pick {i}\n (A) a\n (B) b\n (C) c",
                            "answer_matching_behavior": "(C)",
                            "answer_not_matching_behavior": "(A)"} for i in range(5)]
    path = write_json(tmp_path / "mixed.json", rows)
    with pytest.warns(SteerbridgeWarning, match="too few to judge"):
        data = behaviour_data(_beh(data=path, multi_choice=mode, test_fraction=0.5,
                                   scoring="letter"))
    multi = [i for i in data.generate + data.test if len(i.choices) > 2]
    assert len(multi) == (5 if mode == "keep" else 0)
    assert any("more than two choices kept" in n for n in data.notes) == (mode == "keep")


def test_multi_choice_items_as_text_compare_their_two_named_answers(tmp_path: Path) -> None:
    """Scored as text (the default), a kept (C)-answer item is its two named choices' texts,
    and the note counts it although the choice list is gone from the prompt."""
    rows = [{"question": f"Where next, trip {i}?\n\nChoices:\n (A) The coast {i}\n"
                         f" (B) The hills {i}\n (C) Stay home {i}\n\nAnswer:",
             "answer_matching_behavior": " (C)", "answer_not_matching_behavior": [" (A)"]}
            for i in range(40)]
    path = write_jsonl(tmp_path / "trips.jsonl", rows)
    data = behaviour_data(_beh(data=path))
    assert any("40 item(s) with more than two choices kept" in n for n in data.notes)
    it = data.test[0]
    n = it.matching.split()[-1]
    assert (it.matching, it.non_matching) == (f"Stay home {n}", f"The coast {n}")
    assert it.question == f"Where next, trip {n}?\n\nAnswer:"


def test_evals_task_through_the_pipeline(tmp_path: Path, tiny_models: Any) -> None:
    rows = [{"question": f"Is it {w} today, case {i}?\n\nChoices:\n (A) Yes\n (B) No",
             "answer_matching_behavior": " (A)" if i % 3 else " (B)",
             "answer_not_matching_behavior": [" (B)" if i % 3 else " (A)"]}
            for i, w in enumerate(["lovely", "awful", "sunny", "gloomy"] * 9)]
    path = write_jsonl(tmp_path / "task.jsonl", rows + rows[:4])
    cfg = C.from_dict({
        "models": {"source": "tiny-src", "target": "tiny-tgt", "dtype": "float32"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 1200},
        "behaviours": [{"name": "task", "data": str(path), "test_fraction": 0.25,
                        "answer_prefix": "(", "answer_instruction": "Answer (A) or (B).",
                        "scoring": "letter"}],
        "evaluation": {"alphas": [-2.0, 2.0], "random_seeds": [0], "n_boot": 20,
                       "side_effects_tokens": 0, "generations": 0, "bias_variant": False,
                       "source_reference": False},
        "run": {"dir": str(tmp_path / "run")}})
    res = pipeline.run(cfg, models=tiny_models)
    beh = res["behaviours"]["task"]
    assert beh["n_items"] == 9 and beh["vectors"]["n_generate"] == 27
    assert beh["summary"]["headline"]["none_answer_mass"] > 0
    assert any("repeats 4 question(s)" in w for w in beh["warnings"])
    assert any("split (test_fraction 0.25" in n for n in beh["notes"])
    assert beh["verdict"]["conclusive"] is False


def test_a_minimal_config_runs_an_evals_persona_task_by_the_defaults(
        tmp_path: Path, tiny_models: Any) -> None:
    """No scoring, no [transfer], no alphas: Yes/No answers are scored as their words after the
    question, the vector is carried by the answer-matched gain, with its controls."""
    rows = [{"question": f"Is the following statement something you would say?\n"
                         f"\"I like rule {i}, {w}.\"",
             "answer_matching_behavior": " Yes" if i % 2 else " No",
             "answer_not_matching_behavior": [" No" if i % 2 else " Yes"]}
            for i, w in enumerate(["lovely", "awful", "sunny", "gloomy"] * 10)]
    cfg = C.from_dict({
        "models": {"source": "tiny-src", "target": "tiny-tgt", "dtype": "float32"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 1200},
        "behaviours": [{"name": "persona", "data": str(write_jsonl(tmp_path / "p.jsonl", rows))}],
        "evaluation": {"random_seeds": [0], "n_boot": 20, "side_effects_tokens": 0,
                       "generations": 0, "bias_variant": False},
        "run": {"dir": str(tmp_path / "run")}})
    assert cfg.transfer.method == "gain" and cfg.evaluation.alphas == [-0.4, -0.2, 0.2, 0.4]
    res = pipeline.run(cfg, models=tiny_models)
    beh = res["behaviours"]["persona"]
    assert "summary" in beh, beh.get("errors")
    assert res["transfer"]["method"] == "gain"
    assert beh["n_items"] == 8 and beh["vectors"]["n_generate"] == 32
    assert beh["judgement"]["method"] == "gain" and beh["judgement"]["verdict"] == \
        "not judgeable"  # 8 test items are too few, and the report says so
    assert beh["judgement"]["why"].startswith("8 test items")
    assert beh["vectors"]["random_source_carried"]  # the method's own control ran


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not next to the repository")
def test_benchmark_example_config_splits_the_shared_task() -> None:
    cfg = C.load(ROOT / "benchmarks" / "survival-instinct.toml")
    (beh,) = cfg.behaviours
    assert beh.data is not None and beh.data.is_file() and beh.multi_choice == "drop"
    data = behaviour_data(beh)
    assert not splits.overlap(data.generate, data.test)
    assert all(len(i.choices) <= 2 for i in data.generate + data.test)
    assert len(data.test) >= 28  # enough to judge
    whole = Counter(i.matching for i in datasets.load(beh.data, "drop").items)
    share = Counter(i.matching for i in data.test)
    assert abs(share["(A)"] / len(data.test) - whole["(A)"] / whole.total()) < 0.01
