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
