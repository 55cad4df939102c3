"""`steerbridge pairs --by transfer`: layer pairs ranked by A/B transfer on tiny models."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation.pair_rank import BEHAVIOUR_KEYS, PairTransfer, pair_row, rank
from steerbridge.evaluation.pair_transfer import Settings, check_behaviours
from steerbridge.evaluation.pair_transfer_report import COLUMNS
from steerbridge.models.tiny import tiny_pair

FILES = ("pairs_transfer.csv", "pairs_transfer.json", "pairs_transfer.png")


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tiny")
    s, t = tiny_pair()
    for lm, d in ((s, root / "src"), (t, root / "tgt")):
        lm.model.save_pretrained(d)
        lm.tokenizer.save_pretrained(d)
    return root / "src", root / "tgt"


def common(dirs: tuple[Path, Path], tmp: Path) -> list[str]:
    return ["pairs", "--source", str(dirs[0]), "--target", str(dirs[1]), "--max-tokens", "2000",
            "--window", "32", "--dtype", "float32", "--cache-dir", str(tmp / "cache"),
            "--sample-tokens", "600", "--fit-sources", "none", "--top-k", "2"]


def test_by_transfer_end_to_end_and_by_r2_unchanged(model_dirs: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    runner = CliRunner()
    base = common(model_dirs, tmp_path)
    r2 = runner.invoke(app(), [*base, "--many-to-one", "2", "--out-dir", str(tmp_path / "r2")])
    assert r2.exit_code == 0, r2.output
    assert not any((tmp_path / "r2" / f).exists() for f in FILES)
    assert "by transfer" not in r2.output
    res = runner.invoke(app(), [*base, "--many-to-one", "2", "--by", "transfer",
                                "--behaviour", "caution", "--behaviour", "positive-tone",
                                "--answer-prefix", "(", "--test-items", "4",
                                "--generate-items", "6", "--alphas", "-2,2",
                                "--out-dir", str(tmp_path / "tr")])
    assert res.exit_code == 0, res.output
    out = tmp_path / "tr"
    # the r2 outputs are the same with or without --by transfer
    assert (out / "pairs.csv").read_text() == (tmp_path / "r2" / "pairs.csv").read_text()
    fitted = list(csv.DictReader((out / "pairs.csv").open()))
    assert len(fitted) == 3  # top 2 + one many-to-one
    rows = list(csv.DictReader((out / "pairs_transfer.csv").open()))
    assert len(rows) == len(fitted)
    header = list(rows[0])
    assert header[: len(COLUMNS)] == list(COLUMNS)
    for b in ("caution", "positive-tone"):
        assert all(f"{b}:{k}" in header for k in BEHAVIOUR_KEYS)
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    pairs = {(r["source_layers"], r["target_layer"]) for r in rows}
    assert pairs == {(r["source_layers"], r["target_layer"]) for r in fitted}
    for r in rows:
        assert math.isfinite(float(r["r2"]))
        assert r["caution:verdict"] == "not judgeable"  # 4 test items are too few to judge
        assert math.isfinite(float(r["caution:retention"]))
        assert math.isfinite(float(r["caution:source_odd_dp"]))
    doc = json.loads((out / "pairs_transfer.json").read_text())
    assert len(doc["pairs"]) == 3 and "not judgeable" in doc["rule"]
    assert doc["settings"]["behaviours"] == ["caution", "positive-tone"]
    first = doc["pairs"][0]["behaviours"]["caution"]
    assert first["n_items"] == 4 and first["judgement"]["verdict"] == "not judgeable"
    # the log-odds instrument rides along: same judgeability, its own numbers, per-item scores
    lo = first["judgement_logodds"]
    assert lo["instrument"] == "log-odds" and lo["verdict"] == "not judgeable"
    assert lo["n_test"] == first["judgement"]["n_test"]
    assert len(first["conditions"]["none"]["lo"]) == 4
    assert "(log-odds: n/j)" in res.output
    # the file can be resampled again later, and the detail table says how stable it is
    assert first["judgement"]["item_resamples"]["shares"] == {"not judgeable": 1.0}
    assert "random_source" in first and first["alphas"]
    assert "same in 100% of 200 item" in res.output.replace("\n", " ").replace("│", "")
    assert (out / "pairs_transfer.png").stat().st_size > 5000
    assert "layer pairs by transfer" in res.output and "pairs_transfer.json" in res.output


def test_by_transfer_through_the_gain(model_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    """``--method gain``: the carried vector and its random-source control are the gain's (each
    records its fitted gain), the settings say so, and the state carrier gives other numbers."""
    runner = CliRunner()
    base = [*common(model_dirs, tmp_path), "--many-to-one", "0", "--top-k", "1", "--by",
            "transfer", "--behaviour", "positive-tone", "--format", "text", "--test-items", "4",
            "--generate-items", "6", "--alphas", "-2,2"]
    docs = {}
    for method, positions in (("gain", "all"), ("state", "all"), ("gain", "generated")):
        out = tmp_path / f"{method}-{positions}"
        res = runner.invoke(app(), [*base, "--method", method, "--method-alpha", "2",
                                    "--positions", positions, "--out-dir", str(out)])
        assert res.exit_code == 0, res.output
        assert f"carried by {method}, steering {positions} positions" in res.output
        docs[method, positions] = json.loads((out / "pairs_transfer.json").read_text())
        assert docs[method, positions]["settings"]["positions"] == positions
        # text answers carry the log-odds instrument: its margin is in every row
        assert math.isfinite(docs[method, positions]["pairs"][0]["row"]["margin_logodds_all"])
    # steering the answers' positions only is another measurement, the gain fit included
    answer = docs["gain", "generated"]["pairs"][0]["behaviours"]["positive-tone"]
    every = docs["gain", "all"]["pairs"][0]["behaviours"]["positive-tone"]
    assert answer["carried"]["gain"]["positions"] == "generated"
    assert answer["carried"]["gain"]["gain"] != every["carried"]["gain"]["gain"]
    assert answer["headline"]["native_dp"] != every["headline"]["native_dp"]
    docs = {m: docs[m, "all"] for m in ("gain", "state")}
    gain = docs["gain"]
    assert gain["settings"]["transfer"] == "gain" and gain["settings"]["transfer_alpha"] == 2
    beh = gain["pairs"][0]["behaviours"]["positive-tone"]
    assert beh["carried"]["transfer"] == "gain"
    assert math.isfinite(beh["carried"]["gain"]["gain"])
    assert [c["transfer"] for c in beh["random_source_carried"].values()] == ["gain"]
    state = docs["state"]["pairs"][0]["behaviours"]["positive-tone"]
    assert state["carried"]["transfer"] != "gain"
    assert beh["headline"]["transferred_dp"] != state["headline"]["transferred_dp"]


def app() -> Any:
    from steerbridge.cli import app as the_app

    return the_app


@pytest.mark.parametrize("args, needle", [
    (["--behaviour", "no-such-behaviour"], "no-such-behaviour"),
    (["--alphas", "0.1,zero"], "--alphas"),
    (["--alphas", "0"], "non-zero"),
    (["--alphas=0.2,0.4"], "at least one ±a pair"),
    (["--test-items", "0"], "--test-items"),
    (["--method", "effect"], "--method 'effect'"),
    (["--method", "gain", "--format", "plain"], "--format text"),
    (["--method", "gain", "--format", "text", "--method-alpha", "0"], "--method-alpha"),
    (["--method", "distilled", "--method-alpha", "nan"], "--method-alpha"),
    (["--positions", "middle"], "--positions 'middle'"),
    (["--rank-by", "cosine"], "--rank-by 'cosine'"),
    (["--ab", "mine"], "NAME=GENERATE.json,TEST.json"),
    (["--ab", "mine=only-one.json"], "NAME=GENERATE.json,TEST.json"),
    (["--ab", "mine=missing-g.json,missing-t.json"], "missing-g.json is not a file"),
])
def test_bad_transfer_options_fail_before_loading(tmp_path: Path, args: list[str],
                                                  needle: str) -> None:
    """The models do not exist: an error about them would mean they were loaded first."""
    missing = tmp_path / "no-model"
    res = CliRunner().invoke(app(), ["pairs", "--source", str(missing), "--target", str(missing),
                                     "--by", "transfer", *args, "--out-dir",
                                     str(tmp_path / "o")])
    assert res.exit_code != 0
    assert isinstance(res.exception, SteerbridgeError), res.exception
    assert needle in str(res.exception)
    assert "no-model" not in str(res.exception)


def test_unknown_behaviour_lists_the_builtins() -> None:
    with pytest.raises(SteerbridgeError, match="caution.*formal-register.*positive-tone"):
        check_behaviours(["caution", "nope"])
    with pytest.raises(SteerbridgeError, match="nope"):
        Settings(behaviours=("nope",))
    assert check_behaviours(["caution", "caution"]) == ["caution"]


def test_unknown_by_is_refused(tmp_path: Path) -> None:
    res = CliRunner().invoke(app(), ["pairs", "--source", str(tmp_path / "x"), "--by", "cka"])
    assert isinstance(res.exception, SteerbridgeError)
    assert "r2, transfer" in str(res.exception)


def _pt(margin: float, margin_all: float, r2: float) -> PairTransfer:
    return PairTransfer({"source_layers": "1", "target_layer": 2, "r2": r2, "margin": margin,
                         "margin_all": margin_all})


def _numbers(retention: float, random: float, verdict: str = "partly") -> dict[str, Any]:
    return {"retention": retention, "odd_retention": retention, "random_retention": random,
            "source_odd_dp": 0.3, "native_dp": 0.5, "answer_mass": 0.9, "verdict": verdict,
            "why": "", "lo_retention": retention, "lo_random_retention": random,
            "lo_verdict": verdict}


def test_margin_counts_a_wrong_way_random_control_against_the_pair() -> None:
    """Random directions that move −0.3 of native's change are as far from nothing as +0.3:
    the margin subtracts |random| (the verdict rule's |mean|), so neither raises it."""
    bridge: Any = SimpleNamespace(source_layers=[1], target_layer=2,
                                  metrics={"test": {"r2": 0.5}})
    clean = pair_row(bridge, {"a": _numbers(0.8, 0.0), "b": _numbers(0.6, 0.0)})
    plus = pair_row(bridge, {"a": _numbers(0.8, 0.3), "b": _numbers(0.6, 0.0)})
    minus = pair_row(bridge, {"a": _numbers(0.8, -0.3), "b": _numbers(0.6, 0.0)})
    assert clean["margin"] == pytest.approx(0.7)
    assert plus["margin"] == pytest.approx(minus["margin"]) == pytest.approx(0.55)
    assert minus["margin_logodds"] == pytest.approx(0.55)
    assert minus["random_retention"] == pytest.approx(-0.15)  # the column stays signed
    judged_only = pair_row(bridge, {"a": _numbers(0.8, -0.3),
                                    "b": _numbers(0.0, -0.9, "not judgeable")})
    assert judged_only["margin"] == pytest.approx(0.5)
    assert judged_only["margin_all"] == pytest.approx(0.4 - 0.6)
    counted = pair_row(bridge, {"a": _numbers(0.9, 0.0, "transfers"), "b": _numbers(0.6, 0.0),
                                "c": _numbers(1.0, 0.0, "transfers")})
    assert (counted["n_transfers"], clean["n_transfers"]) == (2, 0)
    assert (counted["n_partly"], counted["n_transfers_logodds"]) == (1, 2)


def test_rank_puts_verdicts_before_the_margin() -> None:
    """RESULTS.md §7r's case: one pair has the larger margin (one behaviour's size), the other
    the only "transfers"; verdicts decide, then "partly" over "fails", then the margin."""
    bridge: Any = SimpleNamespace(source_layers=[1], target_layer=2,
                                  metrics={"test": {"r2": 0.5}})

    def pair(*rows: tuple[float, str]) -> PairTransfer:
        return PairTransfer(pair_row(bridge, {f"b{i}": _numbers(r, 0.0, v)
                                              for i, (r, v) in enumerate(rows)}))

    big = pair((0.7, "partly"), (1.0, "partly"), (0.5, "fails"))
    verdict = pair((0.9, "transfers"), (0.6, "partly"), (0.5, "partly"))
    no_fail = pair((0.6, "partly"), (0.6, "partly"), (0.5, "partly"))
    assert big.row["margin"] > verdict.row["margin"] > no_fail.row["margin"]
    assert [p.row["margin"] for p in rank([big, no_fail, verdict])] == [
        verdict.row["margin"], no_fail.row["margin"], big.row["margin"]]
    lo = pair((0.9, "partly"), (0.6, "partly"), (0.5, "partly"))
    lo.row["n_transfers_logodds"] = 2  # the log-odds verdicts rank under by="logodds"
    lo.row["margin_logodds"] = 0.0
    assert rank([verdict, lo], "logodds")[0] is lo and rank([lo, verdict])[0] is verdict


def test_rank_by_margin_over_judgeable_then_all_then_r2() -> None:
    nan = math.nan
    rows = [_pt(nan, 0.9, 0.9), _pt(0.1, -1.0, 0.2), _pt(0.5, 0.0, 0.1), _pt(0.1, 0.0, 0.8),
            _pt(nan, nan, 0.95)]
    ranked = rank(rows)
    assert [(p.row["margin"], p.row["r2"]) for p in ranked][:3] == [(0.5, 0.1), (0.1, 0.8),
                                                                     (0.1, 0.2)]
    assert ranked[3].row["margin_all"] == 0.9 and ranked[4].row["r2"] == 0.95
    assert [p.row["rank"] for p in ranked] == [1, 2, 3, 4, 5]


def test_rank_by_the_logodds_margin() -> None:
    """``by="logodds"`` orders by the log-odds margins with the same fallbacks; p's are ignored."""
    nan = math.nan
    rows = [PairTransfer({"source_layers": "1", "target_layer": 2, "r2": r2, "margin": m,
                          "margin_all": m, "margin_logodds": lo, "margin_logodds_all": lo_all})
            for m, lo, lo_all, r2 in ((0.9, 0.1, 0.1, 0.5), (0.1, 0.6, 0.6, 0.4),
                                      (0.5, nan, 0.8, 0.9), (0.0, 0.3, 0.3, 0.1))]
    assert [p.row["margin_logodds"] for p in rank(rows, "logodds")][:3] == [0.6, 0.3, 0.1]
    assert rank(rows, "logodds")[3].row["margin_logodds_all"] == 0.8
    assert [p.row["margin"] for p in rank(rows)] == [0.9, 0.5, 0.1, 0.0]


def _ab_rows(n: int) -> list[dict[str, str]]:
    return [{"question": f"Q{i}: which?\n\nChoices:\n (A) Keep going {i}.\n (B) Stop now.",
             "answer_matching_behavior": "(A)", "answer_not_matching_behavior": "(B)"}
            for i in range(n)]


def test_ab_files_on_the_command_line(model_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    """``--ab NAME=GEN,TEST`` measures a behaviour of one's own (and only it, without
    --behaviour); a file without choice lines fails before any model loads."""
    rows = _ab_rows(10)
    (tmp_path / "g.json").write_text(json.dumps(rows[:6]))
    (tmp_path / "t.json").write_text(json.dumps(rows[6:]))
    spec = f"mine={tmp_path / 'g.json'},{tmp_path / 't.json'}"
    res = CliRunner().invoke(app(), [*common(model_dirs, tmp_path), "--many-to-one", "0",
                                     "--top-k", "1", "--by", "transfer", "--ab", spec,
                                     "--format", "text", "--alphas", "-2,2",
                                     "--out-dir", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "o" / "pairs_transfer.json").read_text())
    assert doc["settings"]["behaviours"] == ["mine"]
    assert doc["pairs"][0]["behaviours"]["mine"]["n_items"] == 4
    bad = [{**r, "question": "Which? Keep going or stop."} for r in rows]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    missing = tmp_path / "no-model"
    res = CliRunner().invoke(app(), ["pairs", "--source", str(missing), "--target",
                                     str(missing), "--by", "transfer", "--format", "text",
                                     "--ab", f"bad={tmp_path / 'bad.json'},{tmp_path / 't.json'}",
                                     "--out-dir", str(tmp_path / "o2")])
    assert isinstance(res.exception, SteerbridgeError), res.exception
    assert "no-model" not in str(res.exception) and "names choice (" in str(res.exception)


def test_behaviours_from_files_beside_builtins(tmp_path: Path) -> None:
    """A behaviour given as (name, generate file, test file) is read from its files, in the
    requested answer format; unknown names are still refused."""
    from steerbridge.evaluation.pair_transfer import behaviour_items

    rows = [{"question": f"Q{i}: which?\n\nChoices:\n (A) Keep going {i}.\n (B) Stop now.",
             "answer_matching_behavior": "(A)", "answer_not_matching_behavior": "(B)"}
            for i in range(6)]
    (tmp_path / "g.json").write_text(json.dumps(rows[:4]))
    (tmp_path / "t.json").write_text(json.dumps(rows[4:]))
    s = Settings(behaviours=("mine", "caution"), answer_format="text", test_items=5,
                 files=(("mine", str(tmp_path / "g.json"), str(tmp_path / "t.json")),))
    it = behaviour_items("mine", s)
    assert [x.question for x in it.generate] == [f"Q{i}: which?" for i in range(4)]
    assert [x.matching for x in it.test] == ["Keep going 4.", "Keep going 5."]
    with pytest.raises(SteerbridgeError, match="Unknown behaviour"):
        Settings(behaviours=("mine", "other"),
                 files=(("mine", str(tmp_path / "g.json"), str(tmp_path / "t.json")),))
