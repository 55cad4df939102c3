"""One behaviour's summary: the metrics of every condition assembled into `BehaviourSummary`.

The maths lives in ``evaluation.metrics``; this module only decides what is compared with
what: every steered condition against the unsteered model, the transferred and random
conditions against the native vector, at every alpha, at the best native alpha (overall and
per sign) and on the odd part of the sweep.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from steerbridge.evaluation.headline import (
    MISSING,
    Estimate,
    Headline,
    RandomControls,
    Steered,
    Transfer,
)
from steerbridge.evaluation.metrics import (
    Correlation,
    best_alpha_index,
    change_correlation,
    correlation,
    delta_p,
    nanmean,
    odd_pairs,
    odd_part,
    retention,
    row_means,
)
from steerbridge.evaluation.results import (
    AlphaRow,
    AtBest,
    Baseline,
    BehaviourSummary,
    OddRow,
    none_to_nan,
    random_conditions,
)

Arrays = dict[str, dict[str, np.ndarray]]


def summarize_behaviour(alphas: Sequence[float], conditions: dict[str, dict[str, object]],
                        n_boot: int = 1000, seed: int = 0) -> BehaviourSummary:
    """All transfer metrics for one behaviour.

    `conditions` maps a condition name to ``{"p": ..., "ld": ..., "mass": ...}``: ``none`` (and
    ``source_none``) hold one value per item; every steered condition holds ``[n_alphas,
    n_items]``. Required: ``none`` and ``native``. Optional: ``transferred`` (W·v),
    ``transferred_bias`` (W·v + b), ``random:<seed>``..., ``source`` (the source model steered
    by its own vector, with ``source_none`` as its baseline).

    Returns per-condition Δp, mean p and mean answer mass per alpha; retention per alpha and at
    the alpha of the largest native shift (overall and per sign); raw and change-from-unsteered
    correlations with the native condition, each with bootstrap CIs; and the headline.
    """
    a = np.asarray(alphas, dtype=np.float64)
    if "none" not in conditions or "native" not in conditions:
        raise ValueError("summarize_behaviour needs the 'none' and 'native' conditions")
    arr: Arrays = {c: {k: none_to_nan(v) if isinstance(v, list) else np.asarray(v, np.float64)
                       for k, v in d.items() if k in ("p", "ld", "mass")}
                   for c, d in conditions.items()}
    steered = [c for c in arr if c not in ("none", "source_none")]
    compared = [c for c in steered if c not in ("native", "source")]

    dp: dict[str, list[float]] = {}
    p_mean: dict[str, list[float]] = {}
    mass: dict[str, list[float]] = {}
    for c in steered:
        base = arr["source_none" if c == "source" and "source_none" in arr else "none"]
        dp[c] = delta_p(arr[c]["p"], base["p"]).tolist()
        p_mean[c] = row_means(arr[c]["p"])
        mass[c] = row_means(arr[c]["mass"])
    baselines = {c: Baseline(nanmean(arr[c]["p"]), nanmean(arr[c]["mass"]))
                 for c in ("none", "source_none") if c in arr}
    native = np.asarray(dp["native"])
    ret = {c: retention(dp[c], native).tolist() for c in compared}
    rows = [AlphaRow(float(x), {c: dp[c][i] for c in steered}, {c: p_mean[c][i] for c in steered},
                     {c: mass[c][i] for c in steered}, {c: ret[c][i] for c in compared})
            for i, x in enumerate(a.tolist())]

    best = best_alpha_index(native, a)
    at_best = {sign: _at(a, ret, compared, best_alpha_index(native, a, sign=sign) if sign
                         else best) for sign in (0, +1, -1)}
    best_ret = {c: float(ret[c][best]) if best is not None else math.nan for c in compared}

    nan_alpha = ~np.isfinite(native)
    kw = {"n_boot": n_boot, "seed": seed, "alpha_mask": (a != 0) & ~nan_alpha}
    raw = {c: correlation(arr["native"]["ld"], arr[c]["ld"], **kw) for c in compared}
    change = {c: change_correlation(arr["native"]["ld"], arr[c]["ld"], arr["none"]["ld"], **kw)
              for c in compared}

    # Odd (antisymmetric) part: (p(+a) - p(-a)) / 2 removes what any push does in both signs.
    pairs = odd_pairs(a)
    odd_alphas = [float(a[i]) for i, _ in pairs]
    odd_dp = {c: row_means(odd_part(arr[c]["p"], a)) for c in steered}
    odd_native = np.asarray(odd_dp.get("native", []), dtype=np.float64)
    odd_ret = {c: retention(odd_dp[c], odd_native).tolist() for c in compared}
    odd_rows = [OddRow(x, {c: odd_dp[c][i] for c in steered}, {c: odd_ret[c][i] for c in compared})
                for i, x in enumerate(odd_alphas)]
    odd_best = best_alpha_index(odd_native) if pairs else None
    odd_corr: dict[str, Correlation] = {}
    if pairs:
        odd_ok = np.array([bool(np.isfinite(native[i]) and np.isfinite(native[j]))
                           for i, j in pairs])
        for c in compared:
            odd_corr[c] = correlation(odd_part(arr["native"]["ld"], a), odd_part(arr[c]["ld"], a),
                                      n_boot=n_boot, seed=seed, alpha_mask=odd_ok)

    at = (lambda v: v[best]) if best is not None else (lambda v: math.nan)
    oat = (lambda v: v[odd_best]) if odd_best is not None else (lambda v: math.nan)

    def steered_headline(c: str) -> Steered | None:
        if c not in dp:
            return None
        return Steered(dp=at(dp[c]), answer_mass=at(mass[c]), odd_dp=oat(odd_dp[c]))

    def transfer_headline(c: str) -> Transfer | None:
        if c not in compared:
            return None
        return Transfer(dp=at(dp[c]), answer_mass=at(mass[c]), odd_dp=oat(odd_dp[c]),
                        retention=best_ret[c], corr_raw=Estimate.of(raw[c]),
                        corr_change=Estimate.of(change[c]), odd_retention=oat(odd_ret[c]),
                        corr_odd=Estimate.of(odd_corr[c]) if c in odd_corr else MISSING)

    rnd = random_conditions(compared)
    controls = None
    if rnd:
        r_ret = [best_ret[c] for c in rnd]
        r_odd = [oat(odd_ret[c]) for c in rnd]
        controls = RandomControls(
            dp_mean=_mean([dp[c][best] for c in rnd]) if best is not None else math.nan,
            retention_mean=_mean(r_ret), retention_max_abs=_max_abs(r_ret),
            corr_raw=_mean([raw[c].mean for c in rnd]),
            corr_change=_mean([change[c].mean for c in rnd]),
            corr_change_max=max((change[c].mean for c in rnd if math.isfinite(change[c].mean)),
                                default=math.nan),
            answer_mass=_mean([mass[c][best] for c in rnd]) if best is not None else math.nan,
            odd_dp_mean=_mean([oat(odd_dp[c]) for c in rnd]), odd_retention_mean=_mean(r_odd),
            odd_retention_max_abs=_max_abs(r_odd),
            corr_odd=_mean([odd_corr[c].mean for c in rnd]) if odd_corr else math.nan)
    headline = Headline(
        best_alpha=at_best[0].alpha, native_dp=at(native.tolist()),
        native_answer_mass=at(mass["native"]), none_answer_mass=baselines["none"].answer_mass,
        transferred=transfer_headline("transferred"),
        transferred_bias=transfer_headline("transferred_bias"),
        source=steered_headline("source"), random=controls,
        odd_alpha=odd_alphas[odd_best] if odd_best is not None else None,
        native_odd_dp=float(odd_native[odd_best]) if odd_best is not None else math.nan,
        nan_alphas=[float(x) for x in a[nan_alpha]])
    return BehaviourSummary(
        alphas=a.tolist(), conditions=steered, rows=rows, none=baselines["none"],
        source_none=baselines.get("source_none"), best_alpha_index=best, best=at_best[0],
        best_positive=at_best[+1], best_negative=at_best[-1], correlation_raw=raw,
        correlation_change=change, odd_rows=odd_rows,
        odd_best_alpha=odd_alphas[odd_best] if odd_best is not None else None,
        correlation_odd=odd_corr, headline=headline)


def _at(a: np.ndarray, ret: dict[str, list[float]], compared: list[str], idx: int | None
        ) -> AtBest:
    """Retention of every compared condition at alpha index `idx` (NaN where None)."""
    return AtBest(alpha=float(a[idx]) if idx is not None else None,
                  retention={c: float(ret[c][idx]) if idx is not None else math.nan
                             for c in compared})


def _mean(vals: list[float]) -> float:
    v = [x for x in vals if math.isfinite(x)]
    return float(np.mean(v)) if v else math.nan


def _max_abs(vals: list[float]) -> float:
    v = [abs(x) for x in vals if math.isfinite(x)]
    return float(np.max(v)) if v else math.nan
