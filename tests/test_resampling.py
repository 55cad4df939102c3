"""Verdicts re-judged on item resamples (`evaluation.resampling`)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import ab
from steerbridge.evaluation.formatting import fmt_resamples
from steerbridge.evaluation.resampling import item_resamples, stored_behaviour, take_items
from steerbridge.evaluation.summary import summarize_behaviour
from steerbridge.evaluation.verdicts import judgement, verdict_lines
from steerbridge.models.tiny import tiny_model
from tests.test_evaluate import items, vector

ALPHAS = [-0.4, 0.4]
SRC, TGT = ["srcrand:0"], ["random:0", "random:1"]


def _conditions(share: float, n: int, seed: int = 0, noise: float = 0.3
                ) -> dict[str, dict[str, np.ndarray]]:
    """Native shifts each item's log-odds by ±3 nats times its sensitivity; the transferred
    vector and the source by `share` of that (plus `noise`); the random controls only scatter."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0.0, 1.0, n)
    sens = rng.normal(1.0, 0.4, n)

    def cond(shift: float, scatter: float) -> dict[str, np.ndarray]:
        lo = np.stack([base + a / 0.4 * shift * sens + rng.normal(0, scatter, n) for a in ALPHAS])
        return {"p": 1 / (1 + np.exp(-lo)), "ld": lo, "lo": lo, "mass": np.ones_like(lo)}

    none = {"p": 1 / (1 + np.exp(-base)), "ld": base, "lo": base, "mass": np.ones(n)}
    return {"none": none, "native": cond(3.0, 0.1), "transferred": cond(3.0 * share, noise),
            "random:0": cond(0.0, 0.5), "random:1": cond(0.0, 0.5), "source_none": none,
            "source": cond(3.0, 0.1), "srcrand:0": cond(0.0, 0.5)}


def test_take_items_indexes_the_item_axis_and_keeps_the_rest() -> None:
    conds = {"none": {"p": np.array([0.1, 0.2, 0.3])},
             "native": {"p": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), "nan_alphas": [0.4]}}
    out = take_items(conds, np.array([2, 2, 0]))
    assert out["none"]["p"].tolist() == [0.3, 0.3, 0.1]
    assert out["native"]["p"].tolist() == [[3.0, 3.0, 1.0], [6.0, 6.0, 4.0]]
    assert out["native"]["nan_alphas"] == [0.4]


def test_a_clear_transfer_survives_every_resample() -> None:
    res = item_resamples(_conditions(1.0, 200), ALPHAS, SRC, TGT, 200, n=50)
    assert res["p"]["shares"] == {"transfers": 1.0}
    lo, hi = res["p"]["retention_ci"]
    assert 0.9 < lo <= hi < 1.1
    assert res["log-odds"]["shares"] == {"transfers": 1.0}


def test_a_borderline_verdict_splits_and_the_interval_straddles_the_line() -> None:
    """Retention near the 0.5 line on few noisy items: the point verdict is a coin toss, and
    the resamples say so (both verdicts drawn, the interval covers 0.5)."""
    conds = _conditions(0.5, 32, seed=3, noise=2.0)
    res = item_resamples(conds, ALPHAS, SRC, TGT, 32, n=200)
    shares = res["p"]["shares"]
    assert shares.get("partly", 0) > 0.1 and shares.get("fails", 0) > 0.1
    assert sum(shares.values()) == pytest.approx(1.0)
    lo, hi = res["p"]["retention_ci"]
    assert lo < 0.5 < hi
    point = judgement(summarize_behaviour(ALPHAS, conds, n_boot=0), "transferred", SRC, TGT, 32)
    text = fmt_resamples(res["p"], point["verdict"])
    assert f"{shares[point['verdict']]:.0%} of 200 item resamples" in text
    assert "retention 95 % interval" in text


def test_same_seed_same_answer_and_a_different_seed_draws_again() -> None:
    conds = _conditions(0.5, 32, seed=3, noise=2.0)
    a = item_resamples(conds, ALPHAS, SRC, TGT, 32, n=40, seed=1)
    assert a == item_resamples(conds, ALPHAS, SRC, TGT, 32, n=40, seed=1)
    assert a != item_resamples(conds, ALPHAS, SRC, TGT, 32, n=40, seed=2)


def test_conditions_on_different_items_are_refused() -> None:
    conds = _conditions(1.0, 20)
    conds["source"] = {k: v[..., :10] for k, v in conds["source"].items()}
    with pytest.raises(SteerbridgeError, match="same test items"):
        item_resamples(conds, ALPHAS, SRC, TGT, 20, n=5)


def test_a_run_records_resamples_and_a_stored_run_reproduces_them(tmp_path) -> None:
    """The A/B evaluation attaches the resamples to both verdicts; re-reading its results.json
    (JSON round trip) gives the same figures, and the report's verdict lines carry them."""
    src, tgt = tiny_model("qwen2", 32, 4, seed=0), tiny_model("qwen2", 48, 6, seed=1)
    res = ab.evaluate_behaviour(tgt, items(12), vector(tgt, 3, seed=1), vector(tgt, 3, seed=2),
                                [-4.0, 4.0], random_seeds=[0, 1], source=src,
                                source_vector=vector(src, 2), n_boot=0,
                                random_sources={0: vector(tgt, 3, seed=5)})
    p, lo = res["judgement"]["item_resamples"], res["judgement_logodds"]["item_resamples"]
    best = res["summary"]["best_alpha_index"]
    two = [res["summary"]["retention"][f"random:{s}"][best] for s in (0, 1)]
    assert res["judgement"]["random_target_se"] == pytest.approx(abs(two[0] - two[1]) / 2)
    assert p["n_resamples"] == lo["n_resamples"] == 200
    assert sum(p["shares"].values()) == pytest.approx(1.0)
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"behaviours": {"b": res}}))
    stored = json.loads(path.read_text())["behaviours"]["b"]
    again = item_resamples(**stored_behaviour(stored))
    assert again["p"] == p and again["log-odds"] == lo  # JSON keeps floats exactly
    lines = verdict_lines({"behaviours": {"b": stored}})
    assert sum("item resamples" in ln for ln in lines) == 2  # the p line and the log-odds line
    # the report opens with the verdict table: one row per instrument, the share beside it
    from steerbridge.evaluation.report import render_html, render_markdown

    share = f"{p['shares'][res['judgement']['verdict']]:.0%} of 200"
    md = render_markdown({"behaviours": {"b": stored}})
    head = md.index("## Verdicts")
    assert md.index("| b | p | ", head) < md.index("| b | log-odds | ", head) < md.index("- **b**")
    assert share in md[head:md.index("- **b**")]
    assert f"{res['judgement']['random_target_mean']:.2f} ± " in md
    assert "<td>b</td><td>log-odds</td>" in render_html({"behaviours": {"b": stored}})


def test_a_failed_behaviour_has_nothing_to_resample() -> None:
    with pytest.raises(SteerbridgeError, match="no per-item scores"):
        stored_behaviour({"errors": ["boom"]})
    assert fmt_resamples(None, "partly") == "" and fmt_resamples({}, "partly") == ""


def test_the_verdicts_command_reads_a_stored_run_and_writes_a_copy(tmp_path) -> None:
    """`steerbridge verdicts` prints both verdict lines with their resamples, names a behaviour
    it cannot resample, leaves the input untouched and writes the copy atomically."""
    from typer.testing import CliRunner

    from steerbridge.cli.app import app

    conds = _conditions(1.0, 40)
    summary = summarize_behaviour(ALPHAS, conds, n_boot=0)
    judged = judgement(summary, "transferred", SRC, TGT, 40)
    beh = {"n_items": 40, "alphas": ALPHAS, "summary": summary.to_dict(), "judgement": judged,
           "conditions": {k: {s: v.tolist() for s, v in c.items()}
                          for k, c in conds.items() if k != "srcrand:0"},
           "random_source": {"conditions": {"srcrand:0": {
               s: v.tolist() for s, v in conds["srcrand:0"].items()}}}, "collapsed": {}}
    old = {"summary": summary.to_dict()}  # a run from before the random source controls
    src = tmp_path / "results.json"
    src.write_text(json.dumps({"behaviours": {"clear": beh, "old": old}}))
    before = src.read_bytes()
    out = tmp_path / "with-resamples.json"
    res = CliRunner().invoke(app, ["verdicts", str(src), "--resamples", "30", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "clear**: transfers" in res.output
    assert "the same verdict in 100% of 30 item resamples" in res.output
    assert "not resampled: old" in res.output
    assert src.read_bytes() == before
    copy = json.loads(out.read_text())["behaviours"]["clear"]["judgement"]["item_resamples"]
    assert copy["n_resamples"] == 30 and copy["shares"] == {"transfers": 1.0}
    by_dir = CliRunner().invoke(app, ["verdicts", str(tmp_path), "--resamples", "30"])
    assert by_dir.exit_code == 0 and "100% of 30" in by_dir.output  # the run dir works too
    # a benchmark file (no summary, the method in its settings, judged by an older rule that
    # kept no standard error) is judged afresh with --rejudge
    old_judged = {k: v for k, v in judged.items() if k != "random_target_se"}
    bench = {"settings": {"method": "gain"}, "behaviours": {"clear": {
        **{k: v for k, v in beh.items() if k != "summary"}, "judgement": old_judged}}}
    (tmp_path / "bench.json").write_text(json.dumps(bench))
    again = CliRunner().invoke(app, ["verdicts", str(tmp_path / "bench.json"), "--rejudge",
                                     "--resamples", "20", "--out", str(tmp_path / "re.json")])
    assert again.exit_code == 0, again.output
    assert "clear**: transfers (gain;" in again.output
    fresh = json.loads((tmp_path / "re.json").read_text())["behaviours"]["clear"]["judgement"]
    assert fresh["random_target_se"] == pytest.approx(judged["random_target_se"])
    assert fresh["retention"] == pytest.approx(judged["retention"])


def test_the_verdicts_command_refuses_what_is_not_a_results_file(tmp_path) -> None:
    from typer.testing import CliRunner

    from steerbridge.cli.app import app

    bad = tmp_path / "bad.json"
    bad.write_text('{"behaviours": [1, 2]}')
    for args, says in ((["verdicts", str(bad)], "not a steerbridge results.json"),
                       (["verdicts", str(tmp_path / "missing.json")], "does not exist"),
                       (["verdicts", str(bad), "--out", str(tmp_path / "x.txt")], ".json")):
        res = CliRunner().invoke(app, args)
        assert isinstance(res.exception, SteerbridgeError) and says in str(res.exception)
