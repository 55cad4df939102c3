"""Layer-pair screen and the pairs table / heatmap."""

from __future__ import annotations

import torch

from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.pair_report import write_heatmap, write_table
from steerbridge.bridge.pairs import screen, screen_pairs
from steerbridge.models.tiny import tiny_pair


def test_screen_and_full_fits(tmp_path):
    s, t = tiny_pair()
    w = tokenize(load_corpus("builtin"), s.tokenizer, window=32, max_tokens=6000)
    scr = screen(s, t, w, sample_tokens=1500, progress=False)
    assert scr.r2.shape == (4, 6) and torch.isfinite(scr.r2).all()
    assert ((scr.cka >= 0) & (scr.cka <= 1 + 1e-5)).all()
    res = screen_pairs(s, t, w, top_k=2, many_to_one=2, sample_tokens=1500, progress=False)
    assert len(res.bridges) == 3
    assert any(len(b.source_layers) == 2 for b in res.bridges)
    r2s = [b.metrics["test"]["r2"] for b in res.bridges]
    assert r2s == sorted(r2s, reverse=True)
    csv_path, json_path = write_table(res, tmp_path)
    png = write_heatmap(res, tmp_path / "h.png")
    assert png.stat().st_size > 1000 and csv_path.read_text().count("\n") == 4
    assert "screen" in json_path.read_text()


def test_cli_fit_bridge_and_pairs(tmp_path):
    from typer.testing import CliRunner

    from steerbridge.bridge.affine import Bridge
    from steerbridge.cli import app

    s, t = tiny_pair()
    for lm, d in ((s, tmp_path / "src"), (t, tmp_path / "tgt")):
        lm.model.save_pretrained(d)
        lm.tokenizer.save_pretrained(d)
    common = ["--source", str(tmp_path / "src"), "--target", str(tmp_path / "tgt"),
              "--max-tokens", "3000", "--window", "32", "--dtype", "float32",
              "--cache-dir", str(tmp_path / "cache")]
    runner = CliRunner()
    res = runner.invoke(app, ["fit-bridge", *common, "-s", "1", "-t", "2",
                              "--out", str(tmp_path / "b.safetensors")])
    assert res.exit_code == 0, res.output
    assert "bridge written to" in res.output
    br = Bridge.load(tmp_path / "b.safetensors")
    assert br.source_layers == [1] and br.target_layer == 2 and "test" in br.metrics
    res = runner.invoke(app, ["fit-bridge", *common, "-s", "1", "-t", "2", "--anchor",
                              "caution", "--anchor-items", "6", "--anchor-weight", "0.2",
                              "--out", str(tmp_path / "anchored.safetensors")])
    assert res.exit_code == 0, res.output
    anchored = Bridge.load(tmp_path / "anchored.safetensors")
    assert anchored.provenance["anchors"]["datasets"]["caution"]["items"] == 6
    res = runner.invoke(app, ["fit-bridge", *common, "--anchor", "no-such-behaviour"])
    assert res.exit_code != 0 and "no-such-behaviour" in str(res.exception)
    res = runner.invoke(app, ["fit-bridge", *common, "--anchor", "caution", "--anchor-read",
                              "middle"])
    assert res.exit_code != 0 and "read position" in str(res.exception)
    res = runner.invoke(app, ["fit-bridge", *common, "-s", "1", "-t", "2", "--anchor",
                              "caution", "--anchor-weight", "-1"])
    assert res.exit_code != 0 and "Anchor weight" in str(res.exception)
    res = runner.invoke(app, ["pairs", *common, "--sample-tokens", "800", "--top-k", "2",
                              "--out-dir", str(tmp_path / "pairs")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "pairs" / "pairs_heatmap.png").exists()
    assert (tmp_path / "pairs" / "pairs.csv").exists()


def test_middle_layers_spread_over_the_middle_half():
    from steerbridge.bridge.pairs import middle_layers

    assert middle_layers(24) == [6, 10, 13, 17]
    assert middle_layers(28) == [7, 11, 16, 20]
    assert middle_layers(4, k=1) == [1]


def test_choose_pairs_per_source_and_many_to_one():
    from steerbridge.bridge.pairs import Screen, choose_pairs

    r2 = torch.tensor([[0.9, 0.5, 0.1],   # source 0: best target 0 (and the best overall)
                       [0.2, 0.6, 0.3],   # source 1: best target 1
                       [0.1, 0.4, 0.7]])  # source 2: best target 2
    scr = Screen([0, 1, 2], [0, 1, 2], r2, r2.clone(), 100, 25)
    assert choose_pairs(scr, top_k=2) == [((0,), 0), ((2,), 2)]
    assert choose_pairs(scr, fit_sources=[1, 2]) == [((1,), 1), ((2,), 2)]
    # many-to-one goes into the best target among the chosen pairs (2, R² 0.7), from the two
    # sources that screen best for it
    assert choose_pairs(scr, fit_sources=[1, 2], many_to_one=2)[-1] == ((1, 2), 2)


def test_screen_is_cached(tmp_path, monkeypatch):
    import steerbridge.bridge.pairs as P

    s, t = tiny_pair()
    w = tokenize(load_corpus("builtin"), s.tokenizer, window=32, max_tokens=3000)
    first = P.cached_screen(s, t, w, None, None, 800, 8, 5.0, tmp_path, False)
    assert len(list(tmp_path.glob("screen-*.json"))) == 1

    def boom(*_a, **_k):
        raise AssertionError("screened again despite the cache")

    monkeypatch.setattr(P, "screen", boom)
    again = P.cached_screen(s, t, w, None, None, 800, 8, 5.0, tmp_path, False)
    assert torch.equal(again.r2, first.r2) and again.target_layers == first.target_layers
