"""One-line verdicts per behaviour and method: transfers / partly / fails / not judgeable.

The rule (fixed before any run it judges; `RULE` is printed with every report):

- **not judgeable** when native steering is too weak (|Δp| < 0.15 at the best α), the target
  barely answers (unsteered answer mass < 0.5), or the source vector does not move its own
  model (|odd Δp| < 0.05 at the source's best α-pair): nothing to carry, or nothing to see.
- **transfers** when retention ≥ 0.85 and odd retention ≥ 0.85, the random target *and* random
  source controls retain ≤ 0.1 on average, and the change correlation is ≥ 0.9 and above every
  random target direction's.
- **partly** when retention and odd retention are both ≥ 0.5 and both exceed the largest |value|
  any control (random target or random source) reaches.
- **fails** otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

NATIVE_MIN_DP = 0.15
MASS_MIN = 0.5
SOURCE_MIN_ODD = 0.05
FULL = 0.85
CONTROL_MAX = 0.1
CORR_MIN = 0.9
PART = 0.5

RULE = (f"not judgeable: |native Δp| < {NATIVE_MIN_DP}, unsteered answer mass < {MASS_MIN}, or "
        f"|source odd Δp| < {SOURCE_MIN_ODD}. transfers: retention ≥ {FULL} and odd retention ≥ "
        f"{FULL}, mean random-target and random-source retention ≤ {CONTROL_MAX}, change "
        f"correlation ≥ {CORR_MIN} and above every random target's. partly: retention and odd "
        f"retention ≥ {PART} and above every control's |value|. fails: otherwise.")


@dataclass(frozen=True)
class Evidence:
    """What a verdict is judged on (NaN where missing)."""

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


def _le(x: float, bound: float) -> bool:
    return math.isfinite(x) and x <= bound


def judge(e: Evidence) -> tuple[str, str]:
    """``(verdict, reason)`` by `RULE`."""
    if not (math.isfinite(e.native_dp) and abs(e.native_dp) >= NATIVE_MIN_DP):
        return "not judgeable", f"native Δp {e.native_dp:+.2f}"
    if not (math.isfinite(e.none_mass) and e.none_mass >= MASS_MIN):
        return "not judgeable", f"answer mass {e.none_mass:.2f}"
    if not (math.isfinite(e.source_odd_dp) and abs(e.source_odd_dp) >= SOURCE_MIN_ODD):
        return "not judgeable", f"source odd Δp {e.source_odd_dp:+.3f} (source does not steer)"
    ret, odd = e.retention, e.odd_retention
    why = (f"retention {ret:+.2f}, odd {odd:+.2f}; random target {e.random_target_mean:+.2f} "
           f"(max {e.random_target_max:.2f}), random source {e.random_source_mean:+.2f} "
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


def from_headline(h: Any) -> Evidence:
    """Evidence for the state bridge (``transferred``) from a `Headline`; a run without random
    source controls cannot reach "transfers" (the rule needs both kinds of control)."""
    nan = math.nan
    t, r, s = h.transferred, h.random, h.source

    def num(x: Any) -> float:
        return float(x) if isinstance(x, int | float) else nan

    return Evidence(
        native_dp=num(h.native_dp), none_mass=num(h.none_answer_mass),
        source_odd_dp=num(s.odd_dp) if s is not None else nan,
        retention=num(t.retention) if t else nan, odd_retention=num(t.odd_retention) if t else nan,
        corr_change=num(t.corr_change.value) if t else nan,
        random_target_mean=num(r.retention_mean) if r else nan,
        random_target_max=num(r.retention_max_abs) if r else nan,
        random_target_odd_max=num(r.odd_retention_max_abs) if r else nan,
        random_target_corr_max=num(r.corr_change_max) if r else nan,
        random_source_mean=nan, random_source_max=nan, random_source_odd_max=nan)


def verdict_lines(results: dict[str, Any]) -> list[str]:
    """One Markdown line per behaviour of a results.json, the rule after them."""
    from steerbridge.evaluation.headline import Headline

    out = []
    for name, beh in results.get("behaviours", {}).items():
        if "summary" not in beh:
            out.append(f"- **{name}**: not judgeable (no summary: {beh.get('errors', '')})")
            continue
        verdict, why = judge(from_headline(Headline.from_dict(beh["summary"]["headline"])))
        out.append(f"- **{name}**: {verdict} (W·v; {why})")
    return [*out, "", f"Rule: {RULE}"]
