"""Numbers and condition names as a reader sees them, shared by the report and the CLI.

A missing or undefined value (None, NaN, inf) prints as "–", never as "nan", so a table shows
at a glance which effects could not be measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from steerbridge.evaluation.headline import Estimate

#: How each condition is named in tables and legends (random seeds stay ``random:<seed>``).
LABELS = {"native": "native (target's own vector)", "transferred": "transferred W·v",
          "transferred_bias": "paper's W·v + b", "source": "source, own vector",
          "none": "unsteered"}


def fmt(x: Any, digits: int = 2) -> str:
    """A number with `digits` decimals, an int as is, a missing value as "–"."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def fmt_ci(v: Any, ci: Any) -> str:
    """``value [low, high]``; just the value when `ci` is not a pair."""
    if not isinstance(ci, Sequence) or len(ci) != 2:
        return fmt(v)
    return f"{fmt(v)} [{fmt(ci[0])}, {fmt(ci[1])}]"


def fmt_estimate(e: Estimate | None) -> str:
    """An `Estimate` as ``value [low, high]``; "–" when there is none."""
    return "–" if e is None else fmt_ci(e.value, e.ci)


def label(condition: str) -> str:
    """The reader's name of a condition."""
    return LABELS.get(condition, condition)


def verdict_flag(beh: dict[str, Any]) -> str:
    """A short flag for a behaviour whose result cannot be trusted as a headline: too few test
    items, or collapsed outputs; "" otherwise."""
    flags = []
    v = beh.get("verdict") or {}
    if v and not v.get("conclusive", True):
        flags.append(f"inconclusive: {v.get('n_test')} test item(s), a verdict needs "
                     f"{v.get('n_needed')}")
    if beh.get("collapsed"):
        flags.append("outputs collapsed at " + ", ".join(
            f"{c} α={'/'.join(f'{a:g}' for a in hit)}" for c, hit in beh["collapsed"].items()))
    return f" ({'; '.join(flags)})" if flags else ""


def same_share(res: Any, verdict: str) -> str | None:
    """``"74% of 200"``: the share of item resamples (`evaluation.resampling`) giving
    `verdict`; None when there are none."""
    if not isinstance(res, dict) or not isinstance(res.get("shares"), dict) \
            or not res["shares"]:
        return None
    return f"{res['shares'].get(verdict, 0.0):.0%} of {res.get('n_resamples', '?')}"


def fmt_resamples(res: Any, verdict: str) -> str:
    """What `evaluation.resampling` found, as a clause of a verdict's reason: "the same verdict
    in 64% of 200 item resamples (partly 64%, fails 36%), retention 95 % interval [+0.31,
    +0.70]"; why not, when they could not be drawn; "" when the run has none."""
    if isinstance(res, dict) and res.get("error"):
        return f"no item resamples ({res['error']})"
    same = same_share(res, verdict)
    if same is None:
        return ""
    split = ", ".join(f"{v} {s:.0%}" for v, s in sorted(res["shares"].items(),
                                                         key=lambda t: -t[1]))
    out = f"the same verdict in {same} item resamples ({split})"
    ci = res.get("retention_ci")
    if isinstance(ci, Sequence) and len(ci) == 2:
        out += f", retention 95 % interval [{ci[0]:+.2f}, {ci[1]:+.2f}]"
    return out
