"""The native ceiling: could *any* transfer method pass the rule's control bar at this push?

"transfers" needs random target directions of the carried vector's norm to retain at most 0.1
of native's change on average. Part of what a random direction does is the same whatever its
direction (any push this large moves the answer one way: an even-order effect), so the bar is
a property of the behaviour, the target layer and the push, not of the method: a method that
returned the target's own vector exactly would face random directions at native's norm. Here
the target is steered by random directions of native's norm (``ceiling:<seed>``; a seed gives
the same direction as the random target control ``random:<seed>``, only the norm differs), and each
one's change is read as a share of native's at native's best alpha, per instrument. Where the
mean share exceeds the bar, no method carrying the behaviour at native's push can reach
"transfers"; a smaller push might (RESULTS.md §7l). Evaluation only: native is what transfer
is judged against, never a method's input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from steerbridge.evaluation.verdicts import CONTROL_MAX, standard_error
from steerbridge.vectors.vector import SteeringVector, random_like

PREFIX = "ceiling:"
INSTRUMENTS = {"p": "p", "lo": "log-odds"}


def _share_stats(rand: dict[str, float]) -> dict[str, Any]:
    """Mean ± standard error and largest |value| of the random directions' shares."""
    vals = list(rand.values())
    return {"random": rand, "random_mean": float(np.mean(vals)) if vals else math.nan,
            "random_se": standard_error(vals),
            "random_max_abs": float(np.max(np.abs(vals))) if vals else math.nan}


def shares(conds: Mapping[str, Any], alphas: Sequence[float], score: str) -> dict[str, Any]:
    """Native's change and each random direction's (``random:``/``ceiling:`` names) share of it,
    at native's best alpha and at every alpha; and, for every ±a pair, the share of native's odd
    part (half the +a minus −a change), where a push that moves the answer the same way whatever
    its sign cancels."""
    alphas = [float(a) for a in alphas]
    base = np.asarray(conds["none"][score], float)
    change = {k: [float(np.nanmean(np.asarray(v[score], float)[i] - base))
                  for i in range(len(alphas))]
              for k, v in conds.items() if k != "none" and score in v}
    native = change["native"]
    randoms = [k for k in change if k.startswith(("random:", PREFIX))]

    def share(x: float, of: float) -> float:
        return x / of if of and math.isfinite(of) else math.nan

    by_alpha = [{"alpha": a, "native_change": native[i],
                 **_share_stats({k: share(change[k][i], native[i]) for k in randoms})}
                for i, a in enumerate(alphas)]
    odd = []
    for i, a in enumerate(alphas):
        if a > 0 and -a in alphas:
            j = alphas.index(-a)
            nat = (native[i] - native[j]) / 2
            odd.append({"alpha": a, "native_odd_change": nat,
                        **_share_stats({k: share((change[k][i] - change[k][j]) / 2, nat)
                                        for k in randoms})})
    best = int(np.nanargmax(np.abs(native))) if np.isfinite(native).any() else 0
    at_best = by_alpha[best]
    return {"best_alpha": alphas[best], "native_change": native[best], "native_by_alpha": native,
            **{k: at_best[k] for k in ("random", "random_mean", "random_se", "random_max_abs")},
            "reachable": bool(abs(at_best["random_mean"]) <= CONTROL_MAX),
            "by_alpha": by_alpha, "odd": odd}


def ceiling_vectors(native: SteeringVector, seeds: Sequence[int]) -> dict[str, SteeringVector]:
    """Random directions of native's norm, named ``ceiling:<seed>`` (swept by
    `ab.evaluate_behaviour`'s ``extra``, beside the other conditions)."""
    return {f"{PREFIX}{s}": random_like(native, seed=int(s)) for s in seeds}


def add_ceiling(res: dict[str, Any], swept: Mapping[str, Any]) -> None:
    """Record the ceiling in an evaluation's result (in place): its per-item scores, the shares
    per instrument, and in each verdict whether "transfers" was within reach."""
    res["ceiling"] = {"conditions": {k: {s: (np.asarray(v).tolist() if s != "nan_alphas" else v)
                                         for s, v in c.items()} for k, c in swept.items()},
                      **_judge(res, res["conditions"], res["alphas"], swept)}


def reread(beh: dict[str, Any], inputs: Mapping[str, Any]) -> None:
    """Re-read a behaviour's stored ceiling at the alphas `inputs` keeps (`verdicts --push`:
    `evaluation.resampling.at_push`), into its verdicts and ``ceiling["at_push"]``; a ceiling
    that does not read back is dropped from the verdicts rather than shown at the wrong push."""
    stored = beh.get("ceiling")
    if not isinstance(stored, dict):
        return
    try:
        alphas = [float(a) for a in beh["alphas"]]
        rows = [alphas.index(float(a)) for a in inputs["alphas"]]
        swept = {k: {s: np.asarray(v, float)[rows] for s, v in c.items() if s in INSTRUMENTS}
                 for k, c in stored["conditions"].items()}
        stored["at_push"] = {"alphas": list(inputs["alphas"]),
                             **_judge(beh, inputs["conditions"], inputs["alphas"], swept)}
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        for key in ("judgement", "judgement_logodds"):
            if isinstance(beh.get(key), dict):
                beh[key].pop("ceiling", None)


def _judge(res: dict[str, Any], conditions: Mapping[str, Any], alphas: Sequence[float],
           swept: Mapping[str, Any]) -> dict[str, Any]:
    """The shares per instrument (``{"p": ..., "lo": ...}``), also noted in `res`'s verdicts."""
    conds = {**{k: conditions[k] for k in ("none", "native")}, **swept}
    n = {np.shape(c[s])[-1] for c in conds.values() for s in INSTRUMENTS if s in c}
    if len(n) != 1 or any(np.shape(c[s])[0] != len(alphas) for k, c in swept.items()
                          for s in INSTRUMENTS if s in c):
        raise ValueError("the ceiling's scores do not match the run's items and alphas")
    block = {score: shares(conds, alphas, score) for score in INSTRUMENTS
             if all(score in c for c in conds.values())}
    for key, score in (("judgement", "p"), ("judgement_logodds", "lo")):
        if isinstance(res.get(key), dict) and score in block:
            res[key]["ceiling"] = {k: block[score][k] for k in
                                   ("best_alpha", "random_mean", "random_se", "reachable")} | {
                "n": len(swept)}
    return block
