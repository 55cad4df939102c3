"""Typed results read results.json's summary dicts back exactly: old dict → from_dict → to_dict."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from steerbridge.evaluation.headline import Headline
from steerbridge.evaluation.results import BehaviourSummary, nan_to_none
from steerbridge.evaluation.summary import summarize_behaviour

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "layout" / "summary.json"


def _same(a: object, b: object, path: str = "summary") -> None:
    """Equal, NaN equal to NaN, dict keys in the same order."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _conditions(n: int = 20, seed: int = 0, alphas: tuple[float, ...] = (-0.2, 0.0, 0.2),
                names: tuple[str, ...] = ("native", "transferred", "random:0")) -> dict:
    rng = np.random.default_rng(seed)
    ld0 = rng.normal(size=n)

    def cond(gain: float) -> dict:
        ld = np.stack([ld0 + gain * a * rng.uniform(5, 15, size=n) for a in alphas])
        return {"p": (1 / (1 + np.exp(-ld))).tolist(), "ld": ld.tolist(),
                "mass": np.full_like(ld, 0.7).tolist()}

    out = {"none": {"p": (1 / (1 + np.exp(-ld0))).tolist(), "ld": ld0.tolist(),
                    "mass": [0.7] * n}}
    out.update({c: cond(1.0 if c == "native" else 0.4) for c in names})
    return out


def test_old_fixture_summary_round_trips() -> None:
    """The summary the pre-layout code wrote reads back and writes out unchanged."""
    old = json.loads(FIXTURE.read_text())
    s = BehaviourSummary.from_dict(old)
    new = s.to_dict()
    # the fixture was written with sorted keys: compare key by key, NaN-aware
    assert set(new) == set(old)
    for k in old:
        _same(json.loads(json.dumps(old[k], sort_keys=True)),
              json.loads(json.dumps(new[k], sort_keys=True)), k)
    h = s.headline
    assert h.transferred is not None and h.random is not None and h.source is not None
    assert h.transferred.retention == old["headline"]["transferred_retention"]
    assert h.random.corr_change == old["headline"]["random_corr_change"]
    assert h.odd_alpha == old["headline"]["odd_alpha"]
    assert s.column("delta_p", "native") == old["delta_p"]["native"]


def test_json_form_round_trips_text_identical() -> None:
    """From results.json text (NaN stored as null) back to the same text, key order included."""
    cases = [
        ((-0.2, 0.0, 0.2), ("native", "transferred", "random:0")),
        ((0.1, 0.3), ("native", "transferred")),  # no ±alpha pair, no random control
        ((-0.2, 0.2), ("native", "transferred", "transferred_bias", "random:0", "random:1")),
    ]
    for alphas, names in cases:
        conds = _conditions(alphas=alphas, names=names)
        summary = summarize_behaviour(list(alphas), conds, n_boot=30)
        text = json.dumps(nan_to_none(summary.to_dict()), indent=1, allow_nan=False)
        back = BehaviourSummary.from_dict(json.loads(text))
        assert json.dumps(nan_to_none(back.to_dict()), indent=1, allow_nan=False) == text
        _same(summary.to_dict(), BehaviourSummary.from_dict(summary.to_dict()).to_dict())


def test_source_reference_and_missing_blocks() -> None:
    alphas = (0.1, 0.3)
    conds = _conditions(alphas=alphas, names=("native", "transferred", "source"))
    conds["source_none"] = conds["none"]
    s = summarize_behaviour(list(alphas), conds, n_boot=30)
    d = s.to_dict()
    assert s.source_none is not None and d["p_mean"]["source_none"] == [s.source_none.p_mean]
    assert s.headline.random is None and "random_dp_mean" not in d["headline"]
    assert s.headline.odd_alpha is None and "odd_alpha" not in d["headline"]
    assert s.headline.source is not None and "source_dp" in d["headline"]
    assert "source_retention" not in d["headline"]  # the source is not compared with native
    assert s.compared == ["transferred"] and s.odd_rows == []
    assert Headline.from_dict(d["headline"]).to_dict() == d["headline"]
