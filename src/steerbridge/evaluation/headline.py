"""A behaviour's headline: every effect at the best native alpha beside its controls.

`Headline` is the typed form of ``results.json``'s ``summary.headline`` dict, whose flat keys
(``transferred_retention``, ``random_corr_change``...) it writes and reads back exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from steerbridge.evaluation.metrics import Correlation

#: A float, NaN where undefined; None where a NaN went through results.json.
Num: TypeAlias = float | None
NAN = math.nan


@dataclass(frozen=True)
class Estimate:
    """A mean over alphas of per-item correlations, with its bootstrap 95 % interval."""

    value: Num
    low: Num = NAN
    high: Num = NAN

    @classmethod
    def of(cls, c: Correlation) -> Estimate:
        return cls(c.mean, c.mean_ci_low, c.mean_ci_high)

    @property
    def ci(self) -> list[Num]:
        return [self.low, self.high]


MISSING = Estimate(NAN, NAN, NAN)


@dataclass(frozen=True, kw_only=True)
class Steered:
    """One steered condition at the best native alpha (``odd_dp``: at the odd alpha)."""

    dp: Num
    answer_mass: Num
    odd_dp: Num = NAN


@dataclass(frozen=True, kw_only=True)
class Transfer(Steered):
    """A transferred vector (W·v or W·v + b) beside the native one."""

    retention: Num
    corr_raw: Estimate
    corr_change: Estimate
    odd_retention: Num = NAN
    corr_odd: Estimate = MISSING


@dataclass(frozen=True, kw_only=True)
class RandomControls:
    """The random directions: means (and worst cases) over seeds, at the same alphas."""

    dp_mean: Num
    retention_mean: Num
    retention_max_abs: Num
    corr_raw: Num
    corr_change: Num
    corr_change_max: Num
    answer_mass: Num
    odd_dp_mean: Num = NAN
    odd_retention_mean: Num = NAN
    odd_retention_max_abs: Num = NAN
    corr_odd: Num = NAN


_RANDOM_MAIN = ("dp_mean", "retention_mean", "retention_max_abs", "corr_raw", "corr_change",
                "corr_change_max", "answer_mass")
_RANDOM_ODD = ("odd_dp_mean", "odd_retention_mean", "odd_retention_max_abs", "corr_odd")


@dataclass(frozen=True, kw_only=True)
class Headline:
    """One behaviour's headline: every effect at the best native alpha, beside its controls.

    ``odd_alpha`` is None when the sweep has no ±alpha pair; the ``odd_*`` fields of the
    conditions are then NaN and not written.
    """

    best_alpha: Num
    native_dp: Num
    native_answer_mass: Num
    none_answer_mass: Num
    transferred: Transfer | None = None
    transferred_bias: Transfer | None = None
    source: Steered | None = None
    random: RandomControls | None = None
    odd_alpha: Num = None
    native_odd_dp: Num = NAN
    nan_alphas: list[float] = field(default_factory=list)

    def steered(self) -> dict[str, Steered]:
        """The conditions present, by their results.json name."""
        conds = {"transferred": self.transferred, "transferred_bias": self.transferred_bias,
                 "source": self.source}
        return {c: s for c, s in conds.items() if s is not None}

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"best_alpha": self.best_alpha, "native_dp": self.native_dp,
                             "native_answer_mass": self.native_answer_mass,
                             "none_answer_mass": self.none_answer_mass}
        steered = self.steered()
        transfers = {c: s for c, s in steered.items() if isinstance(s, Transfer)}
        for c, s in steered.items():
            d[f"{c}_dp"], d[f"{c}_answer_mass"] = s.dp, s.answer_mass
        for c, t in transfers.items():
            d[f"{c}_retention"] = t.retention
            d[f"{c}_corr_raw"], d[f"{c}_corr_raw_ci"] = t.corr_raw.value, t.corr_raw.ci
            d[f"{c}_corr_change"], d[f"{c}_corr_change_ci"] = t.corr_change.value, \
                t.corr_change.ci
        if self.random is not None:
            d.update({f"random_{k}": getattr(self.random, k) for k in _RANDOM_MAIN})
        if self.odd_alpha is not None:
            d["odd_alpha"], d["native_odd_dp"] = self.odd_alpha, self.native_odd_dp
            for c, s in steered.items():
                d[f"{c}_odd_dp"] = s.odd_dp
            for c, t in transfers.items():
                d[f"{c}_odd_retention"] = t.odd_retention
                d[f"{c}_corr_odd"], d[f"{c}_corr_odd_ci"] = t.corr_odd.value, t.corr_odd.ci
            if self.random is not None:
                d.update({f"random_{k}": getattr(self.random, k) for k in _RANDOM_ODD})
        d["nan_alphas"] = list(self.nan_alphas)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Headline:
        odd = "odd_alpha" in d

        def est(key: str) -> Estimate:
            ci = d.get(f"{key}_ci") or [NAN, NAN]
            return Estimate(d[key], ci[0], ci[1]) if key in d else MISSING

        def base(c: str) -> dict[str, Num]:
            return {"dp": d[f"{c}_dp"], "answer_mass": d[f"{c}_answer_mass"],
                    "odd_dp": d[f"{c}_odd_dp"] if odd else NAN}

        def transfer(c: str) -> Transfer | None:
            if f"{c}_dp" not in d:
                return None
            return Transfer(**base(c), retention=d[f"{c}_retention"],
                            corr_raw=est(f"{c}_corr_raw"), corr_change=est(f"{c}_corr_change"),
                            odd_retention=d[f"{c}_odd_retention"] if odd else NAN,
                            corr_odd=est(f"{c}_corr_odd"))

        rnd = None
        if "random_dp_mean" in d:
            keys = _RANDOM_MAIN + (_RANDOM_ODD if odd else ())
            rnd = RandomControls(**{k: d[f"random_{k}"] for k in keys})
        return cls(best_alpha=d["best_alpha"], native_dp=d["native_dp"],
                   native_answer_mass=d["native_answer_mass"],
                   none_answer_mass=d["none_answer_mass"], transferred=transfer("transferred"),
                   transferred_bias=transfer("transferred_bias"),
                   source=Steered(**base("source")) if "source_dp" in d else None, random=rnd,
                   odd_alpha=d["odd_alpha"] if odd else None,
                   native_odd_dp=d["native_odd_dp"] if odd else NAN,
                   nan_alphas=list(d["nan_alphas"]))
