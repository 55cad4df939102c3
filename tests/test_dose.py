"""The source check before transfer: a model's own vector's dose-response per layer and alpha."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import ab
from steerbridge.evaluation.dose import FORMATS, LayerDose, answer_format, dose_response
from steerbridge.models.loading import LoadedModel
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors import datasets
from steerbridge.vectors.extract import extract
from steerbridge.vectors.vector import random_like


@pytest.fixture(scope="module")
def tiny() -> LoadedModel:
    return tiny_model("qwen2", 32, 4, seed=3)


def _items() -> tuple[list[datasets.ABItem], list[datasets.ABItem]]:
    gen, test = datasets.builtin("positive-tone")
    return gen[:8], test[:6]


def test_formats_append_instruction_and_prefix() -> None:
    gen, _ = _items()
    both = FORMATS["instruction+paren"].apply(gen[:2])
    assert all(it.question.endswith("\n\nAnswer with (A) or (B) only.") for it in both)
    assert all(it.answer_prefix == "(" for it in both)
    assert FORMATS["plain"].apply(gen[:2]) == gen[:2]
    with pytest.raises(SteerbridgeError, match="Unknown answer format 'bold'.*plain"):
        answer_format("bold")


def test_dose_numbers_equal_an_independent_sweep(tiny: LoadedModel) -> None:
    gen, test = _items()
    alphas = [-4.0, -2.0, 2.0, 4.0]
    fmt = FORMATS["paren"]  # the tiny tokenizer splits "(A": the prefix leaves "A", one token
    res = dose_response(tiny, gen, test, [1, 2], alphas, fmt, behaviour="pt")
    assert [d.layer for d in res.layers] == [1, 2] and res.n_test == 6
    v = extract(tiny, fmt.apply(gen), [2]).select([2])
    prompts = ab.prepare(tiny, fmt.apply(test))
    ref = ab.sweep(tiny, prompts, {"own": v, "rnd": random_like(v, seed=0)}, alphas,
                   replay=False)
    p0 = float(np.mean(ref["none"]["p"]))
    d = res.layers[1]
    assert res.none_p == pytest.approx(p0, abs=1e-6)
    for i in range(len(alphas)):
        assert d.dp[i] == pytest.approx(float(np.mean(ref["own"]["p"][i])) - p0, abs=1e-5)
        assert d.random_dp[i] == pytest.approx(float(np.mean(ref["rnd"]["p"][i])) - p0, abs=1e-5)
    # odd part at ±2 and ±4: (p(+a) − p(−a)) / 2, averaged over items
    assert d.odd_alphas == [2.0, 4.0]
    for k, (hi, lo) in enumerate([(2, 1), (3, 0)]):
        want = float(np.mean((ref["own"]["p"][hi] - ref["own"]["p"][lo]) / 2))
        assert d.odd_dp[k] == pytest.approx(want, abs=1e-5)
    assert json.loads(json.dumps(res.to_dict()))["layers"][1]["layer"] == 2


def test_dose_needs_an_alpha_pair(tiny: LoadedModel) -> None:
    gen, test = _items()
    with pytest.raises(SteerbridgeError, match="alpha pair"):
        dose_response(tiny, gen, test, [1], [0.2, 0.4], FORMATS["plain"])


def _layer(odd: list[float], rand: list[float], mass: list[float]) -> LayerDose:
    return LayerDose(layer=3, alphas=[-0.4, -0.2, 0.2, 0.4], dp=[0.0] * 4, mass=mass,
                     random_dp=[0.0] * 4, random_mass=[0.9] * 4, odd_alphas=[0.2, 0.4],
                     odd_dp=odd, random_odd_dp=rand, relative_norm=0.1)


def test_steers_needs_size_mass_and_more_than_random() -> None:
    assert _layer([0.03, 0.09], [0.01, 0.02], [0.9] * 4).steers()
    assert _layer([0.03, 0.09], [0.01, 0.02], [0.9] * 4).best() == (0.4, 0.09)
    # the strong pair loses the answer (mass 0.3 at -0.4): the weak pair is all that counts
    weak = _layer([0.03, 0.09], [0.01, 0.02], [0.3, 0.9, 0.9, 0.9])
    assert weak.best() == (0.2, 0.03) and not weak.steers()
    # a random direction that moves as much: not steering
    assert not _layer([0.03, 0.09], [0.01, -0.12], [0.9] * 4).steers()
    # the wrong way counts by size (the verdict rule's |odd Δp|) and is reported signed
    assert _layer([-0.02, -0.08], [0.0, 0.01], [0.9] * 4).best() == (0.4, -0.08)
    assert _layer([math.nan, math.nan], [0.0, 0.0], [0.9] * 4).best() is None


def test_text_answers_have_no_mass_bar() -> None:
    """Two answer texts hold little of the vocabulary's mass by nature (the verdict rule's
    answer-mass bar is for letters), so a text-scored dose is judged on odd Δp alone."""
    tiny_mass = [0.03] * 4
    letters = _layer([0.2, 0.45], [0.01, 0.02], tiny_mass)
    assert letters.best() is None and not letters.steers()
    text = replace(letters, text_answers=True)
    assert text.best() == (0.4, 0.45) and text.steers()
    assert not replace(text, random_odd_dp=[0.01, 0.5]).steers()


def test_cli_dose_writes_json_and_refuses_unknown_behaviour(tmp_path, tiny) -> None:
    from typer.testing import CliRunner

    from steerbridge.cli import app

    tiny.model.save_pretrained(tmp_path / "m")
    tiny.tokenizer.save_pretrained(tmp_path / "m")
    runner = CliRunner()
    common = ["dose", "--model", str(tmp_path / "m"), "--dtype", "float32", "--device", "cpu"]
    out = tmp_path / "dose.json"
    res = runner.invoke(app, [*common, "-b", "caution", "--layers", "1-2", "--alpha", "-2",
                              "--alpha", "2", "--format", "paren", "--format", "instruction+paren",
                              "--max-generate", "6", "--max-test", "4", "-o", str(out)])
    assert res.exit_code == 0, res.output + repr(res.exception)
    rec = json.loads(out.read_text())
    assert [r["format"]["name"] for r in rec["results"]] == ["paren", "instruction+paren"]
    assert rec["settings"]["machine"]["device"] == "cpu"
    assert all(len(r["layers"]) == 2 for r in rec["results"])
    assert "odd Δp ±2" in res.output
    res = runner.invoke(app, [*common, "-b", "no-such-thing", "-o", str(tmp_path / "x.json")])
    assert isinstance(res.exception, SteerbridgeError)
    assert "not a built-in behaviour" in str(res.exception)
    res = runner.invoke(app, [*common, "--format", "bold", "-o", str(tmp_path / "x.json")])
    assert isinstance(res.exception, SteerbridgeError) and "plain" in str(res.exception)


def test_cli_dose_score_on_generate_reads_no_test_item(tmp_path, tiny) -> None:
    """--score-on generate: the vector from the first half of the generate items, scored on the
    second half; the same numbers as dose_response on those halves, whatever the test split
    holds."""
    from typer.testing import CliRunner

    from steerbridge.cli import app

    tiny.model.save_pretrained(tmp_path / "m")
    tiny.tokenizer.save_pretrained(tmp_path / "m")
    out = tmp_path / "dose.json"
    args = ["dose", "--model", str(tmp_path / "m"), "--dtype", "float32", "--device", "cpu",
            "-b", "caution", "--layers", "1", "--alpha", "-2", "--alpha", "2", "--format", "paren",
            "--max-generate", "7", "--score-on", "generate", "-o", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output + repr(res.exception)
    rec = json.loads(out.read_text())
    assert rec["settings"]["score_on"] == "generate"
    got = rec["results"][0]
    assert (got["n_generate"], got["n_test"]) == (3, 3)
    assert "held-out generate items" in res.output
    gen, _ = datasets.builtin("caution")
    direct = dose_response(tiny, gen[:3], gen[3:6], [1], [-2.0, 2.0], FORMATS["paren"])
    assert got["layers"][0]["odd_dp"] == pytest.approx(direct.layers[0].odd_dp, abs=1e-6)
    assert got["none_p"] == pytest.approx(direct.none_p, abs=1e-6)
    # its refusals (too few generate items, an unknown split) are hostile cases:
    # tests/hostile/test_hostile_dose.py
