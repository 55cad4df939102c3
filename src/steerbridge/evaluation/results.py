"""Typed results of one behaviour's A/B evaluation, and their ``results.json`` form.

`summarize_behaviour` (``evaluation.summary``) builds a `BehaviourSummary`; the report, the
CLI and the benchmark scripts read its fields. ``to_dict`` writes exactly the dict that
``results.json`` has always held under ``behaviours.<name>.summary`` (same keys, same order),
and ``from_dict`` reads such a dict back, so ``from_dict(d).to_dict() == d``.

Numbers are NaN in memory where a metric is undefined; ``results.json`` stores them as null
(`nan_to_none`), so a summary read back from disk holds None there (`Num`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from steerbridge.evaluation.headline import Headline, Num
from steerbridge.evaluation.metrics import Correlation


def random_conditions(conditions: Sequence[str]) -> list[str]:
    """The ``random:<seed>`` condition names present, in order."""
    return [c for c in conditions if c.startswith("random:")]


# ------------------------------------------------------------------------ JSON form


def nan_to_none(x: object) -> object:
    """Recursively turn NaN/inf floats into None so the result is valid JSON."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: nan_to_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [nan_to_none(v) for v in x]
    if isinstance(x, np.ndarray):
        return nan_to_none(x.tolist())
    if isinstance(x, np.floating):
        return nan_to_none(float(x))
    if isinstance(x, np.integer):
        return int(x)
    return x


def none_to_nan(x: Sequence[object]) -> np.ndarray:
    """Inverse of `nan_to_none` for one numeric (nested) list read back from JSON."""
    def conv(v: object) -> object:
        if v is None:
            return math.nan
        if isinstance(v, list):
            return [conv(e) for e in v]
        return v

    return np.asarray(conv(list(x)), dtype=np.float64)


# -------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class AlphaRow:
    """One alpha of the sweep: per condition Δp, mean p and answer mass; retention of the
    conditions compared with the native vector."""

    alpha: float
    delta_p: dict[str, Num]
    p_mean: dict[str, Num]
    answer_mass: dict[str, Num]
    retention: dict[str, Num]


@dataclass(frozen=True)
class OddRow:
    """One alpha > 0 with -alpha in the sweep: the odd part (p(+a) − p(−a)) / 2."""

    alpha: float
    delta_p: dict[str, Num]
    retention: dict[str, Num]


@dataclass(frozen=True)
class Baseline:
    """An unsteered model: mean p(matching answer) and answer mass over the items."""

    p_mean: Num
    answer_mass: Num


@dataclass(frozen=True, kw_only=True)
class AtBest:
    """Retention per compared condition at the alpha of the largest native shift."""

    alpha: Num
    retention: dict[str, Num]


def _columns(rows: Sequence[Any], attr: str, names: Sequence[str]) -> dict[str, list[Num]]:
    return {c: [getattr(r, attr)[c] for r in rows] for c in names}


def _rows(d: dict[str, list[Num]], i: int) -> dict[str, Num]:
    return {c: v[i] for c, v in d.items()}


@dataclass(frozen=True, kw_only=True)
class BehaviourSummary:
    """All transfer metrics of one behaviour (what `summarize_behaviour` returns).

    ``conditions`` are the steered conditions in sweep order; ``compared`` those measured
    against the native vector (all but ``native`` and ``source``). Correlations are keyed by
    compared condition.
    """

    alphas: list[float]
    conditions: list[str]
    rows: list[AlphaRow]
    none: Baseline
    source_none: Baseline | None
    best_alpha_index: int | None
    best: AtBest
    best_positive: AtBest
    best_negative: AtBest
    correlation_raw: dict[str, Correlation]
    correlation_change: dict[str, Correlation]
    odd_rows: list[OddRow]
    odd_best_alpha: Num
    correlation_odd: dict[str, Correlation]
    headline: Headline

    @property
    def compared(self) -> list[str]:
        return [c for c in self.conditions if c not in ("native", "source")]

    @property
    def best_alpha(self) -> Num:
        return self.best.alpha

    def column(self, metric: str, condition: str) -> list[Num]:
        """One condition's ``delta_p``, ``p_mean``, ``answer_mass`` or ``retention`` per alpha."""
        return [getattr(r, metric)[condition] for r in self.rows]

    def to_dict(self) -> dict[str, Any]:
        conds, comp = self.conditions, self.compared
        p_mean, mass = _columns(self.rows, "p_mean", conds), _columns(self.rows, "answer_mass",
                                                                      conds)
        for name, b in (("none", self.none), ("source_none", self.source_none)):
            if b is not None:
                p_mean[name], mass[name] = [b.p_mean], [b.answer_mass]
        return {
            "alphas": list(self.alphas), "delta_p": _columns(self.rows, "delta_p", conds),
            "p_mean": p_mean, "answer_mass": mass,
            "retention": _columns(self.rows, "retention", comp),
            "best_alpha_index": self.best_alpha_index, "best_alpha": self.best.alpha,
            "retention_at_best": dict(self.best.retention),
            "retention_at_best_positive": dict(self.best_positive.retention),
            "retention_at_best_negative": dict(self.best_negative.retention),
            "best_alpha_positive": self.best_positive.alpha,
            "best_alpha_negative": self.best_negative.alpha,
            "correlation_raw": {c: r.to_dict() for c, r in self.correlation_raw.items()},
            "correlation_change": {c: r.to_dict() for c, r in self.correlation_change.items()},
            "odd_alphas": [r.alpha for r in self.odd_rows],
            "odd_delta_p": _columns(self.odd_rows, "delta_p", conds),
            "odd_retention": _columns(self.odd_rows, "retention", comp),
            "odd_best_alpha": self.odd_best_alpha,
            "correlation_odd": {c: r.to_dict() for c, r in self.correlation_odd.items()},
            "headline": self.headline.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BehaviourSummary:
        conds = list(d["delta_p"])
        alphas = list(d["alphas"])
        pm, am = d["p_mean"], d["answer_mass"]
        rows = [AlphaRow(a, _rows(d["delta_p"], i), {c: pm[c][i] for c in conds},
                         {c: am[c][i] for c in conds}, _rows(d["retention"], i))
                for i, a in enumerate(alphas)]
        odd = [OddRow(a, _rows(d["odd_delta_p"], i), _rows(d["odd_retention"], i))
               for i, a in enumerate(d["odd_alphas"])]

        def baseline(name: str) -> Baseline | None:
            return Baseline(pm[name][0], am[name][0]) if name in pm else None

        def corr(key: str) -> dict[str, Correlation]:
            return {c: Correlation(**r) for c, r in d[key].items()}

        none = baseline("none")
        assert none is not None, "a summary always has the unsteered baseline"
        return cls(
            alphas=alphas, conditions=conds, rows=rows, none=none,
            source_none=baseline("source_none"), best_alpha_index=d["best_alpha_index"],
            best=AtBest(alpha=d["best_alpha"], retention=dict(d["retention_at_best"])),
            best_positive=AtBest(alpha=d["best_alpha_positive"],
                                 retention=dict(d["retention_at_best_positive"])),
            best_negative=AtBest(alpha=d["best_alpha_negative"],
                                 retention=dict(d["retention_at_best_negative"])),
            correlation_raw=corr("correlation_raw"),
            correlation_change=corr("correlation_change"), odd_rows=odd,
            odd_best_alpha=d["odd_best_alpha"], correlation_odd=corr("correlation_odd"),
            headline=Headline.from_dict(d["headline"]))
