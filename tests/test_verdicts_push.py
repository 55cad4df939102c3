"""`steerbridge verdicts --push`: a stored run judged afresh at a smaller push, from its scores."""

from __future__ import annotations

import numpy as np
import pytest

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation.resampling import at_push, rejudge, stored_behaviour
from steerbridge.evaluation.summary import summarize_behaviour
from steerbridge.evaluation.verdicts import judgement

ALPHAS = [-0.4, -0.2, 0.2, 0.4]


def _behaviour(n: int = 60, alphas: list[float] = ALPHAS) -> dict:
    """Native and the transferred vector shift each item's log-odds in proportion to α; the
    random directions shift it by +1.2 nats at |α| 0.4 whatever their sign (an even-order push
    that any direction this large gives) and not at all at 0.2."""
    rng = np.random.default_rng(0)
    base = rng.normal(0.0, 1.0, n)
    sens = rng.normal(1.0, 0.3, n)

    def cond(shift: float, even: float, scatter: float) -> dict:
        lo = np.stack([base + a / 0.4 * shift * sens + (even if abs(a) > 0.3 else 0.0)
                       + rng.normal(0, scatter, n) for a in alphas])
        return {"p": (1 / (1 + np.exp(-lo))).tolist(), "ld": lo.tolist(), "lo": lo.tolist(),
                "mass": np.ones_like(lo).tolist()}

    none = {k: v[0] for k, v in cond(0.0, 0.0, 0.0).items()}
    own = {"none": none, "native": cond(3.0, 0.0, 0.05), "transferred": cond(3.0, 0.0, 0.1),
           "random:0": cond(0.0, 1.2, 0.3), "random:1": cond(0.0, 1.2, 0.3),
           "source_none": none, "source": cond(3.0, 0.0, 0.05)}
    return {"alphas": alphas, "n_items": n, "collapsed": {}, "scoring": "text",
            "conditions": own,
            "random_source": {"conditions": {"srcrand:0": cond(0.0, 0.0, 0.3)}},
            "judgement": {"verdict": "stored", "why": "stored"}}


def test_at_push_keeps_only_that_push_and_judges_as_a_run_at_it_would() -> None:
    full = stored_behaviour(_behaviour())
    small = at_push(full, 0.2)
    assert small["alphas"] == [-0.2, 0.2]
    assert np.shape(small["conditions"]["native"]["p"]) == (2, 60)
    assert np.shape(small["conditions"]["none"]["p"]) == (60,)
    at_full, _ = rejudge(full)
    at_small, lo = rejudge(small)
    # the even-order push of the random directions at 0.4 blocks "transfers" there, not at 0.2
    assert at_full["verdict"] != "transfers" and abs(at_full["random_target_mean"]) > 0.1
    assert at_small["verdict"] == "transfers", at_small["why"]
    assert lo is not None
    # the same as summarizing a run that scored ±0.2 only
    conds = {k: {s: np.asarray(v)[1:3] if np.ndim(v) == 2 else np.asarray(v)
                 for s, v in c.items()} for k, c in full["conditions"].items()}
    direct = judgement(summarize_behaviour([-0.2, 0.2], conds, n_boot=0), "transferred",
                       full["source_controls"], full["target_controls"], full["n_test"],
                       text_answers=True)
    assert at_small["retention"] == pytest.approx(direct["retention"])
    assert at_small["random_target_mean"] == pytest.approx(direct["random_target_mean"])


@pytest.mark.parametrize("push, says", [(0.3, "push 0.3 is not among them"),
                                        (0.0, "positive alpha"), (float("nan"), "positive")])
def test_a_push_the_run_did_not_score_is_refused_by_name(push, says) -> None:
    with pytest.raises(SteerbridgeError, match=says):
        at_push(stored_behaviour(_behaviour()), push)
