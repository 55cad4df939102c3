"""``[transfer] method = "select"`` on tiny models: the label-free choice among candidate
vectors runs end to end, records the winner and every score (results.json, report), pushes
the random-source controls through the same choice, is keyed by its settings, sees no labels,
and rejects bad ``[transfer.select]`` values with named errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from test_pipeline_methods import _config

from steerbridge.bridge import select as S
from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.method_inputs import ALLOWED_FIELDS, TransferInputs, unlabelled_questions
from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_pair
from steerbridge.run import config as C
from steerbridge.run import pipeline, stages, transfer_stage
from steerbridge.run.keys import stage_hash
from steerbridge.run.transfer_config import PIPELINE_METHODS
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.vector import SteeringVector

SELECT = {"alpha": 0.5, "max_prompts": 4, "max_neutral": 1}


@pytest.fixture(scope="module")
def models():
    return tiny_pair()


def test_select_runs_end_to_end_and_records_the_choice(
        tmp_path: Path, models, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[TransferInputs, tuple[str, ...]]] = []
    events: list[str] = []
    real, real_vector = transfer_stage.select_by_effect, stages.stage_vector

    def spy(inputs, candidates, **kw):
        seen.append((inputs, tuple(candidates)))
        events.append("select")
        return real(inputs, candidates, **kw)

    def spy_vector(ctx, beh, items, role):
        events.append(role)
        return real_vector(ctx, beh, items, role)

    monkeypatch.setattr(transfer_stage, "select_by_effect", spy)
    monkeypatch.setattr(stages, "stage_vector", spy_vector)
    cfg = _config(tmp_path, method="select", random_source_seeds=[0, 1], select=SELECT)
    assert cfg.transfer.needs_effect and cfg.transfer.select.candidates == [
        "state", "effect", "blend"]
    res = pipeline.run(cfg, models=models)
    beh = res["behaviours"]["weather"]
    assert "summary" in beh, beh.get("errors")

    # the vector and both random-source controls went through the same rule
    assert len(seen) == 3 and all(c == ("state", "effect", "blend") for _, c in seen)
    assert events == ["source", "select", "select", "select", "native"]  # native: made after
    assert not torch.equal(seen[1][0].vector.directions[2], seen[0][0].vector.directions[2])
    test_q = {it["question"] for it in json.loads((tmp_path / "t.json").read_text())}
    for inp, _ in seen:
        assert tuple(f.name for f in dataclasses.fields(inp)) == ALLOWED_FIELDS
        assert inp.prompts and not set(inp.prompts) & test_q
        assert len(inp.neutral) == SELECT["max_neutral"]

    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    b = saved["behaviours"]["weather"]
    sel = b["selection"]
    assert set(sel["scores"]) == {"state", "effect", "blend"}
    assert all(v >= 0 for v in sel["scores"].values())
    assert sel["winner"] == min(sel["scores"], key=sel["scores"].get)
    assert sel["alpha"] == SELECT["alpha"]
    assert set(sel["controls"]) == {"0", "1"}
    assert all(c["winner"] in c["scores"] for c in sel["controls"].values())
    assert b["judgement"]["method"] == "select" and b["vectors"]["transfer_method"] == "select"
    assert f"selected {sel['winner']}" in b["vectors"]["transferred_lineage"][-1]
    assert saved["transfer"]["effect_bridge"] is not None  # fitted for the candidates
    md = (tmp_path / "run" / "report.md").read_text()
    assert f"selected **{sel['winner']}** (effect KL" in md and "seed 0:" in md
    assert "select (random source seeds [0, 1]); candidates state, effect, blend" in md
    assert f"selected {sel['winner']} (effect KL" in (tmp_path / "run" / "report.html").read_text()

    # a rerun reuses the evaluation, selection included
    messages: list[str] = []
    again = pipeline.run(cfg, hooks=pipeline.Hooks(stage=messages.append), models=models)
    assert any("weather: reusing" in m for m in messages)
    assert again["behaviours"]["weather"]["selection"] == sel


def test_select_state_only_needs_no_effect_bridge(tmp_path: Path, models) -> None:
    cfg = _config(tmp_path, method="select", random_source_seeds=[0],
                  select={**SELECT, "candidates": ["state"]})
    assert not cfg.transfer.needs_effect
    res = pipeline.run(cfg, models=models)
    sel = res["behaviours"]["weather"]["selection"]
    assert sel["winner"] == "state" and list(sel["scores"]) == ["state"]
    assert sel["controls"]["0"]["winner"] == "state"
    assert res["transfer"]["effect_bridge"] is None
    assert not list((tmp_path / "run").glob("effect-bridge-*"))


def test_bad_select_settings_are_named(tmp_path: Path) -> None:
    base = _config(tmp_path).to_dict()

    def bad(select: dict[str, object], match: str) -> None:
        with pytest.raises(SteerbridgeError, match=match):
            C.from_dict({**base, "transfer": {"method": "select", "select": select}})

    bad({"candidates": ["state", "native"]},
        r"transfer\.select\.candidates.*'native'.*state, effect, blend, distilled")
    bad({"candidates": ["effect", "effect"]}, r"transfer\.select\.candidates.*repeat")
    bad({"alpha": 0}, r"transfer\.select\.alpha")
    bad({"max_prompts": -1}, r"transfer\.select\.max_prompts")
    bad({"max_prompts": 0, "max_neutral": 0}, r"transfer\.select.*unlabelled questions or "
        r"neutral text")
    bad({"candidatez": ["state"]}, r"transfer\.select\.candidatez: unknown key")
    with pytest.raises(SteerbridgeError, match=r"'bogus'.*distilled, gain, select"):
        C.from_dict({**base, "transfer": {"method": "bogus"}})
    # state is always a candidate; select is a pipeline method, not a candidate
    cfg = C.from_dict({**base, "transfer": {"method": "select",
                                            "select": {"candidates": ["distilled"]}}})
    assert cfg.transfer.select.candidates == ["state", "distilled"]
    assert cfg.transfer.uses == ("state", "distilled") and not cfg.transfer.needs_effect
    bad({"candidates": ["select"]}, r"'select'")
    assert C.with_method(_config(tmp_path), "select").transfer.method == "select"
    assert list(PIPELINE_METHODS) == ["state", "effect", "blend", "distilled", "gain", "select"]


def test_select_settings_enter_only_the_evaluation_key(tmp_path: Path) -> None:
    a = _config(tmp_path, method="select", select=SELECT)
    b = _config(tmp_path, method="select", select={**SELECT, "alpha": 1.0})
    c = _config(tmp_path, method="select", select={**SELECT, "candidates": ["state", "effect"]})
    d = _config(tmp_path, method="select", select=SELECT, blend_weight=0.3)
    for stage in ("bridge", "vectors", "source"):
        assert stage_hash(a, stage, "weather") == stage_hash(b, stage, "weather")  # type: ignore
    keys = {stage_hash(x, "evaluation", "weather") for x in (a, b, c, d)}
    assert len(keys) == 4
    # another method's key ignores the select settings
    e, f = _config(tmp_path, method="state"), _config(tmp_path, method="state", select=SELECT)
    assert stage_hash(e, "evaluation", "weather") == stage_hash(f, "evaluation", "weather")


def test_selection_sees_no_labels(models) -> None:
    """Inputs built from items whose labels are swapped give the same choice and scores: the
    rule reads only the bare questions `TransferInputs` carries."""
    src, tgt = models
    g = torch.Generator().manual_seed(3)
    W = torch.randn(tgt.hidden_size, src.hidden_size, generator=g)
    eff = torch.randn(tgt.hidden_size, src.hidden_size, generator=g)

    def mk(M: torch.Tensor, m: str) -> Bridge:
        return Bridge(M, torch.zeros(tgt.hidden_size), [2], 3, src.name, tgt.name,
                      src.fingerprint, tgt.fingerprint, method=m, target_scale=2.0)

    vec = SteeringVector({2: torch.randn(src.hidden_size, generator=g)}, {2: 1.0}, src.name,
                         src.fingerprint, src.hidden_size, "test", "none")
    qs = [f"Question {i}: is it sunny? (A) yes (B) no" for i in range(4)]
    items = [ABItem(q, "A", "B") for q in qs]
    flipped = [ABItem(q, "B", "A") for q in qs]
    runs = []
    for its in (items, flipped):
        inputs = TransferInputs(src, vec, mk(W, "ridge"), tgt, prompts=unlabelled_questions(its),
                                neutral=("The weather report said rain.",))
        assert inputs.prompts == tuple(qs)
        runs.append(S.select_by_effect(inputs, ["state", "effect", "blend"],
                                       effect=mk(eff, "effect"), alpha=0.5))
    assert runs[0].winner == runs[1].winner and runs[0].scores == runs[1].scores
    assert torch.equal(runs[0].vector.directions[3], runs[1].vector.directions[3])
    assert runs[0].vector.info["selection"]["winner"] == runs[0].winner
    with pytest.raises(SteerbridgeError, match=r"Selection: unknown candidate.*'native'"):
        S.select_by_effect(inputs, ["native"])
