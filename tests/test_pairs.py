"""Layer-pair screen and the pairs table / heatmap."""

from __future__ import annotations

import torch

from steerbridge.corpus import load_corpus, tokenize
from steerbridge.pairs import screen, screen_pairs, write_heatmap, write_table
from steerbridge.testing import tiny_pair


def test_screen_and_full_fits(tmp_path):
    s, t = tiny_pair()
    w = tokenize(load_corpus("default"), s.tokenizer, window=32, max_tokens=6000)
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

    from steerbridge.bridge import Bridge
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
    res = runner.invoke(app, ["pairs", *common, "--sample-tokens", "800", "--top-k", "2",
                              "--out-dir", str(tmp_path / "pairs")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "pairs" / "pairs_heatmap.png").exists()
    assert (tmp_path / "pairs" / "pairs.csv").exists()
