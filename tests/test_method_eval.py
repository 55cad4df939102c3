"""Method comparison with random target and random source controls, and the verdict rule."""

from __future__ import annotations

import math

import torch

from steerbridge.bridge import methods as M
from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.method_inputs import TransferInputs
from steerbridge.evaluation.ab import source_sweep
from steerbridge.evaluation.method_eval import evaluate_methods, verdict_lines
from steerbridge.evaluation.verdicts import Evidence, judge
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.vector import SteeringVector


def _items(n: int) -> list[ABItem]:
    return [ABItem(f"Question {i}: is the weather lovely today?" + " really" * (i % 3),
                   *(("A", "B") if i % 2 else ("B", "A")), source=f"t:{i}") for i in range(n)]


def _vec(lm, layer: int, seed: int) -> SteeringVector:
    g = torch.Generator().manual_seed(seed)
    return SteeringVector({layer: torch.randn(lm.hidden_size, generator=g)}, {layer: 1.0},
                          lm.name, lm.fingerprint, lm.hidden_size, "mean_diff", "x")


def test_methods_are_compared_beside_both_kinds_of_control():
    s, t = tiny_model("qwen2", 32, 3, seed=0), tiny_model("qwen2", 48, 4, seed=1)
    W = torch.randn(48, 32, generator=torch.Generator().manual_seed(2))
    bridge = Bridge(W, torch.zeros(48), [1], 2, s.name, t.name, s.fingerprint, t.fingerprint)
    inputs = TransferInputs(s, _vec(s, 1, 0), bridge, t)
    state = M.state_bridge(inputs)
    cand = {"state": state, "blend": M.blend(state, _vec(t, 2, 5))}
    ctrl = {"state": [M.state_bridge(M.random_source(inputs, 7))]}
    sc = source_sweep(s, _items(8), inputs.vector, [-4.0, 4.0])
    res = evaluate_methods(t, _items(8), _vec(t, 2, 3), cand, ctrl, [-4.0, 4.0],
                           source_conditions=sc, n_boot=20)
    assert set(res["methods"]) == {"state", "blend"}
    row = res["methods"]["state"]
    assert math.isfinite(row["random_source_mean"]) and math.isfinite(row["random_target_mean"])
    assert math.isnan(res["methods"]["blend"]["random_source_mean"])  # no control given for it
    assert row["verdict"] in ("transfers", "partly", "fails", "not judgeable")
    assert "srcrand:state:0" in res["conditions"]
    # the share of the source's own effect: transferred Δp / source Δp at the best alpha
    i, dp = res["summary"]["best_alpha_index"], res["summary"]["delta_p"]
    assert math.isfinite(row["source_retention"]) and math.isfinite(row["of_source"])
    assert math.isclose(row["source_retention"], dp["source"][i] / dp["native"][i])
    assert math.isclose(row["of_source"], row["retention"] / row["source_retention"])
    assert verdict_lines("tiny", res["methods"], "state").startswith("**tiny**: ")


def _ev(**kw: float) -> Evidence:
    base = dict(n_test=40, native_dp=0.3, none_mass=0.8,
                source_odd_dp=0.1, retention=0.9, odd_retention=0.9,
                corr_change=0.95, random_target_mean=0.05, random_target_max=0.1,
                random_target_odd_max=0.1, random_target_corr_max=0.5, random_source_mean=0.05,
                random_source_max=0.1, random_source_odd_max=0.1)
    return Evidence(**{**base, **kw})


def test_verdict_rule():
    assert judge(_ev())[0] == "transfers"
    assert judge(_ev(native_dp=0.1))[0] == "not judgeable"
    assert judge(_ev(n_test=5))[0] == "not judgeable"  # one rule: test-set size comes first
    assert judge(_ev(none_mass=0.3))[0] == "not judgeable"
    assert judge(_ev(source_odd_dp=0.01))[0] == "not judgeable"
    assert judge(_ev(random_source_mean=0.3, random_source_max=0.4))[0] == "partly"
    assert judge(_ev(retention=0.6, odd_retention=0.55))[0] == "partly"
    assert judge(_ev(retention=0.6, odd_retention=0.55, random_target_max=0.7))[0] == "fails"
    assert judge(_ev(corr_change=0.4))[0] == "partly"
    assert judge(_ev(retention=0.2))[0] == "fails"


def test_a_verdict_a_small_nudge_would_flip_says_so():
    """Caution on the demo: p retention 0.51 in one batch layout, 0.49 in another (bf16)."""
    for ret, verdict in ((0.49, "fails"), (0.51, "partly")):
        got, why = judge(_ev(retention=ret, odd_retention=0.57, random_target_max=0.07))
        assert got == verdict and f"retention {ret:+.2f}" in why.split("rounding can flip")[1]
    # far from every line that matters: no flag, also when another figure sits near a line
    # that cannot change this verdict (corr 0.88 near 0.9, but the random mean rules out
    # "transfers" anyway)
    _, why = judge(_ev(retention=0.92, odd_retention=0.86, corr_change=0.88,
                       random_target_mean=0.18, random_target_max=0.25))
    assert "rounding" not in why
    _, why = judge(_ev(corr_change=0.91))  # transfers by 0.01 of correlation
    assert "corr +0.91" in why
    assert "rounding" not in judge(_ev(n_test=5))[1]


def test_verdict_rule_controls_by_absolute_mean():
    """A control that pushes the behaviour the wrong way on average is a method-wide push too."""
    assert judge(_ev(random_target_mean=-0.21, random_target_max=0.21))[0] == "partly"
    assert judge(_ev(random_source_mean=-0.15, random_source_max=0.2))[0] == "partly"
    assert judge(_ev(random_target_mean=-0.08))[0] == "transfers"


def test_report_verdict_line_names_the_share_of_the_source_effect() -> None:
    from steerbridge.evaluation.verdicts import verdict_lines as report_lines

    judged = {"verdict": "partly", "why": "retention +0.61", "method": "gain",
              "of_source": 0.93, "source_retention": 0.65}
    lines = report_lines({"behaviours": {"tone": {"summary": {}, "judgement": judged}}})
    assert lines[0] == ("- **tone**: partly (gain; retention +0.61; 0.93 of the source's own "
                        "effect, which is 0.65 of native)")
    judged = {**judged, "of_source": None}  # older results: no such figures, no clause
    lines = report_lines({"behaviours": {"tone": {"summary": {}, "judgement": judged}}})
    assert lines[0] == "- **tone**: partly (gain; retention +0.61)"
