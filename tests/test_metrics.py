"""Transfer metrics on synthetic per-item arrays with known answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from steerbridge.bridge.fidelity import cosine
from steerbridge.evaluation import metrics as M
from steerbridge.evaluation.results import nan_to_none, none_to_nan
from steerbridge.evaluation.summary import summarize_behaviour


def test_delta_p_and_retention_signed() -> None:
    p_none = np.array([0.4, 0.6])
    native = np.array([[0.2, 0.4], [0.6, 0.8]])  # -0.2, +0.2
    half = np.array([[0.3, 0.5], [0.5, 0.7]])  # -0.1, +0.1
    dp_n = M.delta_p(native, p_none)
    dp_t = M.delta_p(half, p_none)
    np.testing.assert_allclose(dp_n, [-0.2, 0.2])
    np.testing.assert_allclose(M.retention(dp_t, dp_n), [0.5, 0.5])
    # opposite direction gives negative retention; zero native effect gives NaN
    assert M.retention([0.1], [-0.2])[0] == pytest.approx(-0.5)
    assert math.isnan(M.retention([0.1], [0.0])[0])


def test_delta_p_ignores_nan_items_and_all_nan_alpha() -> None:
    dp = M.delta_p([[math.nan, 0.7], [math.nan, math.nan]], [0.5, 0.5])
    assert dp[0] == pytest.approx(0.2)
    assert math.isnan(dp[1])


def test_best_alpha_skips_zero_nan_and_respects_sign() -> None:
    alphas = [-0.2, 0.0, 0.1, 0.3]
    dp = [-0.25, 0.5, 0.1, math.nan]
    assert M.best_alpha_index(dp, alphas) == 0
    assert M.best_alpha_index(dp, alphas, sign=+1) == 2
    assert M.best_alpha_index([math.nan], [0.1]) is None


def test_pearson_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=40), rng.normal(size=40)
    assert M.pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert math.isnan(M.pearson(np.ones(5), y[:5]))


def test_correlation_ci_brackets_point_and_shrinks_with_n() -> None:
    rng = np.random.default_rng(0)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(2, n))
        return x, x + 0.7 * rng.normal(size=(2, n))

    small = M.correlation(*make(20), n_boot=500)
    big = M.correlation(*make(800), n_boot=500)
    for c in (small, big):
        for r, lo, hi in zip(c.per_alpha, c.ci_low, c.ci_high, strict=True):
            assert lo <= r <= hi
        assert c.mean_ci_low <= c.mean <= c.mean_ci_high
    assert (big.mean_ci_high - big.mean_ci_low) < (small.mean_ci_high - small.mean_ci_low)
    assert big.mean == pytest.approx(1 / math.sqrt(1 + 0.49), abs=0.05)


def test_raw_correlation_is_confounded_change_correlation_is_not() -> None:
    """Items' own spread makes the raw form ~1 even for an unrelated push; change form sees it."""
    rng = np.random.default_rng(3)
    n = 200
    ld_none = rng.normal(scale=5.0, size=n)  # large spread between items
    effect = rng.normal(size=n)
    native = ld_none + effect
    transferred = ld_none + effect + 0.1 * rng.normal(size=n)
    random = ld_none + rng.normal(size=n)  # an unrelated push of the same size
    raw_r = M.correlation(native, random, n_boot=200)
    chg_r = M.change_correlation(native, random, ld_none, n_boot=200)
    chg_t = M.change_correlation(native, transferred, ld_none, n_boot=200)
    assert raw_r.mean > 0.9
    assert abs(chg_r.mean) < 0.25
    assert chg_t.mean > 0.95
    assert chg_t.mean_ci_low > chg_r.mean_ci_high


def test_correlation_alpha_mask_and_nan_items() -> None:
    x = np.array([[1.0, 2, 3, 4], [1, 2, 3, math.nan], [4, 3, 2, 1]])
    y = np.array([[1.0, 2, 3, 4], [4, 3, 2, 1], [1, 2, 3, 4]])
    c = M.correlation(x, y, n_boot=50, alpha_mask=[True, False, True])
    assert c.n_items == 3  # the item with a NaN is dropped at every alpha
    assert c.per_alpha[0] == pytest.approx(1.0)
    assert c.per_alpha[2] == pytest.approx(-1.0)
    assert c.mean == pytest.approx(0.0)


def test_cosine_and_kl_and_perplexity() -> None:
    assert cosine(torch.tensor([1.0, 0]), torch.tensor([1.0, 1])) == pytest.approx(2 ** -0.5)
    with pytest.raises(ValueError):
        cosine(torch.ones(3), torch.ones(4))
    logits = torch.randn(3, 5, 11)
    assert M.kl_from_logits(logits, logits) == pytest.approx(0.0, abs=1e-12)
    other = logits + torch.randn(3, 5, 11)
    p = torch.softmax(logits.double(), -1)
    q = torch.softmax(other.double(), -1)
    expect = (p * (p.log() - q.log())).sum(-1).mean()
    assert M.kl_from_logits(logits, other) == pytest.approx(float(expect))
    mask = torch.zeros(3, 5, dtype=torch.bool)
    mask[0, 0] = True
    assert M.kl_from_logits(logits, other, mask) == pytest.approx(
        float((p[0, 0] * (p[0, 0].log() - q[0, 0].log())).sum()))
    assert M.perplexity(math.log(4.0) * 10, 10) == pytest.approx(4.0)
    assert M.perplexity_change(4.0, 5.0) == pytest.approx(0.25)


def _synthetic_conditions(n: int = 60, seed: int = 0) -> tuple[list[float], dict]:
    """A behaviour where transfer keeps about half the native push and random keeps none."""
    rng = np.random.default_rng(seed)
    alphas = [-0.2, -0.1, 0.0, 0.1, 0.2]
    ld_none = rng.normal(scale=2.0, size=n)
    sens = rng.uniform(5, 15, size=n)  # per-item sensitivity to the behaviour direction

    def cond(gain: float, noise: float) -> dict:
        ld = np.stack([ld_none + gain * a * sens + noise * rng.normal(size=n) * abs(a)
                       for a in alphas])
        return {"p": (1 / (1 + np.exp(-ld))).tolist(), "ld": ld.tolist(),
                "mass": np.full_like(ld, 0.8).tolist()}

    conds = {
        "none": {"p": (1 / (1 + np.exp(-ld_none))).tolist(), "ld": ld_none.tolist(),
                 "mass": [0.8] * n},
        "native": cond(1.0, 0.5),
        "transferred": cond(0.5, 0.5),
        "random:0": cond(0.0, 5.0),
        "random:1": cond(0.0, 5.0),
    }
    return alphas, conds


def test_summarize_behaviour_headline_beside_controls() -> None:
    alphas, conds = _synthetic_conditions()
    s = summarize_behaviour(alphas, conds, n_boot=200)
    h = s.headline
    assert h.transferred is not None and h.random is not None
    assert h.best_alpha in (-0.2, 0.2)
    assert abs(h.native_dp) > 0.2
    # logistic compresses: retention of half the logit push is between 0.3 and 0.8
    assert 0.3 < h.transferred.retention < 0.8
    assert abs(h.random.retention_mean) < 0.15
    assert h.transferred.corr_change.value > 0.9
    assert h.transferred.corr_change.value > h.random.corr_change_max
    assert h.random.corr_raw > 0.5  # the paper's raw form is fooled by item spread
    ret = s.column("retention", "transferred")
    assert ret[2] != ret[2]  # alpha 0: NaN
    assert s.column("answer_mass", "native") == pytest.approx([0.8] * 5)
    assert s.compared == ["transferred", "random:0", "random:1"]
    # the JSON form is valid JSON (no NaN tokens)
    text = json.dumps(nan_to_none(s.to_dict()), allow_nan=False)
    assert "transferred_retention" in text


def test_summarize_reports_nan_alpha_and_keeps_others() -> None:
    alphas, conds = _synthetic_conditions()
    for c in ("native", "transferred", "random:0", "random:1"):
        for k in ("p", "ld", "mass"):
            conds[c][k][4] = [math.nan] * len(conds[c][k][4])
    s = summarize_behaviour(alphas, conds, n_boot=100)
    assert s.headline.nan_alphas == [0.2]
    assert s.headline.best_alpha == -0.2
    assert s.headline.transferred is not None
    assert math.isfinite(s.headline.transferred.retention)
    assert math.isfinite(s.correlation_change["transferred"].mean)


def test_nan_none_roundtrip() -> None:
    x = [[1.0, math.nan], [math.inf, 2.0]]
    j = nan_to_none(x)
    assert j == [[1.0, None], [None, 2.0]]
    back = none_to_nan(j)
    assert back[0, 0] == 1.0 and math.isnan(back[0, 1])


def test_odd_part_cancels_what_any_push_does() -> None:
    """A push that shrinks every item's logit difference whatever its sign (what a random
    direction does at a large alpha) moves plain Δp but has no odd part; steering has one."""
    rng = np.random.default_rng(1)
    n, alphas = 80, [-0.2, 0.2, -0.1, 0.1]
    ld_none = rng.normal(1.5, 1.0, size=n)  # the model already leans to the matching answer
    sens = rng.uniform(5, 15, size=n)

    def cond(gain: float) -> dict:
        ld = np.stack([ld_none * (1 - 2 * abs(a)) + gain * a * sens for a in alphas])
        return {"p": (1 / (1 + np.exp(-ld))).tolist(), "ld": ld.tolist(),
                "mass": np.full_like(ld, 0.7).tolist()}

    conds = {"none": {"p": (1 / (1 + np.exp(-ld_none))).tolist(), "ld": ld_none.tolist(),
                      "mass": [0.7] * n},
             "native": cond(1.0), "transferred": cond(0.5), "random:0": cond(0.0)}
    assert M.odd_pairs(alphas) == [(3, 2), (1, 0)]
    odd = M.odd_part(conds["random:0"]["p"], alphas)
    assert odd.shape == (2, n) and np.abs(odd).max() < 1e-12
    s = summarize_behaviour(alphas, conds, n_boot=100)
    h = s.headline
    assert h.transferred is not None and h.random is not None
    assert [r.alpha for r in s.odd_rows] == [0.1, 0.2]
    assert abs(h.random.retention_mean) > 0.1  # plain retention: fooled by the shrink
    assert abs(h.random.odd_retention_mean) < 1e-9  # odd retention: not fooled
    assert h.native_odd_dp > 0.1
    assert 0.3 < h.transferred.odd_retention < 0.9
    assert h.transferred.corr_odd.value > 0.99
    assert not s.odd_rows[0].delta_p["random:0"]  # exactly zero
