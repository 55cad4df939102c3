"""A/B comparison of transfer methods, each beside random *target* directions and random
*source* vectors pushed through the same method, with a verdict per method.

Condition names in the sweep: ``native``; ``transferred`` (the state bridge, so the usual
headline still reads it); ``m:<method>`` for the other methods; ``random:<seed>`` (random target
directions of the state-bridge vector's norm and scale); ``srcrand:<method>:<seed>`` (a random
source vector of equal norm through `<method>`); ``source`` / ``source_none`` (the source model
under its own vector, when given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from steerbridge.bridge.fidelity import cosine
from steerbridge.evaluation.ab import prepare, sweep
from steerbridge.evaluation.summary import summarize_behaviour
from steerbridge.evaluation.text_scores import is_text
from steerbridge.evaluation.verdicts import RULE, judgement
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
    table = method_table(summary, methods, source_controls, random_seeds, len(prompts),
                         text_answers=is_text(prompts))
    lt = native.layers[0]
    for m, v in methods.items():
        table[m]["cos_native"] = cosine(v.direction(lt), native.direction(lt))
        table[m]["gain"] = float(v.scales[lt]) / float(native.scales[lt])
    return {"n_items": len(prompts), "alphas": [float(a) for a in alphas], "rule": RULE,
            "methods": table, "summary": summary.to_dict(),
            "conditions": {c: {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                               for k, v in d.items()} for c, d in conds.items()}}


def method_table(summary: Any, methods: Mapping[str, Any],
                 source_controls: Mapping[str, Sequence[Any]],
                 random_seeds: Sequence[int], n_test: int, text_answers: bool = False
                 ) -> dict[str, dict[str, Any]]:
    """Per method: retention, odd retention, change correlation, mass, controls, verdict."""
    return {m: judgement(summary, condition(m), [f"srcrand:{m}:{i}" for i in range(
        len(source_controls.get(m, ())))], [f"random:{s}" for s in random_seeds], n_test,
        text_answers=text_answers) for m in methods}


def verdict_lines(name: str, table: Mapping[str, Mapping[str, Any]], default: str) -> str:
    """One line: the default method's verdict first, then the others'."""
    first = table[default]
    others = "; ".join(f"{m}: {t['verdict']}" for m, t in table.items() if m != default)
    return f"**{name}**: {first['verdict']} ({default}; {first['why']}). Others: {others}."
