"""Device choice, per-block devices and dtypes, device maps, token batches: on the CPU.

A second device is emulated with ``meta`` tensors where only placement matters, and a device
map is exercised with accelerate's hooks forced onto a CPU-only map.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.collection import collect_pair_moments
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.moments import Moments
from steerbridge.bridge.transfer import transfer
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import ab
from steerbridge.evaluation.side_effects import side_effects
from steerbridge.models import devices
from steerbridge.models.batching import pad_batch, plan_batches
from steerbridge.models.hidden_states import hidden_states_at
from steerbridge.models.loading import load
from steerbridge.models.tiny import tiny_model, tiny_pair
from steerbridge.run import config, keys
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.extract import extract
from steerbridge.vectors.steering import steer
from steerbridge.vectors.vector import SteeringVector

NO_CUDA = not torch.cuda.is_available()


def _vector(lm, layer: int, seed: int = 0) -> SteeringVector:
    g = torch.Generator().manual_seed(seed)
    return SteeringVector({layer: torch.randn(lm.hidden_size, generator=g)}, {layer: 2.0},
                          lm.name, lm.fingerprint, lm.hidden_size, "mean_diff", "x")


# ------------------------------------------------------------------------- choosing a device


def test_resolve_device() -> None:
    assert devices.resolve_device("cpu") == torch.device("cpu")
    assert devices.resolve_device(None) == devices.resolve_device("auto") == (
        torch.device("cuda") if not NO_CUDA else torch.device("cpu"))
    with pytest.raises(SteerbridgeError, match="Unknown device"):
        devices.resolve_device("gpu0")
    with pytest.raises(SteerbridgeError, match="not supported"):
        devices.resolve_device("xla")


@pytest.mark.skipif(not NO_CUDA, reason="checks the message on a machine without CUDA")
def test_cuda_without_cuda_says_what_to_do() -> None:
    with pytest.raises(SteerbridgeError, match="--device cpu"):
        devices.resolve_device("cuda")
    with pytest.raises(SteerbridgeError, match="no CUDA"):
        load("unused", device="cuda:1")


def test_config_device_is_validated_and_not_in_any_key(tmp_path: Path) -> None:
    base = {"models": {"source": "a", "target": "b"}, "bridge": {"source_layer": 1,
            "target_layer": 2}, "behaviours": [{"name": "x", "builtin": "caution"}]}
    cfg = config.from_dict(base)
    assert cfg.models.device == "auto" and cfg.models.device_map is None
    moved = config.from_dict({**base, "models": {"source": "a", "target": "b",
                                                 "device": "cuda:1", "device_map": "auto"}})
    assert moved.models.device == "cuda:1"
    for stage in ("bridge", "vectors", "evaluation"):
        assert keys.stage_hash(cfg, stage, "x") == keys.stage_hash(moved, stage, "x")
    with pytest.raises(SteerbridgeError, match="models.device"):
        config.from_dict({**base, "models": {"source": "a", "target": "b", "device": "gpu"}})


def test_stats_device_falls_back_to_the_cpu_without_float64(monkeypatch) -> None:
    assert devices.stats_device("cpu") == torch.device("cpu")
    assert devices.float64_works("cpu")
    monkeypatch.setattr(devices, "float64_works", lambda d: False)
    assert devices.stats_device("meta") == torch.device("cpu")


def test_choose_attention(monkeypatch) -> None:
    assert devices.choose_attention("gemma2", "cpu", torch.float32) == "eager"
    assert devices.choose_attention("qwen2", "cpu", torch.float32) is None  # sdpa by default
    assert devices.choose_attention("qwen2", "cpu", torch.float32, "eager") == "eager"
    monkeypatch.setattr(devices.importlib.util, "find_spec", lambda name: object())
    assert devices.choose_attention("gemma2", "cuda", torch.bfloat16) == "flash_attention_2"
    assert devices.choose_attention("gemma2", "cuda", torch.float32) == "eager"


# --------------------------------------------------------------- tensors on several devices


def test_moments_sum_on_their_own_device() -> None:
    m = Moments.zeros(3, 2, "meta")
    m.update(torch.randn(5, 3), torch.randn(5, 2))  # CPU rows: moved to the sums
    assert all(t.device.type == "meta" for t in m.fields())
    cpu = Moments.from_data(torch.randn(4, 3), torch.randn(4, 2))
    assert (m + cpu).device.type == "meta" and cpu.to("meta").device.type == "meta"
    assert cpu.to("cpu") is cpu and all(t.device.type == "cpu" for t in cpu.tensors().values())


def test_bridge_maps_states_on_any_device_and_dtype() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(200, 4), torch.randn(200, 3)
    br = Bridge.fit((x, y), method="ridge")
    assert br.W.device.type == "cpu"
    assert br(torch.randn(7, 4, device="meta")).device.type == "meta"
    h = torch.randn(7, 4, dtype=torch.float64)
    out = br(h)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, h @ br.W.double().T + br.b.double())


def test_transfer_takes_a_vector_and_bridge_of_other_dtypes() -> None:
    src, tgt = tiny_model("qwen2", 32, 2, 0), tiny_model("qwen2", 48, 2, 1)
    v = _vector(src, 1)
    bridge = Bridge(W=torch.randn(48, 32).half(), b=torch.zeros(48).half(), source_layers=[1],
                    target_layer=1, source_fingerprint=src.fingerprint,
                    target_fingerprint=tgt.fingerprint, target_scale=3.0)
    v64 = SteeringVector({1: v.directions[1].double()}, v.scales, v.model_name,
                         v.model_fingerprint, 32, "mean_diff", "x")
    moved = transfer(bridge, v64)
    want = (bridge.W.double() @ v.directions[1].double()).float()
    torch.testing.assert_close(moved.directions[1], want)
    assert moved.directions[1].dtype == torch.float32 and moved.scales[1] == 3.0


def test_steering_hook_follows_its_blocks_device_and_dtype() -> None:
    lm = tiny_model("qwen2", 32, 4, seed=0)
    vec = _vector(lm, 2)
    with steer(lm, vec, 1.0):
        hook = next(iter(lm.layers[2]._forward_hooks.values()))
        for h in (torch.zeros(1, 3, 32, device="meta"),
                  torch.zeros(1, 3, 32, dtype=torch.bfloat16)):
            out = hook(lm.layers[2], (), (h,))[0]
            assert out.device == h.device and out.dtype == h.dtype
    lm.layers[3].to("meta")  # as if a device map had put block 3 elsewhere
    assert lm.layer_device(3).type == "meta" and lm.layer_device(1).type == "cpu"
    assert lm.device.type == "cpu"  # inputs go where the embeddings are


def test_device_of_modules() -> None:
    assert devices.module_device(torch.nn.ReLU(), torch.device("meta")).type == "meta"
    assert devices.module_device(torch.nn.BatchNorm1d(2, affine=False)).type == "cpu"
    t = torch.zeros(2)
    assert devices.to_like(t, torch.zeros(1)) is t
    assert devices.to_like(t, torch.zeros(1, dtype=torch.float16)).dtype == torch.float16


# ----------------------------------------------------------------------- a device map (CPU)


def _dispatched(lm):
    """`lm` put through accelerate's dispatch with a per-block map and hooks forced on."""
    from accelerate import dispatch_model

    names = ["model.embed_tokens", "model.norm", "model.rotary_emb", "lm_head",
             *[f"model.layers.{i}" for i in range(lm.num_layers)]]
    dispatch_model(lm.model, device_map=dict.fromkeys(names, "cpu"), main_device="cpu",
                   force_hooks=True)
    assert hasattr(lm.layers[0], "_hf_hook")
    return lm


def test_reading_steering_and_scoring_under_a_device_map() -> None:
    plain, mapped = tiny_model("qwen2", 32, 4, seed=5), _dispatched(tiny_model("qwen2", 32, 4,
                                                                                seed=5))
    ids, mask = pad_batch([[5, 6, 7, 8], [9, 10]], 0)
    a, b = hidden_states_at(plain, ids, mask, [1, 3]), hidden_states_at(mapped, ids, mask, [1, 3])
    for layer in (1, 3):
        torch.testing.assert_close(a[layer], b[layer])
    vec_p, vec_m = _vector(plain, 2), _vector(mapped, 2)
    items = [ABItem(f"Question {i}: is it lovely today?", "A", "B") for i in range(4)]
    prompts = ab.prepare(plain, items)
    res_p = ab.sweep(plain, prompts, {"v": vec_p}, [-1.0, 1.0], batch_size=2)
    res_m = ab.sweep(mapped, prompts, {"v": vec_m}, [-1.0, 1.0], batch_size=2)
    torch.testing.assert_close(torch.tensor(res_p["v"]["p"]), torch.tensor(res_m["v"]["p"]))
    se_p = side_effects(plain, [[5, 6, 7, 8, 9]], {"v": vec_p}, 1.0)
    se_m = side_effects(mapped, [[5, 6, 7, 8, 9]], {"v": vec_m}, 1.0)
    assert se_p["v"]["kl"] == pytest.approx(se_m["v"]["kl"], rel=1e-5)
    v_p = extract(plain, items, [2], scales={2: 1.0})
    v_m = extract(mapped, items, [2], scales={2: 1.0})
    torch.testing.assert_close(v_p.directions[2], v_m.directions[2])


def test_load_passes_device_map_and_attention(tmp_path: Path) -> None:
    for arch in ("qwen2", "gemma2"):
        lm = tiny_model(arch, 32, 2, seed=0)
        lm.model.save_pretrained(tmp_path / arch)
        lm.tokenizer.save_pretrained(tmp_path / arch)
    q = load(tmp_path / "qwen2", dtype="float32", device="cpu")
    assert q.info()["device"] == "cpu" and q.info()["attention"] == "sdpa"
    mapped = load(tmp_path / "qwen2", dtype="float32", device_map={"": "cpu"})
    assert mapped.fingerprint == q.fingerprint and mapped.device.type == "cpu"
    assert load(tmp_path / "gemma2", dtype="float32", device="cpu").info()["attention"] == "eager"
    assert load(tmp_path / "qwen2", dtype="float32", device="cpu",
                attn_implementation="eager").info()["attention"] == "eager"


# ------------------------------------------------------------------------- token budgets


def test_plan_batches_by_windows_or_tokens() -> None:
    assert plan_batches([4] * 5, 2) == [(0, 2), (2, 4), (4, 5)]
    assert plan_batches([4, 4, 8, 2, 2, 2, 2], batch_tokens=8) == [(0, 2), (2, 3), (3, 7)]
    assert plan_batches([9], batch_tokens=4) == [(0, 1)]  # one window always fits
    with pytest.raises(SteerbridgeError):
        plan_batches([1], batch_tokens=0)


def test_token_batches_equal_window_batches_for_equal_windows() -> None:
    src, tgt = tiny_pair()
    w = tokenize(load_corpus("builtin"), src.tokenizer, window=32, max_tokens=1200)
    full = [i for i, ids in enumerate(w.ids) if len(ids) == 32]
    w = w.subset(full)
    pair = ((1,), 2)
    a = collect_pair_moments(src, tgt, w, [pair], batch_size=3, progress=False)[pair]
    b = collect_pair_moments(src, tgt, w, [pair], batch_tokens=96, progress=False)[pair]
    for fa, fb in zip(a.train.fields(), b.train.fields(), strict=True):
        assert torch.equal(fa, fb)


# ---------------------------------------------------------------------------- command line


def test_cli_device_errors(monkeypatch) -> None:
    from steerbridge.cli import app

    runner = CliRunner()  # `steerbridge` turns these errors into a message and exit code 2
    if NO_CUDA:
        res = runner.invoke(app, ["fit-bridge", "--device", "cuda", "--source", "x"])
        assert isinstance(res.exception, SteerbridgeError)
        assert "--device cpu" in str(res.exception)
    res = runner.invoke(app, ["fit-bridge", "--device", "cpu", "--device-map", "balanced",
                              "--source", "nowhere/at/all"])
    assert "--device-map 'balanced'" in str(res.exception)
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    res = runner.invoke(app, ["extract", "some-model", "-d", "caution"])
    assert "does not shard" in str(res.exception)
