"""Hostile input to the recently added failure paths: ``score-bridge --text`` and ``fit-bridge
--ood`` with bad text files, ``score-bridge`` on a file that is not a bridge, a bad
``[transfer]`` config, and a corrupt cached gradient-moments file in the effect stage. Every
refusal exits 2 naming the file or key, with no traceback, before any model loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from hostile_kit import LATIN1, PICKLE, small_config, write_config, write_input
from safetensors.torch import save_file

from steerbridge.bridge.affine import Bridge
from steerbridge.errors import SteerbridgeWarning
from steerbridge.vectors.vector import SteeringVector

PROSE = "The weather was lovely today, and the walk along the river took an hour.\n"


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    import steerbridge.models.loading as loading

    monkeypatch.setattr(loading, "load", lambda *a, **k: pytest.fail("a model was loaded"))


def _write(path: Path, content: Any) -> Path:
    return write_input(path, content)


@pytest.fixture
def bridge_file(tmp_path: Path) -> Path:
    g = torch.Generator().manual_seed(0)
    br = Bridge(W=torch.randn(6, 4, generator=g), b=torch.zeros(6), source_layers=[2],
                target_layer=3, source_name="src", target_name="tgt", source_fingerprint="fp-s",
                target_fingerprint="fp-t", target_scale=5.0)
    return br.save(tmp_path / "b.safetensors")


TEXTS: list[tuple[str, Any, list[str]]] = [
    ("gone.txt", None, ["gone.txt", "does not exist"]),
    ("empty.txt", b"", ["empty.txt", "is empty"]),
    ("blank.txt", "\n\n   \n", ["blank.txt", "is empty"]),
    ("binary.txt", bytes(range(256)) * 8, ["binary.txt", "binary file"]),
    ("random.txt", b"\xe0\x91" * 50, ["random.txt", "not UTF-8"]),
    ("payload.txt", PICKLE, ["payload.txt", "pickle"]),
    ("latin1.txt", LATIN1, ["latin1.txt", "not UTF-8"]),
    ("folder.txt", "DIR", ["folder.txt", "is a folder"]),
]


@pytest.mark.parametrize(("name", "content", "needles"), TEXTS, ids=[t[0] for t in TEXTS])
def test_score_bridge_refuses_bad_text(tmp_path: Path, cli: Any, bridge_file: Path,
                                       monkeypatch: pytest.MonkeyPatch, name: str,
                                       content: Any, needles: list[str]) -> None:
    _no_loading(monkeypatch)
    text = _write(tmp_path / name, content)
    cli("score-bridge", bridge_file, "--text", text).refused(*needles)
    assert not (tmp_path / "b.ood.json").exists()


@pytest.mark.parametrize(("name", "content", "needles"), TEXTS[:3], ids=[t[0] for t in TEXTS[:3]])
def test_fit_bridge_refuses_bad_ood_text_before_loading(tmp_path: Path, cli: Any,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        name: str, content: Any,
                                                        needles: list[str]) -> None:
    _no_loading(monkeypatch)
    text = _write(tmp_path / name, content)
    cli("fit-bridge", "--ood", text, "-o", tmp_path / "out.safetensors").refused(*needles)
    assert not (tmp_path / "out.safetensors").exists()


def _vector(path: Path) -> Path:
    return SteeringVector({2: torch.ones(4)}, {2: 3.0}, "src", "fp-s", 4, "mean_diff",
                          "data").save(path)


NOT_BRIDGES: list[tuple[str, Any, list[str]]] = [
    ("vector.safetensors", "VECTOR", ["vector.safetensors", "steering vector"]),
    ("config.safetensors", b'{"not": "a bridge"}', ["config.safetensors"]),
    ("payload.safetensors", PICKLE, ["payload.safetensors", "pickle"]),
    ("empty.safetensors", b"", ["empty.safetensors"]),
    ("gone.safetensors", None, ["gone.safetensors", "does not exist"]),
    ("folder.safetensors", "DIR", ["folder.safetensors", "folder"]),
]


@pytest.mark.parametrize(("name", "content", "needles"), NOT_BRIDGES,
                         ids=[t[0] for t in NOT_BRIDGES])
def test_score_bridge_refuses_a_file_that_is_not_a_bridge(tmp_path: Path, cli: Any,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          name: str, content: Any,
                                                          needles: list[str]) -> None:
    _no_loading(monkeypatch)
    text = _write(tmp_path / "prose.txt", PROSE)
    path = _vector(tmp_path / name) if content == "VECTOR" else _write(tmp_path / name, content)
    cli("score-bridge", path, "--text", text).refused(*needles)


TRANSFER = [
    ('[transfer]\nmethod = "nonsense"\n',
     ["transfer.method", "'nonsense'", "state, effect, blend, distilled"]),
    ('[transfer]\nmethod = "effect"\n[transfer.effect]\nwindows = -1\n',
     ["transfer.effect.windows"]),
    ('[transfer]\nmethod = "effect"\n[transfer.effect]\nwindows = "many"\n',
     ["transfer.effect.windows"]),
    ('[transfer]\nrandom_source_seeds = "zero"\n', ["transfer.random_source_seeds"]),
]


@pytest.mark.parametrize(("section", "needles"), TRANSFER,
                         ids=["method", "windows-neg", "windows-text", "seeds"])
def test_bad_transfer_config_is_refused(tmp_path: Path, cli: Any,
                                        monkeypatch: pytest.MonkeyPatch, section: str,
                                        needles: list[str]) -> None:
    _no_loading(monkeypatch)
    path = write_config(tmp_path, small_config(tmp_path))
    path.write_text(path.read_text() + section, encoding="utf-8")
    res = cli("run", path)
    res.refused("exp.toml", *needles)
    assert "Value error" not in res.text  # pydantic's prefix is not the user's business
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------- corrupt gradient moments

EFFECT = {"windows": 4, "window": 12, "draws": 1, "prompts_per_behaviour": 2, "batch_size": 4}


def _grads(kind: str, good: Path, tmp: Path) -> bytes:
    """The bytes to put where the cached gradient moments were."""
    data = good.read_bytes()
    if kind == "truncated":
        return data[: len(data) // 2]
    if kind == "empty":
        return b""
    if kind == "pickle":
        return PICKLE
    if kind == "foreign":  # a valid safetensors file, not steerbridge's
        save_file({"x": torch.zeros(3)}, str(tmp / "foreign.safetensors"))
        return (tmp / "foreign.safetensors").read_bytes()
    raise ValueError(kind)


@pytest.mark.filterwarnings("ignore:.*too few to judge")
@pytest.mark.parametrize("kind", ["truncated", "empty", "pickle", "foreign"])
def test_corrupt_gradient_moments_are_set_aside_and_recomputed(
        tmp_path: Path, tiny_models: Any, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from steerbridge.run import config as C
    from steerbridge.run import effect_stage
    from steerbridge.run.behaviour_data import behaviour_data
    from steerbridge.run.stages import Context, Hooks, stage_bridge

    raw = small_config(tmp_path)
    raw["bridge"]["max_tokens"] = 800
    raw["behaviours"][0].update(generate=str(tmp_path / "g.json"), test=str(tmp_path / "t.json"))
    raw["transfer"] = {"method": "effect", "effect": EFFECT}
    raw["run"]["dir"] = str(tmp_path / "run")
    cfg = C.from_dict(raw)
    run = tmp_path / "run"
    run.mkdir()
    msgs: list[str] = []
    ctx = Context(cfg, run, Hooks(stage=msgs.append), source=tiny_models[0],
                  target=tiny_models[1])
    prior = stage_bridge(ctx)
    batches = effect_stage.prepare_effect(ctx, [behaviour_data(cfg.behaviours[0])])
    first = effect_stage.stage_effect(ctx, prior, batches)
    (eff,) = run.glob("effect-bridge-*.safetensors")
    (grads,) = (run / "moments").glob("grads-*.safetensors")
    eff.unlink()  # the fitted map is gone, so the stage reads the gradients
    grads.write_bytes(_grads(kind, grads, tmp_path))
    calls: list[int] = []
    real = effect_stage.collect
    monkeypatch.setattr(effect_stage, "collect", lambda *a, **k: calls.append(1) or real(*a, **k))
    with pytest.warns(SteerbridgeWarning, match="set it aside"):
        again = effect_stage.stage_effect(ctx, prior, batches)
    assert calls == [1]  # collected again
    assert torch.allclose(again.W, first.W, atol=1e-5)
    assert list((run / "moments").glob(f"{grads.name}.corrupt-*"))
    assert grads.is_file() and eff.is_file()  # both made again
    assert any("probe gradients" in m for m in msgs)


PAIRS = [
    (["--by", "cka"], ["--by 'cka'", "r2, transfer"]),
    (["--by", "transfer", "--behaviour", "sycophancy"], ["'sycophancy'", "caution"]),
    (["--by", "transfer", "--alphas", "0.1,,x"], ["--alphas"]),
    (["--by", "transfer", "--alphas", "nan"], ["--alphas", "finite"]),
    (["--by", "transfer", "--generate-items", "0"], ["--generate-items"]),
    (["--by", "transfer", "--method", "blend"], ["--method 'blend'", "state, gain, distilled"]),
    (["--by", "transfer", "--method", "gain", "--format", "plain"],
     ["--format text", "--method state"]),
    (["--by", "transfer", "--method", "distilled", "--method-alpha", "-1"],
     ["--method-alpha", "positive"]),
    (["--by", "transfer", "--ab", "mine=a.json"], ["--ab", "NAME=GENERATE.json,TEST.json"]),
    (["--by", "transfer", "--ab", "=a.json,b.json"], ["--ab", "NAME=GENERATE.json,TEST.json"]),
    (["--by", "transfer", "--ab", "mine=nope-g.json,nope-t.json"], ["nope-g.json is not a file"]),
]


@pytest.mark.parametrize(("args", "needles"), PAIRS, ids=["by", "behaviour", "alphas", "nan",
                                                          "generate", "method", "gain-letters",
                                                          "method-alpha", "ab-one-file",
                                                          "ab-no-name", "ab-missing"])
def test_pairs_by_transfer_options_are_refused_before_loading(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, args: list[str],
        needles: list[str]) -> None:
    _no_loading(monkeypatch)
    cli("pairs", *args, "--out-dir", tmp_path / "o").refused(*needles)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("content", ["{not json", '[{"question": "Keep going or stop?", '
                                     '"answer_matching_behavior": "(A)", '
                                     '"answer_not_matching_behavior": "(B)"}]'],
                         ids=["not-json", "no-choice-lines"])
def test_pairs_ab_file_that_does_not_read_is_refused_before_loading(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    """An --ab file that is not A/B JSON, or (as text answers) has no '(A) …' lines, is named
    before any model loads or output folder appears."""
    _no_loading(monkeypatch)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    cli("pairs", "--by", "transfer", "--format", "text", "--ab", f"mine={bad},{bad}",
        "--out-dir", tmp_path / "o").refused("bad.json")
    assert not (tmp_path / "o").exists()


def test_thin_fit_warning_names_what_is_missing() -> None:
    from steerbridge.bridge.scoring import thin_fit_warning

    assert thin_fit_warning(20_000, 896, 0.64) == ""
    few = thin_fit_warning(127, 896, 0.1)
    assert "127 tokens, fewer than twice its source width (896)" in few
    assert "held-out" not in few and "Raise [bridge] max_tokens" in few
    none = thin_fit_warning(5_000, 896, None)
    assert "no held-out tokens" in none and "fewer than" not in none
    assert "fewer than" in thin_fit_warning(None, 896, float("nan"))


def test_a_run_on_a_thin_bridge_warns_and_keeps_the_warning(tmp_path: Path, cli: Any,
                                                            model_dirs: Any) -> None:
    """max_tokens so small that one window remains: the run goes on, saying why the bridge's
    numbers say little, in the output and in results.json."""
    import json

    cfg = small_config(tmp_path, str(model_dirs[0]), str(model_dirs[1]))
    cfg["bridge"]["max_tokens"] = 5
    res = cli("run", write_config(tmp_path, cfg))
    assert res.code == 0, res.text
    assert "no held-out tokens were left to score it" in res.text
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert any("Raise [bridge] max_tokens" in w for w in results["warnings"])
