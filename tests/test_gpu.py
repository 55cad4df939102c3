"""The stages on CUDA (marked `gpu`: out of the default run, skipped without CUDA).

Run with ``pytest -m gpu``. The tiny pair on the GPU goes through every stage; results are
compared with the same run on the CPU (float32 both, so only kernel rounding differs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.fitting import fit_bridge
from steerbridge.bridge.transfer import transfer
from steerbridge.models.tiny import tiny_model, tiny_pair
from steerbridge.run import config, pipeline
from steerbridge.vectors import datasets, steering
from steerbridge.vectors.extract import extract
from steerbridge.vectors.steering import steer

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]
ROOT = Path(__file__).resolve().parents[1]


def _cuda_pair():
    src, tgt = tiny_pair()
    src.model.to("cuda")
    tgt.model.to("cuda")
    return src, tgt


def test_every_fit_method_on_cuda() -> None:
    src, tgt = _cuda_pair()
    cpu_src, cpu_tgt = tiny_pair()
    for method, opts in (("ridge", {}), ("procrustes", {}), ("lowrank", {"rank": 8}),
                         ("sgd", {"sgd_options": {"epochs": 1, "batch_tokens": 128}})):
        br = fit_bridge(src, tgt, "builtin", 1, 2, method=method, max_tokens=1500, window=32,
                        progress=False, **opts)
        assert br.W.device.type == "cpu" and torch.isfinite(br.W).all(), method
        if method != "sgd":
            ref = fit_bridge(cpu_src, cpu_tgt, "builtin", 1, 2, method=method, max_tokens=1500,
                             window=32, progress=False, **opts)
            torch.testing.assert_close(br.W, ref.W, rtol=1e-3, atol=1e-4)


def test_extract_transfer_steer_generate_on_cuda() -> None:
    src, tgt = _cuda_pair()
    gen, _ = datasets.builtin("caution")
    bridge = fit_bridge(src, tgt, "builtin", 1, 2, max_tokens=1500, window=32, progress=False)
    for method in ("mean_diff", "pca_diff", "logistic_probe"):
        vec = extract(src, gen[:6], [1], method=method)
        cuda_vec = replace(vec, directions={1: vec.directions[1].cuda()})
        moved = transfer(bridge, cuda_vec)  # a CPU bridge and a CUDA vector
        with steer(tgt, moved, 1.0):
            tgt.model(input_ids=torch.tensor([[5, 6, 7]], device="cuda"))
        assert steering.generate(tgt, ["Hi"], moved, 1.0, max_new_tokens=3)
    h = torch.randn(4, 32, device="cuda", dtype=torch.bfloat16)
    assert bridge(h).device.type == "cuda" and bridge(h).dtype == torch.bfloat16


def test_pipeline_on_cuda(tmp_path: Path) -> None:
    items = [{"question": f"Is it lovely today? #{i}\n\n(A) Yes\n(B) No",
              "answer_matching_behavior": "AB"[i % 2], "answer_not_matching_behavior": "BA"[i % 2]}
             for i in range(10)]
    (tmp_path / "g.json").write_text(json.dumps(items))
    (tmp_path / "t.json").write_text(json.dumps(items[:6]))
    cfg = config.from_dict({
        "models": {"source": "s", "target": "t", "dtype": "float32", "device": "cuda"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 1500,
                   "screen_pairs": True, "screen_tokens": 400},
        "behaviours": [{"name": "w", "generate": str(tmp_path / "g.json"),
                        "test": str(tmp_path / "t.json")}],
        "evaluation": {"alphas": [-2.0, 2.0], "random_seeds": [0], "n_boot": 20,
                       "side_effects_tokens": 48, "generations": 0},
        "run": {"dir": str(tmp_path / "run")}})
    res = pipeline.run(cfg, hooks=pipeline.Hooks(), models=_cuda_pair())
    assert not res["behaviours"]["w"]["errors"]
    assert res["bridge"]["metrics"]["r2"] is not None


def test_bf16_model_float64_sums_on_the_gpu() -> None:
    from steerbridge.bridge.collection import collect_pair_moments
    from steerbridge.bridge.corpus import load_corpus, tokenize

    src, tgt = (tiny_model("qwen2", 32, 4, 0, torch.bfloat16),
                tiny_model("qwen2", 48, 6, 1, torch.bfloat16))
    src.model.to("cuda")
    tgt.model.to("cuda")
    w = tokenize(load_corpus("builtin"), src.tokenizer, window=32, max_tokens=1000)
    st = collect_pair_moments(src, tgt, w, [((1,), 2)], batch_tokens=256, progress=False)
    m = st[((1,), 2)].train
    assert m.device.type == "cuda" and m.sxx.dtype == torch.float64 and m.count > 0
    br = Bridge.fit_stats(st[((1,), 2)])
    assert torch.isfinite(br.W).all()


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs")
def test_device_map_auto_over_two_gpus(tmp_path: Path) -> None:
    from steerbridge.models.loading import load

    lm = tiny_model("qwen2", 64, 8, seed=0)
    lm.model.save_pretrained(tmp_path / "m")
    lm.tokenizer.save_pretrained(tmp_path / "m")
    mapped = load(tmp_path / "m", dtype="float32",
                  device_map={"model.embed_tokens": 0, "model.rotary_emb": 0,
                              **{f"model.layers.{i}": i // 4 for i in range(8)},
                              "model.norm": 1, "lm_head": 1})
    assert {mapped.layer_device(0).index, mapped.layer_device(7).index} == {0, 1}
    gen, _ = datasets.builtin("caution")
    vec = extract(mapped, gen[:4], [2, 6])
    assert steering.generate(mapped, ["Hi"], vec, 1.0, max_new_tokens=3)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs for NCCL")
def test_two_nccl_ranks(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
           str(ROOT / "tests" / "dist_worker.py"), str(tmp_path / "out"), "--device", "cuda"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (tmp_path / "out" / "bridge.safetensors").exists()
