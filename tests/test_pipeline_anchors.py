"""``[transfer.anchors]`` on tiny models: each behaviour gets its own bridge anchored on the
other datasets' answer pairs (never its own), cached, recorded in results.json, checked before
any model loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from steerbridge.bridge.affine import Bridge
from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_pair
from steerbridge.run import config as C
from steerbridge.run import pipeline
from steerbridge.run.anchor_stage import held_out_pool
from steerbridge.run.behaviour_data import BehaviourData, behaviour_data
from steerbridge.vectors import datasets


@pytest.fixture(scope="module")
def models():
    return tiny_pair()


def _items(path: Path, tag: str, n: int) -> Path:
    path.write_text(json.dumps([{"question": f"{tag} question {i}: is the weather lovely?",
                                 "answer_matching_behavior": "A" if i % 2 else "B",
                                 "answer_not_matching_behavior": "B" if i % 2 else "A"}
                                for i in range(n)]))
    return path


def _config(tmp: Path, anchors: list[str], **bridge: object) -> C.Config:
    behaviours = [{"name": n, "generate": str(_items(tmp / f"{n}-g.json", f"{n} gen", 10)),
                   "test": str(_items(tmp / f"{n}-t.json", f"{n} test", 6)), "scoring": "letter"}
                  for n in ("sun", "rain")]
    return C.from_dict({
        "models": {"source": "tiny-src", "target": "tiny-tgt", "dtype": "float32"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 2000, **bridge},
        "behaviours": behaviours,
        "evaluation": {"alphas": [-2.0, 2.0], "random_seeds": [0], "n_boot": 20,
                       "side_effects_tokens": 0, "generations": 0},
        "transfer": {"method": "state", "anchors": {"datasets": anchors, "items": 8}},
        "run": {"dir": str(tmp / "run")},
    })


def test_each_behaviour_is_anchored_on_the_others_never_itself(tmp_path: Path, models) -> None:
    other = str(_items(tmp_path / "other.json", "unrelated", 12))
    # the pool holds sun's own generate file: sun must not see it, rain may
    cfg = _config(tmp_path, [str(tmp_path / "sun-g.json"), other])
    res = pipeline.run(cfg, models=models)
    run = tmp_path / "run"
    for name in ("sun", "rain"):
        assert "summary" in res["behaviours"][name], res["behaviours"][name].get("errors")
    saved = json.loads((run / "results.json").read_text())
    sun, rain = (saved["behaviours"][n]["anchors"] for n in ("sun", "rain"))
    assert set(sun["datasets"]) == {other} and sun["left_out"] == [str(tmp_path / "sun-g.json")]
    assert set(rain["datasets"]) == {other, str(tmp_path / "sun-g.json")}
    assert sun["weight"] == 1.0 and sun["val_r2"] is not None
    # the report says which datasets each bridge was anchored on, and which were left out
    note = next(n for n in saved["behaviours"]["sun"]["notes"] if "anchored" in n)
    assert "1 dataset(s): " in note and "other.json" in note and "sun-g.json" in note
    assert note in (run / "report.md").read_text()

    corpus = Bridge.load(next(p for p in run.glob("bridge-*.safetensors")
                              if "anchored" not in p.name), *models)
    files = {n: next(run.glob(f"bridge-*-anchored-{n}.safetensors")) for n in ("sun", "rain")}
    anchored = {n: Bridge.load(p, *models) for n, p in files.items()}
    for b in anchored.values():
        assert not torch.allclose(b.W, corpus.W)  # the anchors moved the map
        assert b.provenance["anchors"]["pairs"] > 0 and b.target_scale == corpus.target_scale
    assert not torch.allclose(anchored["sun"].W, anchored["rain"].W)  # different pools

    # a rerun reuses the anchored bridges and the anchor moments
    messages: list[str] = []
    pipeline.run(cfg, hooks=pipeline.Hooks(stage=messages.append), models=models)
    assert not any("anchors: answer states" in m for m in messages)
    assert any("sun: reusing" in m for m in messages)


def test_a_behaviour_with_no_anchor_left_fails_alone(tmp_path: Path, models) -> None:
    cfg = _config(tmp_path, [str(tmp_path / "sun-g.json")])
    res = pipeline.run(cfg, models=models)
    assert "summary" in res["behaviours"]["rain"]
    assert "sun" in res["failed"]
    assert "shares questions" in json.dumps(res["behaviours"]["sun"]["errors"])


def test_held_out_pool_drops_datasets_sharing_a_question(tmp_path: Path) -> None:
    cfg = _config(tmp_path, [])
    sun = cfg.behaviours[0]
    data = behaviour_data(sun)
    own = datasets.load(str(tmp_path / "sun-t.json")).items
    unrelated = datasets.load(str(_items(tmp_path / "u.json", "unrelated", 4))).items
    kept = held_out_pool({"own-test": own, "sun": unrelated, "u": unrelated}, sun, data)
    assert list(kept) == ["u"]  # its test questions, and a dataset named like it, are out


def test_bad_anchor_settings_fail_before_models_load(tmp_path: Path) -> None:
    with pytest.raises(SteerbridgeError, match="does not exist|Unknown dataset|no such"):
        pipeline.run(_config(tmp_path, [str(tmp_path / "missing.json")]))
    with pytest.raises(SteerbridgeError, match="closed-form"):
        pipeline.run(_config(tmp_path, ["caution"], method="sgd"))
    with pytest.raises(SteerbridgeError, match=r"transfer\.anchors\.weight"):
        C.from_dict({**_config(tmp_path, []).to_dict(),
                     "transfer": {"anchors": {"datasets": ["caution"], "weight": -1}}})
    base = _config(tmp_path, []).to_dict()
    assert "anchors" not in C.from_dict(base).transfer.key_part()  # unanchored keys unchanged


def test_an_anchor_that_cannot_take_the_behaviours_format_is_named(tmp_path: Path) -> None:
    cfg = _config(tmp_path, [])
    text_beh = cfg.behaviours[0].model_copy(update={"scoring": "text"})
    no_choices = datasets.load(str(_items(tmp_path / "u.json", "bare", 3))).items
    with pytest.raises(SteerbridgeError, match=r"dataset 'bare-set' cannot be put in sun's"):
        held_out_pool({"bare-set": no_choices}, text_beh, BehaviourData([], [], []))
