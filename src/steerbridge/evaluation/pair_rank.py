"""A layer pair's row in the transfer ranking, and the ranking: numbers per behaviour from its
judgement (p and, where the scores carry it, the log-odds instrument), the means over judgeable
behaviours, the verdict counts, and the margin over the random target directions
(`evaluation.pair_transfer`): mean retention − mean |random-target retention|, so a random
control that moves the wrong way counts against a pair as one that moves the right way does
(the verdict rule's |mean|), never for it.

Pairs are ranked by their verdicts first (more "transfers", then more "transfers" or "partly"),
then by the margin: a mean can rise on one behaviour while another loses its "transfers"
(RESULTS.md §7r: 12 → 15 had the larger margin, 10 → 12 the only "transfers"), and the verdicts
are what a report leads with."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steerbridge.bridge.affine import Bridge

NOT_JUDGEABLE = "not judgeable"
# per-behaviour numbers in a row, as ``<behaviour>:<key>``
BEHAVIOUR_KEYS = ("retention", "odd_retention", "random_retention", "source_odd_dp",
                  "native_dp", "answer_mass", "verdict", "lo_retention", "lo_random_retention",
                  "lo_verdict")
# what pairs are ranked by: the margin in p (the primary instrument) or on the log-odds
RANK_BY = ("p", "logodds")


@dataclass
class PairTransfer:
    """One fitted pair's row (see the module doc) and each behaviour's full evaluation."""

    row: dict[str, Any]
    details: dict[str, dict[str, Any]] = field(default_factory=dict)


def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def _mean(xs: Sequence[float]) -> float:
    v = [x for x in xs if math.isfinite(x)]
    return float(np.mean(v)) if v else math.nan


def behaviour_numbers(res: dict[str, Any]) -> dict[str, Any]:
    """The row's numbers for one behaviour from `evaluate_behaviour`'s result."""
    j = res["judgement"]
    lo = res.get("judgement_logodds") or {}  # absent where the scores carry no log-odds
    return {"retention": _num(j.get("retention")), "odd_retention": _num(j.get("odd_retention")),
            "random_retention": _num(j.get("random_target_mean")),
            "source_odd_dp": _num(j.get("source_odd_dp")), "native_dp": _num(j.get("native_dp")),
            "answer_mass": _num(j.get("none_mass")), "verdict": str(j.get("verdict", "")),
            "why": str(j.get("why", "")), "lo_retention": _num(lo.get("retention")),
            "lo_random_retention": _num(lo.get("random_target_mean")),
            "lo_verdict": str(lo.get("verdict", ""))}


def pair_row(bridge: Bridge, numbers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A pair's row: its state R² and the means over judgeable behaviours beside each one's."""
    test = bridge.metrics.get("test", {})
    judged = [b for b, n in numbers.items() if n["verdict"] != NOT_JUDGEABLE]

    def over(names: Sequence[str], key: str) -> float:
        return _mean([numbers[b][key] for b in names])

    def beyond_random(names: Sequence[str], key: str, random_key: str) -> float:
        return over(names, key) - _mean([abs(numbers[b][random_key]) for b in names])

    row: dict[str, Any] = {
        "source_layers": "+".join(map(str, bridge.source_layers)),
        "target_layer": bridge.target_layer, "r2": _num(test.get("r2")),
        "mean_retention": over(judged, "retention"),
        "mean_odd_retention": over(judged, "odd_retention"),
        "random_retention": over(judged, "random_retention"),
        "margin": beyond_random(judged, "retention", "random_retention"),
        "margin_all": beyond_random(list(numbers), "retention", "random_retention"),
        "margin_logodds": beyond_random(judged, "lo_retention", "lo_random_retention"),
        "margin_logodds_all": beyond_random(list(numbers), "lo_retention", "lo_random_retention"),
        "n_judgeable": len(judged), "n_behaviours": len(numbers),
        **_verdict_counts(numbers, "verdict", ""),
        **_verdict_counts(numbers, "lo_verdict", "_logodds"),
    }
    for b, n in numbers.items():
        row.update({f"{b}:{k}": n[k] for k in BEHAVIOUR_KEYS})
    return row


def _verdict_counts(numbers: dict[str, dict[str, Any]], key: str,
                    suffix: str) -> dict[str, int]:
    """How many behaviours read "transfers", and "partly", by one instrument's verdicts."""
    verdicts = [n[key] for n in numbers.values()]
    return {f"n_transfers{suffix}": verdicts.count("transfers"),
            f"n_partly{suffix}": verdicts.count("partly")}


def rank(rows: list[PairTransfer], by: str = "p") -> list[PairTransfer]:
    """Best first: pairs with a judgeable behaviour before those without; then more
    "transfers", then more "transfers" or "partly"; then the margin over judgeable behaviours
    (none judgeable: over all); then R². ``by="logodds"`` counts the log-odds verdicts and
    ranks by the same margins on that instrument (judgeability stays the p rule's)."""
    by_p = by == "p"
    m_key, all_key = ("margin", "margin_all") if by_p else ("margin_logodds",
                                                            "margin_logodds_all")
    t_key, p_key = ("n_transfers", "n_partly") if by_p else ("n_transfers_logodds",
                                                            "n_partly_logodds")

    def key(p: PairTransfer) -> tuple[int, int, int, float, float]:
        m, m_all, r2 = p.row.get(m_key, math.nan), p.row.get(all_key, math.nan), p.row["r2"]
        transfers = int(p.row.get(t_key, 0))
        partly = transfers + int(p.row.get(p_key, 0))
        fit = -r2 if math.isfinite(r2) else math.inf
        if math.isfinite(m):
            return (0, -transfers, -partly, -m, fit)
        return (1, -transfers, -partly, -m_all if math.isfinite(m_all) else math.inf, fit)

    out = sorted(rows, key=key)
    for i, p in enumerate(out, 1):
        p.row = {"rank": i, **p.row}
    return out
