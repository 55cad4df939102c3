"""Hostile results.json blocks given to `evaluation.resampling` (and `steerbridge verdicts`):
each malformed block is refused with a message that names what is wrong, never a traceback."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation.resampling import item_resamples, stored_behaviour


def _block(n: int = 30) -> dict:
    rng = np.random.default_rng(0)
    none = rng.normal(0, 1, n)

    def cond(shift: float) -> dict:
        lo = np.stack([none - shift, none + shift]) + rng.normal(0, 0.1, (2, n))
        return {"p": (1 / (1 + np.exp(-lo))).tolist(), "ld": lo.tolist(), "mass": [[1.0] * n] * 2}

    base = {"p": (1 / (1 + np.exp(-none))).tolist(), "ld": none.tolist(), "mass": [1.0] * n}
    return {"alphas": [-0.4, 0.4], "n_items": n, "collapsed": {},
            "conditions": {"none": base, "native": cond(2.0), "transferred": cond(1.8),
                           "random:0": cond(0.0), "source_none": base, "source": cond(2.0)},
            "random_source": {"conditions": {"srcrand:0": cond(0.0)}}}


def _edit(path: tuple, value) -> dict:
    beh = copy.deepcopy(_block())
    node = beh
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return beh


def test_the_clean_block_resamples() -> None:
    res = item_resamples(**stored_behaviour(_block()), n=20)
    assert sum(res["p"]["shares"].values()) == pytest.approx(1.0)


@pytest.mark.parametrize(("path", "value", "says"), [
    (("alphas",), "0.4", "not a list of numbers"),
    (("alphas",), [-0.4, 0.4, 0.8], "expected [3 alphas"),
    (("conditions",), [], "lack the unsteered"),
    (("conditions", "native"), None, "lack the unsteered"),
    (("conditions", "transferred"), "scores", "holds str"),
    (("conditions", "transferred", "p"), [[0.1, "x"], [0.2]], "not a list of numbers"),
    (("conditions", "none", "p"), [[0.5] * 30], "has shape (1, 30)"),
    (("conditions", "random:0", "p"), [[0.5] * 29] * 2, "different numbers of items"),
    (("random_source", "conditions", "srcrand:0", "ld"), [[0.0] * 31] * 2,
     "different numbers of items"),
    (("collapsed",), {"native": "all"}, "not condition -> list of alphas"),
])
def test_malformed_blocks_are_refused_by_name(path, value, says) -> None:
    beh = _edit(path, value)
    if path == ("conditions", "native"):
        del beh["conditions"]["native"]
    with pytest.raises(SteerbridgeError) as err:
        item_resamples(**stored_behaviour(beh), n=5)
    assert says in str(err.value)


def test_nulls_for_unscored_items_are_read_as_missing() -> None:
    """results.json writes NaN as null: such items are skipped, not a crash."""
    beh = _block()
    beh["conditions"]["transferred"]["p"][0][3] = None
    res = item_resamples(**stored_behaviour(beh), n=10)
    assert res["p"]["retention_ci"] is not None


def test_a_failed_resampling_keeps_the_evaluation(monkeypatch) -> None:
    """The resamples are a statement of precision: if they cannot be drawn the sweep and the
    verdict are kept, and the verdict line says why it has no resample clause."""
    from steerbridge.evaluation import ab
    from steerbridge.evaluation.verdicts import verdict_lines
    from steerbridge.models.tiny import tiny_model
    from tests.test_evaluate import items, vector

    def refuse(*args, **kw):
        raise SteerbridgeError("cannot resample these")

    monkeypatch.setattr(ab, "item_resamples", refuse)
    tgt = tiny_model("qwen2", 48, 6, seed=1)
    res = ab.evaluate_behaviour(tgt, items(6), vector(tgt, 3, seed=1), vector(tgt, 3, seed=2),
                                [-4.0, 4.0], random_seeds=[0], n_boot=0)
    assert res["judgement"]["item_resamples"] == {"error": "cannot resample these"}
    assert "verdict" in res["judgement"]
    lines = verdict_lines({"behaviours": {"b": res}})
    assert lines[0].startswith("- **b**:")
    assert lines[0].endswith("no item resamples (cannot resample these))")


def test_the_verdicts_command_refuses_bad_files_and_keeps_good_behaviours(tmp_path, cli
                                                                          ) -> None:
    """Through the real entry point: a file that is not a results.json, a pickle, a missing
    one and a wrong --out are refused (exit 2, what to give instead); a malformed behaviour is
    named and skipped while the others are still judged, and the input is never rewritten."""
    import json

    bad = tmp_path / "list.json"
    bad.write_text("[1, 2]")
    cli("verdicts", bad).refused("not a steerbridge results.json", "runs/<name>/results.json")
    cli("verdicts", tmp_path / "gone.json").refused("does not exist")
    pickled = tmp_path / "results.json"
    pickled.write_bytes(b"\x80\x04\x95")
    cli("verdicts", pickled).refused("never unpickles")
    good = _edit(("conditions", "transferred", "p"), [[0.1, "x"], [0.2]])
    judged = {"verdict": "partly", "why": "stored", "retention": 0.5, "odd_retention": 0.5}
    data = {"behaviours": {"clean": {**_block(), "judgement": dict(judged)},
                           "broken": {**good, "judgement": dict(judged)}}}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    res = cli("verdicts", path, "--resamples", "20")
    assert res.code == 0, res.text
    assert "not resampled: broken" in res.text and "not a list of numbers" in res.text
    assert "clean**: partly (state; stored; the same verdict in" in res.text
    assert path.read_bytes() == before
    cli("verdicts", path, "--out", tmp_path / "copy.txt").refused(".json")


def test_verdicts_at_a_push_marks_a_behaviour_without_it_and_refuses_a_bad_push(tmp_path, cli
                                                                              ) -> None:
    """Through the real entry point: each behaviour judged afresh at ±0.2 and marked so; one
    scored only at ±0.4 is 'not judgeable … not scored at push ±0.2' and named, never shown
    with its old verdict; the input is never rewritten; a bad push is refused (exit 2)."""
    import json

    from tests.test_verdicts_push import _behaviour

    data = {"settings": {"method": "gain"},
            "behaviours": {"both": _behaviour(), "wide": _behaviour(alphas=[-0.4, 0.4])}}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    out = tmp_path / "at-0.2.json"
    res = cli("verdicts", path, "--push", "0.2", "--resamples", "20", "--out", out)
    assert res.code == 0, res.text
    assert "at push ±0.2" in res.text and "both**: transfers (gain;" in res.text
    assert "not resampled: wide" in res.text and "push 0.2 is not among them" in res.text
    written = json.loads(out.read_text())["behaviours"]
    assert written["both"]["judgement"]["push"] == 0.2
    assert written["both"]["judgement_logodds"]["push"] == 0.2
    assert written["wide"]["judgement"]["verdict"] == "not judgeable"
    assert "judgement_logodds" not in written["wide"]
    assert path.read_bytes() == before
    for bad in ("0", "-0.2", "nan"):
        cli("verdicts", path, "--push", bad).refused("positive alpha")
