"""A folder named as a dataset list: CAA layouts give their generate files, other folders
their .json / .jsonl files, and an empty one is named in the error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steerbridge.errors import SteerbridgeError
from steerbridge.run import config as C
from steerbridge.run.anchor_stage import anchor_pool
from steerbridge.run.keys import anchors_part
from steerbridge.vectors.dataset_folders import expand, expand_all


def _ab(path: Path, tag: str, n: int = 3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"question": f"{tag} {i}?\n\nChoices:\n (A) yes\n (B) no",
                                 "answer_matching_behavior": "(A)",
                                 "answer_not_matching_behavior": "(B)"} for i in range(n)]))
    return path


def test_a_caa_folder_gives_its_generate_files_sorted_and_never_its_test_splits(
        tmp_path: Path) -> None:
    for name in ("zeta", "alpha"):
        _ab(tmp_path / "generate" / name / "generate_dataset.json", name)
        _ab(tmp_path / "test" / name / "test_dataset_ab.json", f"{name} test")
    got = expand(str(tmp_path))
    assert got == [str(tmp_path / "generate" / n / "generate_dataset.json")
                   for n in ("alpha", "zeta")]


def test_a_plain_folder_gives_its_json_and_jsonl_files(tmp_path: Path) -> None:
    _ab(tmp_path / "b.json", "b")
    (tmp_path / "a.jsonl").write_text(json.dumps({"question": "Q?", "answer_matching_behavior":
                                                  " Yes", "answer_not_matching_behavior": " No"}))
    (tmp_path / "notes.txt").write_text("not data")
    _ab(tmp_path / "deeper" / "c.json", "c")  # only files directly inside count
    assert expand(str(tmp_path)) == [str(tmp_path / "a.jsonl"), str(tmp_path / "b.json")]


def test_files_and_names_pass_through_and_an_empty_folder_is_named(tmp_path: Path) -> None:
    f = _ab(tmp_path / "x.json", "x")
    assert expand("caution") == ["caution"] and expand(str(f)) == [str(f)]
    assert expand_all([str(f), str(tmp_path), "caution"]) == [str(f), "caution"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SteerbridgeError, match=r"empty holds no A/B dataset.*CAA layout"):
        expand(str(empty))


def test_an_anchor_folder_loads_each_file_and_keys_like_the_files_listed(tmp_path: Path) -> None:
    files = [_ab(tmp_path / "pool" / "generate" / n / "generate_dataset.json", n)
             for n in ("one", "two")]

    def cfg(anchors: list[str]) -> C.Config:
        return C.from_dict({
            "models": {"source": "tiny-src", "target": "tiny-tgt"},
            "bridge": {"source_layer": 2, "target_layer": 3},
            "behaviours": [{"name": "caution", "builtin": "caution"}],
            "transfer": {"anchors": {"datasets": anchors}},
        })

    by_folder, by_files = cfg([str(tmp_path / "pool")]), cfg([str(f) for f in files])
    assert list(anchor_pool(by_folder)) == [str(f) for f in files]
    before = anchors_part(by_folder)
    assert before == anchors_part(by_files)
    _ab(files[0], "one, edited")  # a file's content is in the key, through the folder too
    assert anchors_part(by_folder) != before
    assert anchors_part(by_folder) == anchors_part(by_files)


def test_a_folder_holding_a_file_that_is_not_ab_data_names_file_and_folder(tmp_path: Path) -> None:
    """Like a CAA test folder, whose open-ended file has no answers: the error says which file,
    which folder it came from, and what to do."""
    _ab(tmp_path / "mixed" / "test_dataset_ab.json", "ab")
    (tmp_path / "mixed" / "test_dataset_open_ended.json").write_text(
        json.dumps([{"question": "Open question?"}]))
    cfg = C.from_dict({
        "models": {"source": "tiny-src", "target": "tiny-tgt"},
        "bridge": {"source_layer": 2, "target_layer": 3},
        "behaviours": [{"name": "caution", "builtin": "caution"}],
        "transfer": {"anchors": {"datasets": [str(tmp_path / "mixed")]}},
    })
    with pytest.raises(SteerbridgeError, match=r"test_dataset_open_ended\.json.*from the folder "
                       r".*mixed.*list the files you want.*answer_matching_behavior"):
        anchor_pool(cfg)
