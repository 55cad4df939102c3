"""The verdicts as one table, the report's first: per behaviour and instrument, the verdict, how
often resampled test items give it, and the judged figures with retention's 95 % interval.

The verdict lines under it (`evaluation.verdicts.verdict_lines`) keep the reasons in words; this
table is what a reader scans and cites. Runs judged before random source controls existed have
no judgement to tabulate and get no row here (their line still says what they are).
"""

from __future__ import annotations

from typing import Any

from steerbridge.evaluation.formatting import fmt, fmt_ci, same_share

VERDICT_COLUMNS = ["behaviour", "instrument", "verdict", "same verdict in item resamples",
                   "retention [95 % interval]", "odd retention [95 %]", "corr change",
                   "random target mean ± se (max, n)", "random source mean (max)", "method"]


def _pm(se: Any) -> str:
    return f" ± {fmt(se)}" if fmt(se) != "–" else ""


def _row(name: str, instrument: str, j: dict[str, Any], method: str) -> list[str]:
    found = j.get("item_resamples")
    res: dict[str, Any] = found if isinstance(found, dict) else {}
    n_rnd = j.get("n_random_target")
    return [name, instrument, str(j["verdict"]), same_share(res, j["verdict"]) or "–",
            fmt_ci(j.get("retention"), res.get("retention_ci")),
            fmt_ci(j.get("odd_retention"), res.get("odd_retention_ci")),
            fmt(j.get("corr_change")),
            f"{fmt(j.get('random_target_mean'))}{_pm(j.get('random_target_se'))} "
            f"({fmt(j.get('random_target_max'))}, {n_rnd if n_rnd is not None else '?'})",
            f"{fmt(j.get('random_source_mean'))} ({fmt(j.get('random_source_max'))})", method]


def verdict_rows(results: dict[str, Any]) -> list[list[str]]:
    """One row per judged behaviour (p), and one under it for the log-odds where it was run."""
    rows = []
    for name, beh in results.get("behaviours", {}).items():
        j = beh.get("judgement") if isinstance(beh, dict) else None
        if not isinstance(j, dict) or "verdict" not in j:
            continue
        method = str(j.get("method", "state"))
        rows.append(_row(name, "p", j, method))
        lo = beh.get("judgement_logodds")
        if isinstance(lo, dict) and "verdict" in lo:
            rows.append(_row(name, "log-odds", lo, method))
    return rows
