"""The one verdict rule, per behaviour and method: transfers / partly / fails / not judgeable.

Used by the pipeline's results and report and by `evaluation.method_eval` alike. The rule
(fixed before any run it judges; `RULE` is printed with every report):

- **not judgeable** when the test set is too small (fewer than `ITEMS_NEEDED` items, see
  `evaluation.judgeable`), native steering is too weak (|Δp| < 0.15 at the best α), the target
  barely answers (unsteered answer mass < 0.5; letter answers only: text answers are both
  scored, see `evaluation.text_scores`), or the source vector does not move its own
  model (|odd Δp| < 0.05 at the source's best α-pair): nothing to carry, or nothing to see.
- **transfers** when retention ≥ 0.85 and odd retention ≥ 0.85, the random target *and* random
  source controls retain ≤ 0.1 on average in absolute value (|mean|: a control that pushes the
  behaviour the *wrong* way on average is as much a sign of a method-wide push as one that
  pushes it the right way), and the change correlation is ≥ 0.9 and above every
  random target direction's.
- **partly** when retention and odd retention are both ≥ 0.5 and both exceed the largest |value|
  any control (random target or random source) reaches.
- **fails** otherwise.

A reason also names every figure whose move by `NEAR` either way would flip the verdict: on the
demo, bf16 rounding alone (the same answers scored in another batch layout) moved retentions by
up to 0.02 and flipped one verdict (RESULTS.md §7j), so such a verdict is a coin toss.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from steerbridge.evaluation.formatting import fmt_resamples
from steerbridge.evaluation.judgeable import ITEMS_NEEDED

NATIVE_MIN_DP = 0.15
MASS_MIN = 0.5
SOURCE_MIN_ODD = 0.05
FULL = 0.85
CONTROL_MAX = 0.1
CORR_MIN = 0.9
PART = 0.5
NEAR = 0.03  # a verdict this nudge flips is flagged: bf16 rounding moved retention ±0.02

RULE = (f"not judgeable: fewer than {ITEMS_NEEDED} test items, |native Δp| < {NATIVE_MIN_DP}, "
        f"unsteered answer mass < {MASS_MIN} (letter answers), or "
        f"|source odd Δp| < {SOURCE_MIN_ODD}. transfers: retention ≥ {FULL} and odd retention ≥ "
        f"{FULL}, |mean| random-target and |mean| random-source retention ≤ {CONTROL_MAX}, change "
        f"correlation ≥ {CORR_MIN} and above every random target's. partly: retention and odd "
        f"retention ≥ {PART} and above every control's |value|. fails: otherwise.")
LOGODDS_RULE = ("Log-odds instrument (`evaluation.logodds`): the same numbers and thresholds on "
                "each item's per-token answer log-odds instead of p, judgeability from the p "
                "rule; reported beside the p verdict, never instead of it.")


@dataclass(frozen=True)
class Evidence:
    """What a verdict is judged on (NaN where missing)."""

    n_test: int
    native_dp: float
    none_mass: float
    source_odd_dp: float
    retention: float
    odd_retention: float
    corr_change: float
    random_target_mean: float
    random_target_max: float
    random_target_odd_max: float
    random_target_corr_max: float
    random_source_mean: float
    random_source_max: float
    random_source_odd_max: float
    text_answers: bool = False  # answers scored as texts: no answer mass to threshold
    n_random_target: int = 0  # how many random target directions the control's mean is over


def _le(x: float, bound: float) -> bool:
    return math.isfinite(x) and abs(x) <= bound


FIGURES = {"retention": "retention", "odd_retention": "odd", "corr_change": "corr",
           "random_target_mean": "random target", "random_source_mean": "random source"}


def near_lines(e: Evidence) -> list[str]:
    """The judged figures that moved by `NEAR` either way would change the verdict."""
    verdict = _judge(e)[0]
    out = []
    for name, label in FIGURES.items():
        x = getattr(e, name)
        if math.isfinite(x) and any(_judge(replace(e, **{name: x + d}))[0] != verdict
                                    for d in (-NEAR, NEAR)):
            out.append(f"{label} {x:+.2f}")
    return out


def judge(e: Evidence) -> tuple[str, str]:
    """``(verdict, reason)`` by `RULE`; the reason names the figures a nudge of `NEAR` would
    flip the verdict on."""
    verdict, why = _judge(e)
    if verdict != "not judgeable" and (near := near_lines(e)):
        why += f"; within {NEAR} of a line (rounding can flip it): {', '.join(near)}"
    return verdict, why


def _judge(e: Evidence) -> tuple[str, str]:
    """``(verdict, reason)`` by `RULE`."""
    if e.n_test < ITEMS_NEEDED:
        return "not judgeable", f"{e.n_test} test items (a verdict needs {ITEMS_NEEDED})"
    if not (math.isfinite(e.native_dp) and abs(e.native_dp) >= NATIVE_MIN_DP):
        return "not judgeable", f"native Δp {e.native_dp:+.2f}"
    if not e.text_answers and not (math.isfinite(e.none_mass) and e.none_mass >= MASS_MIN):
        return "not judgeable", f"answer mass {e.none_mass:.2f}"
    if not (math.isfinite(e.source_odd_dp) and abs(e.source_odd_dp) >= SOURCE_MIN_ODD):
        return "not judgeable", f"source odd Δp {e.source_odd_dp:+.3f} (source does not steer)"
    ret, odd = e.retention, e.odd_retention
    n_rnd = f", {e.n_random_target} directions" if e.n_random_target else ""
    why = (f"retention {ret:+.2f}, odd {odd:+.2f}; random target {e.random_target_mean:+.2f} "
           f"(max {e.random_target_max:.2f}{n_rnd}), random source {e.random_source_mean:+.2f} "
           f"(max {e.random_source_max:.2f}); corr {e.corr_change:.2f}")
    rt_corr = e.random_target_corr_max if math.isfinite(e.random_target_corr_max) else -1.0
    if (ret >= FULL and odd >= FULL and _le(e.random_target_mean, CONTROL_MAX)
            and _le(e.random_source_mean, CONTROL_MAX) and e.corr_change >= CORR_MIN
            and e.corr_change > rt_corr):
        return "transfers", why
    worst = max((abs(x) for x in (e.random_target_max, e.random_source_max) if math.isfinite(x)),
                default=0.0)
    worst_odd = max((abs(x) for x in (e.random_target_odd_max, e.random_source_odd_max)
                     if math.isfinite(x)), default=0.0)
    if ret >= PART and odd >= PART and ret > worst and odd > worst_odd:
        return "partly", why
    return "fails", why


def _num(x: Any) -> float:
    return float(x) if x is not None and math.isfinite(float(x)) else math.nan


def judgement(summary: Any, cond: str, source_controls: Sequence[str],
              target_controls: Sequence[str], n_test: int, text_answers: bool = False
              ) -> dict[str, Any]:
    """Condition `cond`'s evidence beside its random target and random source control
    conditions, and its verdict by `evaluation.verdicts.RULE`."""
    best = summary.best_alpha_index
    odd_i = next((i for i, r in enumerate(summary.odd_rows)
                  if r.alpha == summary.odd_best_alpha), None)

    def ret(c: str) -> float:
        return _num(summary.rows[best].retention.get(c)) if best is not None else math.nan

    def odd(c: str) -> float:
        return _num(summary.odd_rows[odd_i].retention.get(c)) if odd_i is not None else math.nan

    def corr(c: str) -> float:
        return _num(summary.correlation_change[c].mean) if c in summary.correlation_change \
            else math.nan

    def stats(names: Sequence[str], f: Any, agg: Any) -> float:
        vals = [f(c) for c in names if math.isfinite(f(c))]
        return float(agg(vals)) if vals else math.nan

    h = summary.headline
    src = h.source.odd_dp if h.source is not None else math.nan
    rnd, srn = list(target_controls), list(source_controls)
    absmax = lambda xs: max(abs(x) for x in xs)  # noqa: E731
    ev = Evidence(
        n_test=n_test, native_dp=_num(h.native_dp), none_mass=_num(h.none_answer_mass),
        source_odd_dp=_num(src), retention=ret(cond), odd_retention=odd(cond),
        corr_change=corr(cond), random_target_mean=stats(rnd, ret, np.mean),
        random_target_max=stats(rnd, ret, absmax),
        random_target_odd_max=stats(rnd, odd, absmax),
        random_target_corr_max=stats(rnd, corr, max),
        random_source_mean=stats(srn, ret, np.mean),
        random_source_max=stats(srn, ret, absmax),
        random_source_odd_max=stats(srn, odd, absmax), text_answers=text_answers,
        n_random_target=sum(math.isfinite(ret(c)) for c in rnd))
    verdict, why = judge(ev)
    row = summary.rows[best] if best is not None else None
    mass = row.answer_mass.get(cond) if row is not None else None
    native_dp = _num(row.delta_p.get("native")) if row is not None else math.nan
    src_ret = _num(row.delta_p.get("source")) / native_dp if row is not None and native_dp \
        else math.nan
    return {"verdict": verdict, "why": why, **ev.__dict__, "answer_mass": _num(mass),
            # what a label-free method can hope for: the source's own Δp over native's at the
            # best α, and the share of the source's own effect the target reproduced
            "source_retention": src_ret,
            "of_source": ev.retention / src_ret if src_ret and math.isfinite(src_ret)
            else math.nan,
            "random_source_odd_mean": stats(srn, odd, np.mean),
            # how precisely the directions drawn pin the control's mean (one direction scatters
            # by ~0.1: RESULTS.md §7g); NaN with fewer than two
            "random_target_se": stats(rnd, ret, standard_error),
            "random_target_odd_mean": stats(rnd, odd, np.mean),
            "random_source_corr_mean": stats(srn, corr, np.mean)}


def standard_error(xs: Sequence[float]) -> float:
    """Standard error of a mean (NaN for fewer than two values)."""
    return float(np.std(xs, ddof=1) / math.sqrt(len(xs))) if len(xs) > 1 else math.nan


def from_headline(h: Any, n_test: int) -> Evidence:
    """Evidence for ``transferred`` from a `Headline` (results made before random source
    controls: such a run cannot reach "transfers", the rule needs both kinds of control)."""
    nan = math.nan
    t, r, s = h.transferred, h.random, h.source

    def num(x: Any) -> float:
        return float(x) if isinstance(x, int | float) else nan

    return Evidence(
        n_test=n_test, native_dp=num(h.native_dp), none_mass=num(h.none_answer_mass),
        source_odd_dp=num(s.odd_dp) if s is not None else nan,
        retention=num(t.retention) if t else nan, odd_retention=num(t.odd_retention) if t else nan,
        corr_change=num(t.corr_change.value) if t else nan,
        random_target_mean=num(r.retention_mean) if r else nan,
        random_target_max=num(r.retention_max_abs) if r else nan,
        random_target_odd_max=num(r.odd_retention_max_abs) if r else nan,
        random_target_corr_max=num(r.corr_change_max) if r else nan,
        random_source_mean=nan, random_source_max=nan, random_source_odd_max=nan)


def ceiling_note(ceiling: Any) -> str:
    """A verdict line's words for its judgement's ``ceiling`` (`evaluation.ceiling`): whether
    random directions at native's own push already pass the control bar ('' when not run)."""
    if not isinstance(ceiling, dict) or "random_mean" not in ceiling:
        return ""
    mean, se = _num(ceiling["random_mean"]), _num(ceiling.get("random_se"))
    pm = f" ± {se:.2f}" if math.isfinite(se) else ""
    reach = ("within reach" if ceiling.get("reachable") else
             "out of reach for any method at this push (judge a smaller one: verdicts --push)")
    return (f"native ceiling: {ceiling.get('n', '?')} random directions at native's own push "
            f"retain {mean:+.2f}{pm} of its change, so 'transfers' is {reach}")


def verdict_lines(results: dict[str, Any]) -> list[str]:
    """One Markdown line per behaviour of a results.json (and, where the run has it, a line for
    the log-odds instrument's verdict under it), the rule after them."""
    from steerbridge.evaluation.headline import Headline

    out = []
    for name, beh in results.get("behaviours", {}).items():
        j = beh.get("judgement")
        if "summary" not in beh and not (isinstance(j, dict) and "verdict" in j):
            out.append(f"- **{name}**: not judgeable (no summary: {beh.get('errors', '')})")
            continue
        if isinstance(j, dict) and "verdict" in j:  # judged with random source controls
            verdict, why, method = j["verdict"], j["why"], j.get("method", "state")
            of_src, src_ret = _num(j.get("of_source")), _num(j.get("source_retention"))
            if math.isfinite(of_src) and math.isfinite(src_ret):
                why += (f"; {of_src:.2f} of the source's own effect, which is {src_ret:.2f} of "
                        "native")
            if resampled := fmt_resamples(j.get("item_resamples"), verdict):
                why += f"; {resampled}"
            if ceiling := ceiling_note(j.get("ceiling")):
                why += f"; {ceiling}"
        else:
            n = int((beh.get("verdict") or {}).get("n_test", beh.get("n_items", 0)))
            ev = from_headline(Headline.from_dict(beh["summary"]["headline"]), n)
            verdict, why = judge(replace(ev, text_answers=beh.get("scoring") == "text"))
            method = "state"
        out.append(f"- **{name}**: {verdict} ({method}; {why})")
        lo = beh.get("judgement_logodds")
        if isinstance(lo, dict) and "verdict" in lo:
            lo_why = lo.get("why", "no reason recorded")
            if resampled := fmt_resamples(lo.get("item_resamples"), lo["verdict"]):
                lo_why += f"; {resampled}"
            if ceiling := ceiling_note(lo.get("ceiling")):
                lo_why += f"; {ceiling}"
            out.append(f"  - {name}, log-odds instrument: {lo['verdict']} ({lo_why})")
    rule = f"Rule: {RULE}"
    if any(isinstance(b.get("judgement_logodds"), dict)
           for b in results.get("behaviours", {}).values()):
        rule += f" {LOGODDS_RULE}"
    return [*out, "", rule]
