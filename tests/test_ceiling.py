"""The native ceiling (`evaluation.ceiling`): random directions at native's norm, read as shares
of native's change, so a run says whether "transfers" was within reach of any method."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from steerbridge.evaluation.ceiling import shares
from steerbridge.evaluation.verdicts import ceiling_note, verdict_lines
from steerbridge.models.tiny import tiny_pair
from steerbridge.run import config as C
from steerbridge.run import keys, pipeline
from tests.test_pipeline_anchors import _items


def _conds() -> dict:
    """Native moves p by −0.2, −0.1, +0.1, +0.2 at α −0.4 … 0.4; two random directions move it
    up whatever their sign (+0.05 / +0.1 at 0.4, +0.02 / 0 at 0.2): an even-order push."""
    def rows(*dp: float) -> dict:
        return {"p": np.array([[0.5 + d] * 3 for d in dp])}
    return {"none": {"p": np.full(3, 0.5)}, "native": rows(-0.2, -0.1, 0.1, 0.2),
            "random:0": rows(0.05, 0.02, 0.02, 0.05), "ceiling:1": rows(0.1, 0.0, 0.0, 0.1)}


def test_shares_at_the_best_alpha_at_every_alpha_and_on_the_odd_part() -> None:
    r = shares(_conds(), [-0.4, -0.2, 0.2, 0.4], "p")
    assert r["best_alpha"] == -0.4  # the first of the two largest |changes|
    assert r["random"] == pytest.approx({"random:0": -0.25, "ceiling:1": -0.5})
    assert r["random_mean"] == pytest.approx(-0.375) and not r["reachable"]
    at_02 = r["by_alpha"][2]
    assert at_02["alpha"] == 0.2 and at_02["random_mean"] == pytest.approx(0.1)
    # the odd part cancels a push that moves p the same way whatever its sign
    assert [o["alpha"] for o in r["odd"]] == [0.2, 0.4]
    assert all(o["random_mean"] == pytest.approx(0.0) for o in r["odd"])
    assert r["odd"][1]["native_odd_change"] == pytest.approx(0.2)


def test_the_note_says_within_or_out_of_reach() -> None:
    out = ceiling_note({"random_mean": 0.16, "random_se": 0.05, "reachable": False, "n": 4})
    assert "+0.16 ± 0.05" in out and "out of reach for any method" in out and "--push" in out
    assert "within reach" in ceiling_note({"random_mean": -0.02, "reachable": True, "n": 1})
    assert ceiling_note(None) == "" and ceiling_note({"n": 2}) == ""


def _config(tmp: Path, ceiling: list[int]) -> C.Config:
    return C.from_dict({
        "models": {"source": "tiny-src", "target": "tiny-tgt", "dtype": "float32"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 2000},
        "behaviours": [{"name": "sun", "generate": str(_items(tmp / "g.json", "gen", 10)),
                        "test": str(_items(tmp / "t.json", "test", 6)), "scoring": "letter"}],
        "evaluation": {"alphas": [-2.0, 2.0], "random_seeds": [0], "n_boot": 20,
                       "side_effects_tokens": 0, "generations": 0, "ceiling_seeds": ceiling},
        "run": {"dir": str(tmp / "run")},
    })


def test_a_run_records_the_ceiling_beside_its_verdict(tmp_path: Path) -> None:
    cfg = _config(tmp_path, [0, 1])
    plain = _config(tmp_path, [])
    # only the evaluation's key follows the setting; the source's own sweep is reused
    assert keys.stage_hash(cfg, "evaluation", "sun") != keys.stage_hash(plain, "evaluation", "sun")
    assert keys.stage_hash(cfg, "source", "sun") == keys.stage_hash(plain, "source", "sun")
    pipeline.run(cfg, models=tiny_pair())
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    beh = saved["behaviours"]["sun"]
    block = beh["ceiling"]
    assert sorted(block["conditions"]) == ["ceiling:0", "ceiling:1"]
    assert np.shape(block["conditions"]["ceiling:0"]["p"]) == (2, 6)
    assert set(block["p"]["random"]) == {"ceiling:0", "ceiling:1"}
    assert block["p"]["best_alpha"] in (-2.0, 2.0)
    judged = beh["judgement"]["ceiling"]
    assert judged["n"] == 2 and judged["random_mean"] == pytest.approx(block["p"]["random_mean"])
    assert judged["reachable"] == (abs(judged["random_mean"]) <= 0.1)
    # the controls and the transfer's own figures are the same as a run without the ceiling
    assert "ceiling:0" not in beh["conditions"]
    lines = "\n".join(verdict_lines(saved))
    assert "native ceiling: 2 random directions at native's own push" in lines
    # `verdicts --push` reads the stored ceiling at that push; a broken one is dropped, never
    # shown beside a verdict at another push
    from typer.testing import CliRunner

    from steerbridge.cli.app import app

    out = tmp_path / "at-push.json"
    res = CliRunner().invoke(app, ["verdicts", str(tmp_path / "run"), "--push", "2",
                                   "--resamples", "20", "--out", str(out)])
    assert res.exit_code == 0, res.output
    again = json.loads(out.read_text())["behaviours"]["sun"]
    assert again["ceiling"]["at_push"]["alphas"] == [-2.0, 2.0]
    assert again["judgement"]["ceiling"]["random_mean"] == pytest.approx(judged["random_mean"])
    assert "native ceiling" in res.output
    broken = dict(saved)
    for hostile in ({"ceiling:0": {"p": [[0.1]]}}, {"ceiling:0": {"p": [[0.1], [0.2]]}},
                    {"ceiling:0": {"p": "x"}}, ["not", "a", "mapping"]):
        broken["behaviours"]["sun"]["ceiling"]["conditions"] = hostile
        bad = tmp_path / "broken.json"
        bad.write_text(json.dumps(broken))
        res = CliRunner().invoke(app, ["verdicts", str(bad), "--push", "2", "--resamples", "20"])
        assert res.exit_code == 0, res.output
        assert "native ceiling" not in res.output and "sun**: " in res.output
