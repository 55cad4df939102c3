"""Hostile input to ``[transfer.anchors]``: bad datasets and settings are refused by name before
any model loads (exit 2, no traceback); corrupt cached anchor moments or anchored bridge files
are set aside and made again, giving the same bridge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from hostile_kit import PICKLE, ab_items, small_config, write_config, write_json


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    import steerbridge.models.loading as loading

    monkeypatch.setattr(loading, "load", lambda *a, **k: pytest.fail("a model was loaded"))


ANCHORS = [
    ('datasets = ["missing.json"]\n', ["missing.json"]),
    ('datasets = ["folder"]\n', ["folder", "holds no A/B dataset"]),  # an empty folder
    ('datasets = ["mixed"]\n', ["open.json", "from the folder", "list the files you want"]),
    ('datasets = ["pickled.json"]\n', ["pickled.json"]),
    ('datasets = ["no-such-behaviour"]\n', ["no-such-behaviour", "built-in"]),
    ('datasets = ["caution"]\nweight = -1\n', ["transfer.anchors.weight"]),
    ('datasets = ["caution"]\nweight = nan\n', ["transfer.anchors.weight"]),
    ('datasets = ["caution"]\nitems = 0\n', ["transfer.anchors.items"]),
    ('datasets = "caution"\n', ["transfer.anchors.datasets"]),
    ('dataset = ["caution"]\n', ["transfer.anchors.dataset", "unknown key"]),
]


@pytest.mark.parametrize(("section", "needles"), ANCHORS,
                         ids=["missing", "folder", "mixed-folder", "pickle", "unknown-name",
                              "weight-neg", "weight-nan", "items-zero", "not-a-list", "typo"])
def test_bad_anchor_settings_are_refused_before_loading(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, section: str,
        needles: list[str]) -> None:
    _no_loading(monkeypatch)
    (tmp_path / "folder").mkdir()
    (tmp_path / "mixed").mkdir()  # one A/B file and one that is not (no answers)
    write_json(tmp_path / "mixed" / "ab.json", ab_items(4))
    write_json(tmp_path / "mixed" / "open.json", [{"question": "An open question?"}])
    (tmp_path / "pickled.json").write_bytes(PICKLE)
    path = write_config(tmp_path, small_config(tmp_path))
    path.write_text(path.read_text() + "\n[transfer.anchors]\n" + section, encoding="utf-8")
    cli("run", path).refused(*needles)


def test_anchors_on_an_sgd_bridge_are_refused_before_loading(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_loading(monkeypatch)
    raw = small_config(tmp_path)
    raw["bridge"]["method"] = "sgd"
    path = write_config(tmp_path, raw)
    path.write_text(path.read_text() + '\n[transfer.anchors]\ndatasets = ["caution"]\n',
                    encoding="utf-8")
    cli("run", path).refused("closed-form", "ridge")


@pytest.mark.filterwarnings("ignore:.*too few to judge")
@pytest.mark.parametrize("kind", ["truncated", "pickle"])
def test_corrupt_anchor_caches_are_set_aside_and_made_again(
        tmp_path: Path, tiny_models: Any, kind: str) -> None:
    from steerbridge.bridge.affine import Bridge
    from steerbridge.run import config as C
    from steerbridge.run import pipeline

    raw = small_config(tmp_path)
    raw["behaviours"][0].update(generate=str(tmp_path / "g.json"), test=str(tmp_path / "t.json"))
    write_json(tmp_path / "other.json", ab_items(10, 2))
    raw["transfer"] = {"anchors": {"datasets": [str(tmp_path / "other.json")], "items": 8}}
    raw["run"]["dir"] = str(tmp_path / "run")
    cfg = C.from_dict(raw)
    res = pipeline.run(cfg, models=tiny_models)
    assert "summary" in res["behaviours"]["weather"], res["behaviours"]["weather"].get("errors")
    run = tmp_path / "run"
    (bridge,) = run.glob("bridge-*-anchored-weather.safetensors")
    (moments,) = (run / "moments").glob("anchors-*.safetensors")
    first = Bridge.load(bridge, *tiny_models).W.clone()
    for f in (bridge, moments):
        data = f.read_bytes()
        f.write_bytes(data[: len(data) // 2] if kind == "truncated" else PICKLE)
    for f in run.glob("eval/*.json"):  # so the rerun reaches the transfer stage again
        f.unlink()
    again = pipeline.run(cfg, models=tiny_models)
    assert "summary" in again["behaviours"]["weather"]
    told = json.dumps(again.get("warnings", [])) + json.dumps(again["behaviours"]["weather"])
    assert told.count("set it aside") >= 2, told[:2000]  # the user is told, for both files
    assert list(run.glob(f"{bridge.name}.corrupt-*"))
    assert list((run / "moments").glob(f"{moments.name}.corrupt-*"))
    assert torch.allclose(Bridge.load(bridge, *tiny_models).W, first, atol=1e-6)
