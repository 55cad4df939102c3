"""How much a verdict depends on which test items were drawn: the rule re-applied to resamples.

A behaviour's verdict is judged on a few dozen test items. bf16 rounding moves its figures by
about 0.02 (`evaluation.verdicts.NEAR` flags that); which items happened to be in the test split
moves them far more. Here the test items are drawn again with replacement (the same draw for
every condition, the unsteered baselines and the source reference included, so each item keeps
its pairing), the whole summary and the rule are recomputed on each draw, and the share of draws
giving each verdict is reported beside 95 % percentile intervals of retention and odd
retention. The rule itself is unchanged; this says how often it would have said the same thing
on another draw of the same size. The random directions stay the ones the run drew: their own
spread (one direction's retention scatters by about 0.1, RESULTS.md §7g) is not in these
shares. Pure numpy on the per-item scores: no models.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import logodds
from steerbridge.evaluation.collapse import SCORES, mask
from steerbridge.evaluation.summary import summarize_behaviour
from steerbridge.evaluation.verdicts import judgement

N_RESAMPLES = 200  # verdict shares to about ±3.5 % (binomial se at 50 %), ~1 s per behaviour
VERDICTS = ("transfers", "partly", "fails", "not judgeable")

Conditions = Mapping[str, Mapping[str, Any]]


def as_arrays(conditions: Any, alphas: Sequence[float]) -> dict[str, dict[str, Any]]:
    """Every per-item score as a float array, checked: baselines ``[n_items]``, steered
    conditions ``[n_alphas, n_items]``, one item count throughout; a clear error otherwise (a
    hand-edited or truncated results.json)."""
    if not isinstance(conditions, Mapping) or not conditions:
        raise SteerbridgeError("The per-item scores ('conditions') are missing or not a mapping "
                               "of condition name to scores; re-run the behaviour.")
    out: dict[str, dict[str, Any]] = {}
    sizes = set()
    for name, c in conditions.items():
        if not isinstance(c, Mapping):
            raise SteerbridgeError(f"Condition {name!r} holds {type(c).__name__}, not scores.")
        want = 1 if name in ("none", "source_none") else 2
        out[name] = dict(c)
        for k in SCORES:
            if k not in c:
                continue
            try:
                a = np.asarray(c[k], np.float64)
            except (TypeError, ValueError):
                raise SteerbridgeError(f"Condition {name!r} score {k!r} is not a list of numbers "
                                       "(or rows of equal length); re-run the behaviour.") from None
            if a.ndim != want or (want == 2 and a.shape[0] != len(alphas)):
                raise SteerbridgeError(
                    f"Condition {name!r} score {k!r} has shape {a.shape}; expected "
                    + ("[n_items]" if want == 1 else f"[{len(alphas)} alphas, n_items]")
                    + "; re-run the behaviour.")
            out[name][k] = a
            sizes.add(a.shape[-1])
    if len(sizes) != 1:
        raise SteerbridgeError(f"Conditions hold different numbers of items ({sorted(sizes)}); "
                               "resampling needs every condition scored on the same test items.")
    return out


def take_items(conditions: Conditions, idx: np.ndarray) -> dict[str, dict[str, Any]]:
    """`conditions` with every per-item score (last axis) indexed by `idx`; other keys kept."""
    return {name: {k: np.asarray(v, np.float64)[..., idx] if k in SCORES else v
                   for k, v in c.items()} for name, c in conditions.items()}


def _interval(values: list[float]) -> list[float] | None:
    ok = [v for v in values if math.isfinite(v)]
    if not ok:
        return None
    return [float(np.percentile(ok, 2.5)), float(np.percentile(ok, 97.5))]


def _digest(judged: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(j["verdict"] for j in judged)
    return {"n_resamples": len(judged),
            "shares": {v: counts[v] / len(judged) for v in VERDICTS if counts[v]},
            "retention_ci": _interval([j["retention"] for j in judged]),
            "odd_retention_ci": _interval([j["odd_retention"] for j in judged])}


def item_resamples(conditions: Conditions, alphas: Sequence[float],
                   source_controls: Sequence[str], target_controls: Sequence[str], n_test: int,
                   text_answers: bool = False, n: int = N_RESAMPLES, seed: int = 0,
                   condition: str = "transferred") -> dict[str, Any]:
    """The rule on `n` resamples of the items of `conditions` (already masked for collapse).

    Returns ``{"n", "seed", "p": {"shares": {verdict: share}, "retention_ci",
    "odd_retention_ci"}, "log-odds": the same or None}``; the log-odds verdict of each draw
    keeps that draw's p judgeability, as `evaluation.logodds` does.
    """
    if n < 1:
        raise SteerbridgeError(f"{n} resamples: give at least 1 (200 reads shares to ±3.5 %).")
    conditions = as_arrays(conditions, alphas)
    n_items = next(np.shape(c[k])[-1] for c in conditions.values() for k in SCORES if k in c)
    rng = np.random.default_rng(seed)
    primary, on_logodds = [], []
    for _ in range(n):
        drawn = take_items(conditions, rng.integers(0, n_items, size=n_items))
        summary = summarize_behaviour(alphas, drawn, n_boot=0)
        j = judgement(summary, condition, source_controls, target_controls, n_test,
                      text_answers=text_answers)
        primary.append(j)
        lo = logodds.judgement(drawn, alphas, source_controls, target_controls, j)
        if lo is not None:
            on_logodds.append(lo)
    return {"n": n, "seed": seed, "p": _digest(primary),
            "log-odds": _digest(on_logodds) if on_logodds else None}


def rejudge(inputs: Mapping[str, Any], condition: str = "transferred"
            ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The p and log-odds judgements of `stored_behaviour`'s inputs by the current rule (for
    runs judged by an older version: same scores, today's figures and reasons)."""
    summary = summarize_behaviour(inputs["alphas"], inputs["conditions"], n_boot=0)
    j = judgement(summary, condition, inputs["source_controls"], inputs["target_controls"],
                  inputs["n_test"], text_answers=inputs["text_answers"])
    lo = logodds.judgement(inputs["conditions"], inputs["alphas"], inputs["source_controls"],
                           inputs["target_controls"], j)
    return j, lo


def at_push(inputs: Mapping[str, Any], push: float) -> dict[str, Any]:
    """`stored_behaviour`'s inputs kept to the alphas ±`push` (native's best alpha is then taken
    among those only): a run judged at a smaller push from the scores it already holds, each
    alpha having been scored on its own. A clear error when the run has neither sign."""
    if not (math.isfinite(push) and push > 0):
        raise SteerbridgeError(f"--push {push}: give the size of the push, a positive alpha "
                               "(e.g. 0.2 judges at α −0.2 and +0.2).")
    alphas = [float(a) for a in inputs["alphas"]]
    rows = [i for i, a in enumerate(alphas) if math.isclose(abs(a), push, abs_tol=1e-9)]
    if not rows:
        have = ", ".join(f"{a:+g}" for a in alphas)
        raise SteerbridgeError(f"This behaviour was scored at α {have}; push {push:g} is not "
                               "among them. Give one of those sizes, or re-run at it.")
    conds = as_arrays(inputs["conditions"], alphas)
    kept = {name: {k: v[rows] if k in SCORES and np.ndim(v) == 2 else v for k, v in c.items()
                   if k != "nan_alphas"} for name, c in conds.items()}
    return {**inputs, "conditions": kept, "alphas": [alphas[i] for i in rows]}


def _mapping(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}


def stored_behaviour(beh: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs of `item_resamples` from one behaviour of a results.json, as the run judged it
    (random source conditions added, collapsed alphas masked); a clear error for a behaviour
    that has no per-item scores or a malformed (hand-edited, truncated) block."""
    if "conditions" not in beh or "alphas" not in beh:
        raise SteerbridgeError("This behaviour has no per-item scores (it failed, or the run "
                               "predates them); re-run it to resample its verdict.")
    try:
        alphas = [float(a) for a in beh["alphas"]]
    except (TypeError, ValueError):
        raise SteerbridgeError(f"'alphas' is {beh['alphas']!r}, not a list of numbers; "
                               "re-run the behaviour.") from None
    own, controls = _mapping(beh["conditions"]), _mapping(
        _mapping(beh.get("random_source")).get("conditions"))
    if "none" not in own or "native" not in own:
        raise SteerbridgeError("The per-item scores lack the unsteered ('none') or the native "
                               "condition a verdict is measured against; re-run the behaviour.")
    conds = as_arrays({**own, **controls}, alphas)
    collapsed = beh.get("collapsed") or {}
    if not (isinstance(collapsed, Mapping) and all(
            isinstance(v, list) and all(isinstance(a, int | float) for a in v)
            for v in collapsed.values())):
        raise SteerbridgeError(f"'collapsed' is {collapsed!r}, not condition -> list of alphas; "
                               "re-run the behaviour.")
    j = _mapping(beh.get("judgement"))
    return {"conditions": mask(conds, alphas, dict(collapsed)), "alphas": alphas,
            "source_controls": sorted(controls),
            "target_controls": sorted(c for c in own if c.startswith("random:")),
            "n_test": int(j.get("n_test", beh.get("n_items", 0)) or 0),
            "text_answers": beh.get("scoring") == "text"}
