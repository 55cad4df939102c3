"""Bridge fits recover planted maps; files refuse the wrong models; metrics and baselines."""

from __future__ import annotations

import dataclasses
import json
import warnings

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.fits import fit_ridge, fit_sgd
from steerbridge.bridge.fitting import fit_bridge
from steerbridge.bridge.moments import Moments
from steerbridge.bridge.scoring import score
from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_model, tiny_pair
from steerbridge.vectors.extract import extract
from steerbridge.vectors.scales import measure_scales

F64 = torch.float64


def planted(n=3000, ds=16, dt=24, noise=0.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, ds, generator=g, dtype=F64) @ torch.randn(ds, ds, generator=g, dtype=F64)
    x += 5
    w = torch.randn(dt, ds, generator=g, dtype=F64)
    b = torch.randn(dt, generator=g, dtype=F64) * 10
    y = x @ w.T + b + noise * torch.randn(n, dt, generator=g, dtype=F64)
    return x, y, w, b


def rel(a, b):
    return float((a.double() - b.double()).norm() / b.double().norm())


def test_ridge_recovers_planted_map_without_noise():
    x, y, w, b = planted()
    m = Moments.from_data(x, y)
    w_hat, b_hat, _ = fit_ridge(m, lam=0.0)
    assert rel(w_hat, w) < 1e-6 and rel(b_hat, b) < 1e-6
    # λ chosen on a held-out split picks no shrinkage when there is no noise
    xv, yv, _, _ = planted(seed=0)
    br = Bridge.fit(m, Moments.from_data(xv[:500], yv[:500]))
    assert br.metrics["lambda_rel"] == 0.0
    assert rel(br.W, w.float()) < 1e-5  # stored as float32


def test_ridge_from_rows_equals_ridge_from_moments():
    x, y, _, _ = planted(noise=0.5)
    a = Bridge.fit((x, y), lam=1e-2)
    b = Bridge.fit(Moments.from_data(x, y), lam=1e-2)
    torch.testing.assert_close(a.W, b.W)


def test_ridge_with_noise_picks_positive_lambda_and_scores():
    x, y, w, b = planted(n=400, noise=30.0)
    xv, yv, _, _ = planted(n=400, noise=30.0, seed=0)
    tr = Moments.from_data(x[:300], y[:300])
    va = Moments.from_data(x[300:], y[300:])
    br = Bridge.fit(tr, va, test=(xv, yv))
    assert br.metrics["lambda_rel"] > 0
    t = br.metrics["test"]
    assert 0 < t["r2"] < 1 and -1 <= t["cosine"] <= 1
    base = br.metrics["baselines"]
    assert abs(base["mean_predictor"]["r2"]) < 0.05
    assert base["random_map"]["r2"] < 0 < t["r2"]


@pytest.mark.parametrize("ds,dt", [(16, 16), (12, 20), (20, 12)])
def test_procrustes_recovers_planted_rotation(ds, dt):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2000, ds, generator=g, dtype=F64) * torch.linspace(0.5, 3, ds, dtype=F64)
    q, _ = torch.linalg.qr(torch.randn(max(ds, dt), max(ds, dt), generator=g, dtype=F64))
    rot = q[:dt, :ds]  # semi-orthogonal: orthonormal columns (ds<dt) or rows (ds>dt)
    b = torch.randn(dt, generator=g, dtype=F64)
    if ds > dt:  # a projection loses directions: plant data living in the kept subspace
        x = (x @ rot.T) @ rot
    y = 2.5 * x @ rot.T + b
    br = Bridge.fit((x, y), method="procrustes")
    assert rel(br.W, (2.5 * rot).float()) < 1e-5
    assert br.metrics["scale"] == pytest.approx(2.5, rel=1e-6)
    assert rel(br.b, b.float()) < 1e-4


def test_lowrank_recovers_planted_low_rank_map():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(3000, 16, generator=g, dtype=F64)
    w = torch.randn(24, 3, generator=g, dtype=F64) @ torch.randn(3, 16, generator=g, dtype=F64)
    y = x @ w.T + 1
    br = Bridge.fit((x, y), method="lowrank", rank=3, lam=0.0)
    assert rel(br.W, w.float()) < 1e-5
    assert torch.linalg.matrix_rank(br.W.double(), rtol=1e-5) == 3
    with pytest.raises(SteerbridgeError, match="rank"):
        Bridge.fit((x, y), method="lowrank")


def test_sgd_recipe_reduces_mse():
    x, y, _, _ = planted(n=2000, ds=8, dt=8)
    x, y = (x - x.mean(0)) / x.std(0), y / y.std()
    m = Moments.from_data(x, y)
    losses = []

    def cb(step, secs, w, b):
        losses.append(m.sse(w, b))

    fit_sgd(x, y, epochs=20, lr=1e-2, batch_tokens=256, callback=cb)
    assert losses[-1] < 0.2 * losses[0]
    with pytest.raises(SteerbridgeError, match="raw rows"):
        Bridge.fit(m, method="sgd")


def test_underdetermined_fit_warns_with_needed_tokens():
    x, y, _, _ = planted(n=10, ds=16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Bridge.fit((x, y), lam=1e-2)
    assert any("underdetermined" in str(w.message) and "160" in str(w.message) for w in caught)


def test_score_of_perfect_map_and_groups():
    x, y, w, b = planted(n=200)
    s = score(w, b, x, y, y.mean(0), groups=torch.arange(200) % 2)
    assert s["r2"] == pytest.approx(1.0) and s["cosine"] == pytest.approx(1.0)
    assert s["r2_plain"] == pytest.approx(1.0) and s["n_chat"] == 100


def _ab_items():
    from steerbridge.vectors.datasets import ABItem

    return [ABItem(f"Is {w} nice?\n\nChoices:\n(A) yes\n(B) no", "(A)", "(B)")
            for w in ("tea", "rain", "code", "music")]


@pytest.fixture(scope="module")
def tiny_bridge():
    s, t = tiny_pair()
    w = tokenize(load_corpus("builtin"), s.tokenizer, window=32, max_tokens=4000)
    return s, t, fit_bridge(s, t, w, 2, 3, progress=False)


def test_fit_bridge_end_to_end_and_file_roundtrip(tiny_bridge, tmp_path):
    s, t, br = tiny_bridge
    assert br.W.shape == (48, 32) and br.b.shape == (48,)
    assert br.source_layers == [2] and br.target_layer == 3
    assert br.source_fingerprint == s.fingerprint and br.target_fingerprint == t.fingerprint
    test = br.metrics["test"]
    assert {"r2", "cosine", "centred_cosine", "rel_error", "r2_plain", "r2_chat"} <= set(test)
    assert br.metrics["dropped"]["position_0"] > 0
    path = br.save(tmp_path / "b.safetensors")
    back = Bridge.load(path, source=s, target=t)
    torch.testing.assert_close(back.W, br.W)
    assert back.metrics["test"]["r2"] == pytest.approx(test["r2"])
    assert back.provenance["corpus_tokens"] == br.provenance["corpus_tokens"]
    h = torch.randn(5, 32)
    torch.testing.assert_close(back(h), h @ br.W.T + br.b)
    # The target layer's scale is stored, so a loaded bridge transfers a vector on its own.
    assert back.target_scale == pytest.approx(measure_scales(t, [3])[3])
    v = extract(s, _ab_items(), [2])
    moved = back.transfer(v)
    assert moved.scales == {3: pytest.approx(back.target_scale)}
    expected = (br.W.double() @ v.direction(2).double()).float()
    torch.testing.assert_close(moved.direction(3), expected)
    assert back.transfer(v, target_scale=2.0).scales == {3: 2.0}


def test_load_refuses_wrong_model_and_wrong_version(tiny_bridge, tmp_path):
    s, t, br = tiny_bridge
    path = br.save(tmp_path / "b.safetensors")
    other = tiny_model("qwen2", 48, 6, seed=7)
    with pytest.raises(SteerbridgeError, match="fitted with target model"):
        Bridge.load(path, source=s, target=other)
    with safe_open(str(path), "pt") as f:
        meta = json.loads(f.metadata()["steerbridge"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    meta["format_version"] = 99
    save_file(tensors, str(tmp_path / "old.safetensors"), {"steerbridge": json.dumps(meta)})
    with pytest.raises(SteerbridgeError, match="format version 99"):
        Bridge.load(tmp_path / "old.safetensors")


def test_fit_bridge_refuses_bad_layer_and_other_tokenizer():
    s, t = tiny_pair()
    with pytest.raises(SteerbridgeError, match=r"valid layers are 0\.\.5"):
        fit_bridge(s, t, "builtin", 1, 6, progress=False)


def test_fit_bridge_takes_windows_or_a_spec_never_both_silently():
    s, t = tiny_pair()
    w = tokenize(load_corpus("builtin"), s.tokenizer, window=32, max_tokens=600)
    assert (w.window, w.max_tokens) == (32, 600)
    with pytest.raises(SteerbridgeError, match=r"ready token windows \(cut with window=32.*"
                                               r"window=64"):
        fit_bridge(s, t, w, 2, 3, window=64, progress=False)
    with pytest.raises(SteerbridgeError, match="max_tokens=900"):
        fit_bridge(s, t, w, 2, 3, max_tokens=900, progress=False)
    hand_made = dataclasses.replace(w, window=None, max_tokens=None)
    with pytest.raises(SteerbridgeError, match="window=None"):
        fit_bridge(s, t, hand_made, 2, 3, window=32, progress=False)
    # the settings the windows were cut with are accepted (what the pipeline passes)
    from_windows = fit_bridge(s, t, w, 2, 3, window=32, max_tokens=600, progress=False)
    from_spec = fit_bridge(s, t, "builtin", 2, 3, window=32, max_tokens=600, progress=False)
    assert torch.equal(from_windows.W, from_spec.W)
    assert from_spec.provenance["corpus_windows_fingerprint"] == w.fingerprint
