"""report.py renders synthetic results: plots embedded, tables filled, controls beside effects."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np

from steerbridge.evaluation import report
from steerbridge.evaluation.results import nan_to_none
from steerbridge.evaluation.summary import summarize_behaviour


def synthetic_results(seed: int = 0, n: int = 30) -> dict:
    rng = np.random.default_rng(seed)
    alphas = [-0.2, -0.1, 0.1, 0.2]
    ld0 = rng.normal(scale=2.0, size=n)
    sens = rng.uniform(5, 15, size=n)

    def cond(gain: float, noise: float, mass: float) -> dict:
        ld = np.stack([ld0 + gain * a * sens + noise * abs(a) * rng.normal(size=n)
                       for a in alphas])
        return {"p": (1 / (1 + np.exp(-ld))).tolist(), "ld": ld.tolist(),
                "mass": np.full_like(ld, mass).tolist()}

    conds = {"none": {"p": (1 / (1 + np.exp(-ld0))).tolist(), "ld": ld0.tolist(),
                      "mass": [0.9] * n},
             "native": cond(1.0, 0.5, 0.85), "transferred": cond(0.7, 0.5, 0.8),
             "transferred_bias": cond(0.2, 3.0, 0.6),
             "random:0": cond(0.0, 4.0, 0.8), "random:1": cond(0.0, 4.0, 0.8)}
    conds["source_none"] = conds["none"]
    conds["source"] = cond(0.9, 0.5, 0.85)
    summary = summarize_behaviour(alphas, conds, n_boot=100).to_dict()
    beh = {
        "n_items": n, "alphas": alphas, "conditions": conds, "summary": summary,
        "cosine": {"transferred": 0.41, "transferred_bias": 0.05, "random:0": 0.01,
                   "random:1": -0.02},
        "side_effects": {"alpha": 0.2, "tokens": 256, "none_ppl": 12.0,
                         "native": {"kl": 0.05, "ppl": 12.5, "ppl_change": 0.04},
                         "transferred": {"kl": 0.04, "ppl": 12.4, "ppl_change": 0.03},
                         "random:0": {"kl": 0.03, "ppl": 12.2, "ppl_change": 0.02}},
        "generations": {"alpha": 0.2, "conditions": ["none", "native", "transferred"],
                        "samples": [{"prompt": "Describe <a rainy day>.",
                                     "outputs": {"none": "It rains.", "native": "Lovely rain!",
                                                 "transferred": "Nice rain."}}]},
        "tone": {"scorer": "vader", "alpha": 0.2, "mean": {"none": 0.1, "native": 0.6},
                 "shift": {"native": 0.5}},
        "errors": [],
    }
    return nan_to_none({  # type: ignore[return-value]
        "steerbridge_version": "test", "config_hash": "abc", "created": "now",
        "models": {"source": {"name": "s", "fingerprint": "f1"},
                   "target": {"name": "t", "fingerprint": "f2"}},
        "bridge": {"source_layer": 1, "target_layer": 2, "method": "ridge", "n_tokens": 1000,
                   "metrics": {"r2": 0.6, "cosine": 0.85}},
        "pairs": {"source_layers": [0, 1, 2], "target_layers": [0, 1, 2, 3],
                  "scores": rng.uniform(size=(3, 4)).tolist(), "metric": "R²",
                  "chosen": [1, 2]},
        "behaviours": {"tone": beh, "broken": {"errors": ["answers not single tokens"]}},
        "timings": {"total_s": 12.0},
    })


def _pngs(text: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)",
                                                    text)]


def test_html_is_self_contained_with_plots_and_filled_tables(tmp_path: Path) -> None:
    res = synthetic_results()
    path = tmp_path / "results.json"
    path.write_text(json.dumps(res, allow_nan=False))
    html_path, md_path = report.write(path)
    text = html_path.read_text()
    pngs = _pngs(text)
    assert len(pngs) == 3  # heatmap, sweep, scatter
    assert all(p.startswith(b"\x89PNG") and len(p) > 5000 for p in pngs)
    assert "src='http" not in text and "<script" not in text
    # the summary row carries the transferred retention beside the random control
    h = res["behaviours"]["tone"]["summary"]["headline"]
    assert f"{h['transferred_retention']:.2f}" in text
    assert f"{h['random_retention_mean']:.2f}" in text
    assert "Lovely rain!" in text and "&lt;a rainy day&gt;" in text
    assert "answers not single tokens" in text
    md = md_path.read_text()
    assert "| tone |" in md and "| broken |" in md
    assert f"{h['transferred_retention']:.2f}" in md


def test_summary_rows_have_one_cell_per_column() -> None:
    rows = report.summary_rows(synthetic_results())
    assert len(rows) == 2
    assert all(len(r) == len(report.SUMMARY_COLUMNS) for r in rows)
    head, per_alpha = report.sweep_rows(synthetic_results()["behaviours"]["tone"])
    assert all(len(r) == len(head) for r in per_alpha)


def test_missing_values_render_as_dash() -> None:
    res = synthetic_results()
    res["behaviours"]["tone"]["summary"]["headline"]["transferred_bias_retention"] = None
    res["pairs"] = None
    text = report.render_html(res)
    assert "–" in text
    assert len(_pngs(text)) == 2
