"""The log-odds instrument: the verdict rule on answer log-odds, beside the p verdict."""

from __future__ import annotations

import numpy as np
import pytest

from steerbridge.evaluation import ab, logodds
from steerbridge.evaluation.summary import summarize_behaviour
from steerbridge.evaluation.verdicts import judgement, verdict_lines
from steerbridge.models.tiny import tiny_model
from tests.test_evaluate import items, vector

ALPHAS = [-0.4, 0.4]


def _conditions(seed: int = 0, n: int = 400) -> dict[str, dict[str, np.ndarray]]:
    """Items that lean to the matching answer (log-odds around +2); native and transferred
    shift each item by ∓/±3 nats times the item's own sensitivity (shared, so their changes
    correlate); the random directions and the random source only scatter each item's log-odds
    (sd 3), with mean zero."""
    rng = np.random.default_rng(seed)
    base = rng.normal(2.0, 1.0, n)
    sensitivity = rng.normal(1.0, 0.4, n)

    def cond(shift: float, scatter: float) -> dict[str, np.ndarray]:
        lo = np.stack([base + a / 0.4 * shift * sensitivity + rng.normal(0, scatter, n)
                       for a in ALPHAS])
        return {"p": 1 / (1 + np.exp(-lo)), "ld": lo, "lo": lo, "mass": np.ones_like(lo)}

    none = {"p": 1 / (1 + np.exp(-base)), "ld": base, "lo": base, "mass": np.ones(n)}
    return {"none": none, "native": cond(3.0, 0.3), "transferred": cond(3.0, 0.3),
            "random:0": cond(0.0, 3.0), "random:1": cond(0.0, 3.0),
            "source_none": none, "source": cond(3.0, 0.3), "srcrand:0": cond(0.0, 3.0)}


def test_scatter_reads_as_a_push_in_p_but_not_in_log_odds() -> None:
    conds = _conditions()
    p_summary = summarize_behaviour(ALPHAS, conds, n_boot=0)
    primary = judgement(p_summary, "transferred", ["srcrand:0"], ["random:0", "random:1"], 400)
    # through the sigmoid, a zero-mean scatter pulls the leaning items toward 0.5: the random
    # directions "retain" a fifth of native in p (the artifact the instrument is for) ...
    assert abs(primary["random_target_mean"]) > 0.15
    assert primary["verdict"] != "transfers"
    lo = logodds.judgement(conds, ALPHAS, ["srcrand:0"], ["random:0", "random:1"], primary)
    assert lo is not None
    # ... and on the log-odds they average out, while native and transferred still agree
    assert abs(lo["random_target_mean"]) < 0.05 and abs(lo["random_source_mean"]) < 0.05
    assert lo["retention"] == pytest.approx(1.0, abs=0.05)
    assert lo["verdict"] == "transfers"
    assert "2 directions" in lo["why"] and "2 directions" in primary["why"]
    assert lo["native_dp"] == primary["native_dp"]  # judgeability stays measured in p
    assert abs(lo["native_dlo"]) == pytest.approx(3.0, abs=0.2)


def test_judgeability_is_the_p_rules() -> None:
    conds = _conditions()
    summary = summarize_behaviour(ALPHAS, conds, n_boot=0)
    primary = judgement(summary, "transferred", ["srcrand:0"], ["random:0"], 400)
    weak = {**primary, "native_dp": 0.05}  # native steering too weak in p
    lo = logodds.judgement(conds, ALPHAS, ["srcrand:0"], ["random:0"], weak)
    assert lo is not None and lo["verdict"] == "not judgeable"
    few = {**primary, "n_test": 3}
    assert logodds.judgement(conds, ALPHAS, ["srcrand:0"], ["random:0"], few)["verdict"] \
        == "not judgeable"


def test_old_results_without_log_odds_have_no_second_verdict() -> None:
    conds = {c: {k: v for k, v in d.items() if k != "lo"} for c, d in _conditions().items()}
    assert not logodds.available(conds)
    assert logodds.judgement(conds, ALPHAS, [], ["random:0"], {"n_test": 400}) is None


def test_evaluate_behaviour_judges_both_and_the_report_lists_both() -> None:
    src, tgt = tiny_model("qwen2", 32, 4, seed=0), tiny_model("qwen2", 48, 6, seed=1)
    transferred = vector(tgt, 3, seed=2)
    res = ab.evaluate_behaviour(tgt, items(12), vector(tgt, 3, seed=1), transferred, [-4.0, 4.0],
                                random_seeds=[0, 1], source=src, source_vector=vector(src, 2),
                                n_boot=0, random_sources={0: vector(tgt, 3, seed=5)})
    p, lo = res["judgement"], res["judgement_logodds"]
    assert lo["instrument"] == "log-odds"
    for key in ("n_test", "native_dp", "none_mass", "source_odd_dp"):
        assert lo[key] == p[key] or (np.isnan(lo[key]) and np.isnan(p[key]))
    # letters: the log-odds are the letter logit gaps, so its retention is their ratio
    c = res["conditions"]
    i = int(np.argmax(np.abs(np.nanmean(np.asarray(c["native"]["lo"]) - c["none"]["lo"], 1))))
    ratio = (np.nanmean(np.asarray(c["transferred"]["lo"])[i] - c["none"]["lo"])
             / np.nanmean(np.asarray(c["native"]["lo"])[i] - c["none"]["lo"]))
    assert lo["retention"] == pytest.approx(ratio, rel=1e-6)
    lines = verdict_lines({"behaviours": {"b": res}})
    assert any(ln.startswith("- **b**:") for ln in lines)
    assert any("log-odds instrument" in ln for ln in lines[:-1])
    assert "Log-odds instrument" in lines[-1]
    old = {k: v for k, v in res.items() if k != "judgement_logodds"}
    assert not any("log-odds" in ln.lower() for ln in verdict_lines({"behaviours": {"b": old}}))


def test_a_hand_edited_log_odds_judgement_still_renders() -> None:
    """A results.json whose log-odds judgement lost its reason (or its verdict) still gives the
    report's verdict lines and the pair sweep's table cell, instead of a KeyError."""
    from steerbridge.cli.pairs_transfer import _logodds_short

    conds = _conditions(n=40)
    summary = summarize_behaviour(ALPHAS, conds, n_boot=0)
    primary = judgement(summary, "transferred", ["srcrand:0"], ["random:0"], 40)
    beh = {"summary": summary.to_dict(), "judgement": primary,
           "judgement_logodds": {"verdict": "partly"}}
    lines = verdict_lines({"behaviours": {"b": beh}})
    assert any("log-odds instrument: partly (no reason recorded)" in ln for ln in lines)
    assert _logodds_short({"judgement_logodds": {}}) == " (log-odds: ?)"
    assert _logodds_short({"judgement_logodds": None}) == ""
