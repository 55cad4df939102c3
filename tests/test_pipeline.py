"""The pipeline end to end on tiny models: stages cached, run dirs never mixed, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation.results import BehaviourSummary
from steerbridge.models.tiny import tiny_pair
from steerbridge.run import config as C
from steerbridge.run import pipeline, rundir
from steerbridge.vectors.vector import SteeringVector


def write_items(path: Path, n: int, seed: int, letters: tuple[str, str] = ("A", "B")) -> None:
    words = ["lovely", "awful", "sunny", "gloomy", "kind", "rude"]
    items = []
    for i in range(n):
        w = words[(i + seed) % len(words)]
        m, nm = letters if i % 2 else letters[::-1]
        items.append({"question": f"Is the weather {w} today? Answer {i}.",
                      "answer_matching_behavior": m, "answer_not_matching_behavior": nm})
    path.write_text(json.dumps(items))


@pytest.fixture(scope="module")
def models():
    return tiny_pair()


def make_config(tmp: Path, **eval_kw: object) -> C.Config:
    write_items(tmp / "g.json", 12, 0)
    write_items(tmp / "t.json", 8, 1)
    write_items(tmp / "bad.json", 4, 2, ("(A)", "(B)"))
    (tmp / "open.json").write_text(json.dumps([{"question": "Describe the weather."}]))
    ev = {"alphas": [-2.0, 2.0], "random_seeds": [0], "n_boot": 50, "side_effects_tokens": 64,
          "generations": 1, "generation_tokens": 4, **eval_kw}
    return C.from_dict({
        "models": {"source": "tiny-src", "target": "tiny-tgt", "dtype": "float32"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 3000,
                   "screen_pairs": True, "screen_tokens": 800},
        "behaviours": [
            {"name": "weather", "generate": str(tmp / "g.json"), "test": str(tmp / "t.json"),
             "open_ended": str(tmp / "open.json"), "tone": "vader", "scoring": "letter"},
            {"name": "multi-token", "generate": str(tmp / "g.json"),
             "test": str(tmp / "bad.json"), "scoring": "letter"},
        ],
        "evaluation": ev,
        "run": {"dir": str(tmp / "run")},
    })


def test_run_writes_results_report_and_reuses_stages(tmp_path: Path, models) -> None:
    cfg = make_config(tmp_path)
    res = pipeline.run(cfg, hooks=pipeline.Hooks(), models=models)
    run = tmp_path / "run"
    for f in ("results.json", "report.html", "report.md", "run.json", "config.json"):
        assert (run / f).is_file(), f
    saved = json.loads((run / "results.json").read_text())
    beh = saved["behaviours"]["weather"]
    h = beh["summary"]["headline"]
    assert {"transferred_retention", "random_retention_mean", "transferred_corr_change",
            "random_corr_change", "none_answer_mass"} <= set(h)
    # results.json keeps its schema: the typed summary reads it back and writes it unchanged
    assert BehaviourSummary.from_dict(beh["summary"]).to_dict() == beh["summary"]
    assert res["behaviours"]["weather"]["summary"].keys() == beh["summary"].keys()
    assert beh["n_items"] == 8
    assert set(beh["side_effects"]) >= {"native", "transferred", "random:0", "none_ppl"}
    assert beh["tone"]["scorer"] == "vader"
    assert saved["pairs"]["scores"] and len(saved["pairs"]["scores"]) == models[0].num_layers
    # the bad behaviour is reported, the good one kept
    assert "not single tokens" in saved["behaviours"]["multi-token"]["errors"][0]
    assert "not single tokens" in (run / "report.html").read_text()
    assert res["bridge"]["target_layer"] == 3
    # the carried vector is kept: it loads for the target and is the one evaluated
    kept = run / beh["vectors"]["files"]["transferred"]
    moved = SteeringVector.load(kept, models[1])
    assert moved.lineage == beh["vectors"]["transferred_lineage"]
    assert float(moved.direction(3).norm()) == pytest.approx(
        beh["vector_norms"]["transferred"]["norm"], rel=1e-6)
    assert kept.name.endswith("-transferred.safetensors") and kept.parent.name == "vectors"
    controls = beh["vectors"]["files"]["random_source"]
    assert list(controls) == [str(s) for s in cfg.transfer.random_source_seeds] and controls
    for seed, path in controls.items():
        control = SteeringVector.load(run / path, models[1])
        assert any(f"seed {seed}" in step for step in control.lineage), control.lineage

    # a changed evaluation setting reuses the bridge and the vectors, not the evaluation
    bridge_files = sorted(run.glob("bridge-*.safetensors"))
    extracted = [p for p in (run / "vectors").iterdir() if "transferred" not in p.name]
    vec_mtimes = {p: p.stat().st_mtime_ns for p in extracted}
    messages: list[str] = []
    cfg2 = make_config(tmp_path, alphas=[-1.0, 1.0])
    pipeline.run(cfg2, hooks=pipeline.Hooks(stage=messages.append), models=models)
    assert sorted(run.glob("bridge-*.safetensors")) == bridge_files
    assert any("bridge: reusing" in m for m in messages)
    assert not any("extracting" in m for m in messages)
    assert {p: p.stat().st_mtime_ns for p in extracted} == vec_mtimes
    assert len(list((run / "vectors").glob("weather-*-transferred.safetensors"))) == 2
    assert len([p for p in (run / "eval").glob("weather-*.json") if "source" not in p.name]) == 2
    again = json.loads((run / "results.json").read_text())
    assert again["behaviours"]["weather"]["alphas"] == [-1.0, 1.0]
    # scripts find the run's files through the layout: the latest evaluation per behaviour
    assert rundir.read_json(rundir.find_evaluations(run)["weather"])["alphas"] == [-1.0, 1.0]
    assert list(rundir.find_vectors(run)) == ["weather"]
    assert rundir.find_moments(run)

    # rerunning the same config reuses the evaluation too
    messages.clear()
    pipeline.run(cfg2, hooks=pipeline.Hooks(stage=messages.append), models=models)
    assert any("weather: reusing" in m for m in messages)


def test_run_dir_of_other_models_is_refused(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    rundir.open_run_dir(cfg)
    other = C.from_dict({**cfg.to_dict(), "models": {"source": "x", "target": "y"}})
    with pytest.raises(SteerbridgeError, match="belongs to another experiment"):
        rundir.open_run_dir(other, tmp_path / "run")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(SteerbridgeError, match="not empty"):
        rundir.open_run_dir(cfg, foreign)
    assert (foreign / "notes.txt").read_text() == "mine"


@pytest.mark.real_models
def test_real_pair_small_run(tmp_path: Path, real_pair) -> None:
    """A few items on the real Qwen pair: the A/B format gives the answers most of the mass."""
    cfg = C.from_dict({
        "models": {"source": "qwen2.5-coder-0.5b", "target": "qwen2.5-coder-1.5b"},
        "bridge": {"source_layer": 12, "target_layer": 14, "max_tokens": 3000},
        "behaviours": [{"name": "positive-tone", "builtin": "positive-tone",
                        "max_generate": 16, "max_test": 6}],
        "evaluation": {"alphas": [-0.2, 0.2], "random_seeds": [0], "n_boot": 50,
                       "side_effects_tokens": 0, "generations": 0, "source_reference": False},
        "run": {"dir": str(tmp_path / "run")},
    })
    res = pipeline.run(cfg, models=real_pair)
    h = res["behaviours"]["positive-tone"]["summary"]["headline"]
    assert h["none_answer_mass"] > 0.5
    assert abs(h["native_dp"]) > 0.05
    assert (tmp_path / "run" / "report.html").stat().st_size > 20_000
