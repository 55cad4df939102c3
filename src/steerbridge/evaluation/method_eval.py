"""A/B comparison of transfer methods, each beside random *target* directions and random
*source* vectors pushed through the same method, with a verdict per method.

Condition names in the sweep: ``native``; ``transferred`` (the state bridge, so the usual
headline still reads it); ``m:<method>`` for the other methods; ``random:<seed>`` (random target
directions of the state-bridge vector's norm and scale); ``srcrand:<method>:<seed>`` (a random
source vector of equal norm through `<method>`); ``source`` / ``source_none`` (the source model
under its own vector, when given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from steerbridge.bridge.fidelity import cosine
from steerbridge.evaluation.ab import prepare, sweep
from steerbridge.evaluation.summary import summarize_behaviour
from steerbridge.evaluation.verdicts import RULE, Evidence, judge
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.vector import SteeringVector, random_like

STATE = "state"


def condition(method: str) -> str:
    """The sweep's condition name for a method's vector."""
    return "transferred" if method == STATE else f"m:{method}"


def evaluate_methods(target: LoadedModel, test_items: Sequence[ABItem], native: SteeringVector,
                     methods: Mapping[str, SteeringVector],
                     source_controls: Mapping[str, Sequence[SteeringVector]],
                     alphas: Sequence[float], random_seeds: Sequence[int] = (0, 1),
                     source_conditions: Mapping[str, Any] | None = None, batch_size: int = 8,
                     n_boot: int = 200) -> dict[str, Any]:
    """Sweep every method and control on the test items; return the per-method table + verdicts.

    `methods` must contain ``"state"`` (the state bridge's W·v): the random target directions
    take its norm and scale. `source_controls[m]` are random source vectors through method m.
    """
    prompts = prepare(target, test_items)
    vecs: dict[str, SteeringVector] = {"native": native}
    vecs.update({condition(m): v for m, v in methods.items()})
    for s in random_seeds:
        vecs[f"random:{s}"] = random_like(methods[STATE], seed=int(s))
    for m, ctrl in source_controls.items():
        vecs.update({f"srcrand:{m}:{i}": v for i, v in enumerate(ctrl)})
    conds = sweep(target, prompts, vecs, alphas, batch_size)
    if source_conditions is not None:
        for c in ("source_none", "source"):
            conds[c] = {k: np.asarray(v) if k != "nan_alphas" else v
                        for k, v in source_conditions[c].items()}
    summary = summarize_behaviour(alphas, conds, n_boot=n_boot)
    table = method_table(summary, methods, source_controls, random_seeds)
    lt = native.layers[0]
    for m, v in methods.items():
        table[m]["cos_native"] = cosine(v.direction(lt), native.direction(lt))
        table[m]["gain"] = float(v.scales[lt]) / float(native.scales[lt])
    return {"n_items": len(prompts), "alphas": [float(a) for a in alphas], "rule": RULE,
            "methods": table, "summary": summary.to_dict(),
            "conditions": {c: {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                               for k, v in d.items()} for c, d in conds.items()}}


def _num(x: Any) -> float:
    return float(x) if x is not None and math.isfinite(float(x)) else math.nan


def method_table(summary: Any, methods: Mapping[str, Any],
                 source_controls: Mapping[str, Sequence[Any]],
                 random_seeds: Sequence[int]) -> dict[str, dict[str, Any]]:
    """Per method: retention, odd retention, change correlation, mass, controls, verdict."""
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

    def stats(names: list[str], f: Any, agg: Any) -> float:
        vals = [f(c) for c in names if math.isfinite(f(c))]
        return float(agg(vals)) if vals else math.nan

    h = summary.headline
    rnd = [f"random:{s}" for s in random_seeds]
    src = h.source.odd_dp if h.source is not None else math.nan
    out: dict[str, dict[str, Any]] = {}
    for m in methods:
        c = condition(m)
        srn = [f"srcrand:{m}:{i}" for i in range(len(source_controls.get(m, ())))]
        absmax = lambda xs: max(abs(x) for x in xs)  # noqa: E731
        ev = Evidence(
            native_dp=_num(h.native_dp), none_mass=_num(h.none_answer_mass),
            source_odd_dp=_num(src), retention=ret(c), odd_retention=odd(c),
            corr_change=corr(c), random_target_mean=stats(rnd, ret, np.mean),
            random_target_max=stats(rnd, ret, absmax),
            random_target_odd_max=stats(rnd, odd, absmax),
            random_target_corr_max=stats(rnd, corr, max),
            random_source_mean=stats(srn, ret, np.mean) if srn else math.nan,
            random_source_max=stats(srn, ret, absmax) if srn else math.nan,
            random_source_odd_max=stats(srn, odd, absmax) if srn else math.nan)
        verdict, why = judge(ev)
        mass = summary.rows[best].answer_mass.get(c) if best is not None else None
        out[m] = {"verdict": verdict, "why": why, **ev.__dict__, "answer_mass": _num(mass),
                  "random_source_odd_mean": stats(srn, odd, np.mean) if srn else math.nan,
                  "random_target_odd_mean": stats(rnd, odd, np.mean)}
    return out


def verdict_lines(name: str, table: Mapping[str, Mapping[str, Any]], default: str) -> str:
    """One line: the default method's verdict first, then the others'."""
    first = table[default]
    others = "; ".join(f"{m}: {t['verdict']}" for m, t in table.items() if m != default)
    return f"**{name}**: {first['verdict']} ({default}; {first['why']}). Others: {others}."
