"""The pipeline's transfer methods on tiny models: the [transfer] config, the effect-matched
bridge stage (cached, resumable, a normal bridge file), random-source controls in the results
and report, and what a method is allowed to see."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from steerbridge.bridge import answer_gain, distill, effect_bridge
from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.method_inputs import ALLOWED_FIELDS, TransferInputs
from steerbridge.bridge.methods import METHODS
from steerbridge.bridge.transfer import transfer
from steerbridge.errors import SteerbridgeError, SteerbridgeWarning
from steerbridge.models.tiny import tiny_pair
from steerbridge.run import config as C
from steerbridge.run import effect_stage, pipeline, transfer_stage
from steerbridge.run.behaviour_data import behaviour_data
from steerbridge.run.stages import Context, Hooks, stage_bridge
from steerbridge.run.transfer_config import DistillConfig, EffectConfig, GainConfig
from steerbridge.vectors.vector import SteeringVector

EFFECT = {"windows": 6, "window": 12, "draws": 1, "prompts_per_behaviour": 4, "batch_size": 4}


@pytest.fixture(scope="module")
def models():
    return tiny_pair()


def _items(path: Path, tag: str, n: int) -> list[str]:
    qs = [f"{tag} question {i}: is the weather lovely today?" for i in range(n)]
    path.write_text(json.dumps([{"question": q, "answer_matching_behavior": "A" if i % 2 else "B",
                                 "answer_not_matching_behavior": "B" if i % 2 else "A"}
                                for i, q in enumerate(qs)]))
    return qs


def _config(tmp: Path, method: str = "effect", **transfer: object) -> C.Config:
    _items(tmp / "g.json", "Generate", 10)
    _items(tmp / "t.json", "Held-out", 6)
    return C.from_dict({
        "models": {"source": "tiny-src", "target": "tiny-tgt", "dtype": "float32"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 2000},
        "behaviours": [{"name": "weather", "generate": str(tmp / "g.json"),
                        "test": str(tmp / "t.json"), "scoring": "letter"}],
        "evaluation": {"alphas": [-2.0, 2.0], "random_seeds": [0], "n_boot": 20,
                       "side_effects_tokens": 0, "generations": 0},
        "transfer": {"method": method, "effect": EFFECT, **transfer},
        "run": {"dir": str(tmp / "run")},
    })


def test_transfer_config_is_checked_against_the_library_tables(tmp_path: Path) -> None:
    assert C.from_dict(_config(tmp_path).to_dict()).transfer.method == "effect"
    base = _config(tmp_path).to_dict()
    assert base["transfer"]["effect"]["per_position"] is True
    with pytest.raises(SteerbridgeError, match=r"transfer\.method.*'bogus'.*state, effect, "
                       r"blend, distilled"):
        C.from_dict({**base, "transfer": {"method": "bogus"}})
    with pytest.raises(SteerbridgeError, match=r"transfer\.effect\.windowz: unknown key"):
        C.from_dict({**base, "transfer": {"effect": {"windowz": 3}}})
    with pytest.raises(SteerbridgeError, match=r"transfer\.effect\.draws"):
        C.from_dict({**base, "transfer": {"effect": {"draws": 0}}})
    with pytest.raises(SteerbridgeError, match=r"transfer\.distill\.steps"):
        C.from_dict({**base, "transfer": {"distill": {"steps": -1}}})
    with pytest.raises(SteerbridgeError, match=r"'nope'.*state, effect"):
        C.with_method(_config(tmp_path), "nope")
    assert C.with_method(_config(tmp_path), "blend").transfer.method == "blend"
    # the config's sections hold exactly the library's settings, and its methods
    assert set(EffectConfig.model_fields) == {
        f.name for f in dataclasses.fields(effect_bridge.EffectSettings)}
    assert set(DistillConfig.model_fields) == {
        f.name for f in dataclasses.fields(distill.DistillSettings)}
    # the gain's positions are the evaluation's (`[evaluation] positions`), not a second key
    assert set(GainConfig.model_fields) == {
        f.name for f in dataclasses.fields(answer_gain.GainSettings)} - {"positions"}
    assert tuple(METHODS) == ("state", "effect", "blend", "distilled", "gain")
    # left out: the gain when every behaviour scores texts (the default), else the state bridge
    plain = {k: v for k, v in base.items() if k != "transfer"}
    plain["behaviours"] = [{k: v for k, v in b.items() if k != "scoring"}
                           for b in plain["behaviours"]]
    assert C.from_dict(plain).transfer.method == "gain"
    letters = {**plain, "behaviours": [{**b, "scoring": "letter"} for b in plain["behaviours"]]}
    assert C.from_dict(letters).transfer.method == "state"
    with pytest.raises(SteerbridgeError, match="uses the 'gain' method.*score\\(s\\) letters"):
        C.from_dict({**letters, "transfer": {"method": "gain"}})


def test_effect_method_end_to_end_label_free_with_random_source_rows(
        tmp_path: Path, models, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[TransferInputs] = []
    probed: list[str] = []
    real_apply, real_batches = transfer_stage.apply, effect_stage.probe_batches

    def spy_apply(method, inputs, **kw):
        seen.append(inputs)
        return real_apply(method, inputs, **kw)

    def spy_batches(tok, windows, prompts, s):
        probed.extend(prompts)
        return real_batches(tok, windows, prompts, s)

    monkeypatch.setattr(transfer_stage, "apply", spy_apply)
    monkeypatch.setattr(effect_stage, "probe_batches", spy_batches)
    cfg = _config(tmp_path, random_source_seeds=[0, 1])
    res = pipeline.run(cfg, models=models)
    run = tmp_path / "run"
    beh = res["behaviours"]["weather"]
    assert "summary" in beh, beh.get("errors")

    # label-free: what the method and the probes saw is the generate split's bare questions
    gen = json.loads((tmp_path / "g.json").read_text())
    test_q = {it["question"] for it in json.loads((tmp_path / "t.json").read_text())}
    assert len(seen) == 3  # the vector and two random-source controls
    for inp in seen:
        assert tuple(f.name for f in dataclasses.fields(inp)) == ALLOWED_FIELDS
        assert set(inp.prompts) <= {it["question"] for it in gen}
        assert not set(inp.prompts) & test_q
        assert not any(p == "(A)" or p == "(B)" for p in inp.prompts)
    assert probed and not set(probed) & test_q and len(probed) == EFFECT["prompts_per_behaviour"]
    assert seen[1].vector.model_fingerprint == seen[0].vector.model_fingerprint
    assert not torch.equal(seen[1].vector.directions[2], seen[0].vector.directions[2])

    # random source controls beside random target ones, in results.json and the report
    saved = json.loads((run / "results.json").read_text())
    b = saved["behaviours"]["weather"]
    assert set(b["random_source"]["conditions"]) == {"srcrand:0", "srcrand:1"}
    j = b["judgement"]
    assert j["method"] == "effect" and j["verdict"] == "not judgeable"  # 6 items: too few
    assert "test items" in j["why"]
    assert {"random_source_mean", "random_target_mean", "n_test"} <= set(j)
    assert b["vectors"]["transfer_method"] == "effect"
    assert saved["transfer"]["method"] == "effect"
    md = (run / "report.md").read_text()
    assert "random source retention" in md and "transfer method" in md
    assert "weather**: not judgeable (effect;" in md

    # the effect-matched bridge is an ordinary bridge file: W_eff, b = 0, the fit's metrics
    (path,) = run.glob("effect-bridge-*.safetensors")
    eff = Bridge.load(path, *models)
    assert eff.method == "effect" and torch.count_nonzero(eff.b) == 0
    m = saved["transfer"]["effect_bridge"]
    assert m["lam_rel"] == eff.metrics["lam_rel"] and m["pairs"] > 0
    assert {"val_r2_by_lam", "split_half_cos", "prior_val_r2", "train_pairs"} <= set(eff.metrics)
    src_vec = SteeringVector.load(next((run / "vectors").glob("weather-*-source.safetensors")))
    moved = transfer(eff, src_vec)
    assert moved.layers == [3] and torch.isfinite(moved.directions[3]).all()
    assert list((run / "moments").glob("grads-*.safetensors"))

    # a rerun reuses everything and still reports the effect-matched fit
    messages: list[str] = []
    again = pipeline.run(cfg, hooks=pipeline.Hooks(stage=messages.append), models=models)
    assert any("weather: reusing" in msg for msg in messages)
    assert not any("probe gradients" in msg for msg in messages)
    assert again["transfer"]["effect_bridge"]["lam_rel"] == m["lam_rel"]


def test_effect_stage_is_cached_and_recovers_from_corrupt_files(
        tmp_path: Path, models, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _config(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    ctx = Context(cfg, run, Hooks(), source=models[0], target=models[1])
    prior = stage_bridge(ctx)
    batches = effect_stage.prepare_effect(ctx, [behaviour_data(cfg.behaviours[0])])
    first = effect_stage.stage_effect(ctx, prior, batches)
    (path,) = run.glob("effect-bridge-*.safetensors")
    (grads,) = (run / "moments").glob("grads-*.safetensors")

    calls: list[int] = []
    real = effect_stage.collect
    monkeypatch.setattr(effect_stage, "collect", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = effect_stage.stage_effect(ctx, prior, batches)  # reused: nothing collected
    assert torch.equal(again.W, first.W) and not calls

    path.write_bytes(path.read_bytes()[:100])  # truncated: set aside, refitted from the grads
    with pytest.warns(SteerbridgeWarning, match="set it aside"):
        refit = effect_stage.stage_effect(ctx, prior, batches)
    assert torch.allclose(refit.W, first.W) and not calls
    assert list(run.glob("effect-bridge-*.corrupt-*"))

    path.unlink()
    grads.write_bytes(b"not a safetensors file")  # both gone: collected again
    with pytest.warns(SteerbridgeWarning, match="set it aside"):
        redone = effect_stage.stage_effect(ctx, prior, batches)
    assert calls == [1] and torch.allclose(redone.W, first.W, atol=1e-5)

    # another setting, another key
    ctx2 = Context(C.from_dict({**cfg.to_dict(), "transfer": {
        "method": "effect", "effect": {**EFFECT, "draws": 2}}}), run, Hooks(),
        source=models[0], target=models[1])
    effect_stage.prepare_effect(ctx2, [behaviour_data(cfg.behaviours[0])])
    assert ctx2.effect_key != ctx.effect_key


def test_fit_effect_command_writes_a_bridge_transfer_reads(
        tmp_path: Path, models, monkeypatch: pytest.MonkeyPatch) -> None:
    from steerbridge.cli import effect_cmd
    from steerbridge.cli.app import app

    src, tgt = models
    W = torch.randn(tgt.hidden_size, src.hidden_size, generator=torch.Generator().manual_seed(0))
    prior = Bridge(W, torch.zeros(tgt.hidden_size), [2], 3, src.name, tgt.name, src.fingerprint,
                   tgt.fingerprint, target_scale=1.0)
    prior.save(tmp_path / "prior.safetensors")
    monkeypatch.setattr(effect_cmd, "_load_pair", lambda *a, **k: models)
    out = tmp_path / "eff.safetensors"
    res = CliRunner().invoke(app, ["fit-effect", "--prior", str(tmp_path / "prior.safetensors"),
                                   "--windows", "4", "--window", "12", "--draws", "1",
                                   "--max-tokens", "1500", "--device", "cpu", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "effect-matched bridge written" in res.output
    eff = Bridge.load(out, src, tgt)
    assert eff.method == "effect" and eff.W.shape == W.shape and eff.target_scale == 1.0
    assert eff.settings["windows"] == 4 and eff.settings["per_position"] is True


def test_apply_makes_every_method_from_transfer_inputs(models) -> None:
    from steerbridge.bridge import methods as M

    src, tgt = models
    g = torch.Generator().manual_seed(4)
    W0, W1 = (torch.randn(tgt.hidden_size, src.hidden_size, generator=g) for _ in range(2))
    state = Bridge(W0, torch.zeros(tgt.hidden_size), [2], 3, src.name, tgt.name, src.fingerprint,
                   tgt.fingerprint, target_scale=2.0)
    eff = Bridge(W1, torch.zeros(tgt.hidden_size), [2], 3, src.name, tgt.name, src.fingerprint,
                 tgt.fingerprint, method="effect")
    vec = SteeringVector({2: torch.randn(src.hidden_size, generator=g)}, {2: 1.0}, src.name,
                         src.fingerprint, src.hidden_size, "test", "none")
    inputs = TransferInputs(src, vec, state, tgt, prompts=("Is it sunny?", "Is it cold?"),
                            answers=(("Yes, bright.", "No, grey."), ("Freezing.", "Mild.")),
                            neutral=("The weather report said rain.",))
    out = {m: M.apply(m, inputs, effect=eff, scale=3.0,
                      distill=distill.DistillSettings(steps=2, max_prompts=2, max_neutral=1))
           for m in METHODS}
    cos = torch.nn.functional.cosine_similarity
    assert torch.allclose(out["state"].unit(3), (W0 @ vec.directions[2]).div(
        (W0 @ vec.directions[2]).norm()), atol=1e-5)
    assert float(cos(out["effect"].unit(3), W1 @ vec.directions[2], dim=0)) > 0.999
    assert out["effect"].scales[3] == out["state"].scales[3] == 3.0
    assert float(cos(out["blend"].unit(3), out["state"].unit(3) + out["effect"].unit(3),
                     dim=0)) > 0.999
    assert out["distilled"].info["transfer"] == "distilled"
    assert out["gain"].info["transfer"] == "gain"
    assert torch.allclose(out["gain"].unit(3).abs(), out["state"].unit(3).abs(), atol=1e-6)
    with pytest.raises(SteerbridgeError, match="needs the effect-matched bridge"):
        M.apply("effect", inputs)
    with pytest.raises(SteerbridgeError, match="Unknown transfer method 'x'"):
        M.apply("x", inputs)
    assert M.target_scale(inputs) == 2.0  # stored with the bridge: not measured again


def test_distilled_method_runs_in_the_pipeline(tmp_path: Path, models) -> None:
    cfg = _config(tmp_path, method="distilled",
                  distill={"steps": 2, "max_prompts": 2, "max_neutral": 1, "neutral_tokens": 8})
    res = pipeline.run(cfg, models=models)
    beh = res["behaviours"]["weather"]
    assert "summary" in beh, beh.get("errors")
    assert beh["judgement"]["method"] == "distilled"
    assert "distilled" in beh["vectors"]["transferred_lineage"][-1]
    assert res["transfer"]["effect_bridge"] is None  # distilled starts from W₀·v: no fit
    assert not list((tmp_path / "run").glob("effect-bridge-*"))


def test_switching_method_changes_only_the_evaluation_key(tmp_path: Path) -> None:
    from steerbridge.run.keys import stage_hash

    a, b = _config(tmp_path, method="state"), _config(tmp_path, method="effect")
    for stage in ("bridge", "vectors", "source"):
        assert stage_hash(a, stage, "weather") == stage_hash(b, stage, "weather")  # type: ignore
    assert stage_hash(a, "evaluation", "weather") != stage_hash(b, "evaluation", "weather")
    assert stage_hash(b, "evaluation", "weather", effect="0" * 16) != \
        stage_hash(b, "evaluation", "weather", effect="1" * 16)
    seeds = _config(tmp_path, method="state", random_source_seeds=[0, 1])
    assert stage_hash(a, "evaluation", "weather") != stage_hash(seeds, "evaluation", "weather")
