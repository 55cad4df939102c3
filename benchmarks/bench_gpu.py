"""GPU collection speed at the paper's scale, with random weights (the cost does not depend on
the weights): Gemma-2-2b → Gemma-2-9b shapes (layer 20 → 20, as in Bello et al.) and a
Qwen2.5-1.5B → Qwen2.5-7B pair, configs written inline, nothing downloaded.

Measured in one run, per pair, on the same batches of random token windows:

- ``matmul``: the device's dense matmul rate in the model dtype (the ceiling);
- ``naive``: the loop a user would write, ``model(..., output_hidden_states=True)``;
- ``early_exit``: steerbridge's `hidden_states_at` (stops after the requested block), with
  its FLOP/s as a share of the matmul rate;
- ``collection``: `collect_pair_moments` end to end (both models, fit-token selection, outlier
  filter, float64 moment updates on the device, held-out rows) with a token budget per batch;
- ``moments``: float64 `Moments.update` rate at the pair's widths, and the ridge solve time;
- ``projection``: minutes per 10M-token map (collection + solve) and for the naive loop.

Under ``torchrun --nproc-per-node N`` the collection is sharded over the ranks (two ranks may
share one GPU with ``--device cuda:0``; the sums then reduce through gloo) and rank 0 reports
the aggregate rate; the other sections run on rank 0 only.

    python benchmarks/bench_gpu.py                        # the GPU, both pairs, ~2-4 minutes
    python benchmarks/bench_gpu.py --device cpu --tiny    # checks the script on a CPU
    torchrun --nproc-per-node 2 benchmarks/bench_gpu.py --device cuda:0 --pairs gemma2
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import re
import time
from pathlib import Path
from typing import Any

import torch
import transformers as tf
from transformers import AutoModelForCausalLM

from steerbridge.bridge.collection import collect_pair_moments
from steerbridge.bridge.corpus import Windows
from steerbridge.bridge.distributed import current_shard, init_from_env, shutdown
from steerbridge.bridge.fits import fit_ridge
from steerbridge.bridge.moments import Moments
from steerbridge.models.batching import pad_batch
from steerbridge.models.devices import choose_attention
from steerbridge.models.hidden_states import hidden_states_at
from steerbridge.models.loading import LoadedModel, wrap
from steerbridge.models.tiny import tiny_tokenizer

RESULTS = Path(__file__).resolve().parent / "results"
PAPER_TOKENS = 10_000_000
PAPER_MINUTES = 200.0  # Bello et al.: about 200 min per map on one GH200

GEMMA2_COMMON = dict(vocab_size=256000, head_dim=256, query_pre_attn_scalar=256,
                     max_position_embeddings=8192, sliding_window=4096, rms_norm_eps=1e-6,
                     attn_logit_softcapping=50.0, final_logit_softcapping=30.0,
                     hidden_activation="gelu_pytorch_tanh", rope_theta=10000.0)
QWEN25_COMMON = dict(max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1e6,
                     max_window_layers=28)


def configs(tiny: bool) -> dict[str, tuple[Any, Any, int, int]]:
    """``name: (source config, target config, source layer, target layer)``."""
    if tiny:  # the same architectures, a few million parameters
        g = dict(GEMMA2_COMMON, vocab_size=1024, head_dim=16, query_pre_attn_scalar=16)
        q = dict(QWEN25_COMMON, max_window_layers=4)
        return {
            "gemma2": (tf.Gemma2Config(hidden_size=64, intermediate_size=128, num_hidden_layers=4,
                                       num_attention_heads=4, num_key_value_heads=2, **g),
                       tf.Gemma2Config(hidden_size=96, intermediate_size=192, num_hidden_layers=5,
                                       num_attention_heads=4, num_key_value_heads=2, **g), 2, 3),
            "qwen2.5": (tf.Qwen2Config(hidden_size=64, intermediate_size=128, num_hidden_layers=4,
                                       num_attention_heads=4, num_key_value_heads=2,
                                       vocab_size=1024, tie_word_embeddings=True, **q),
                        tf.Qwen2Config(hidden_size=96, intermediate_size=192, num_hidden_layers=4,
                                       num_attention_heads=4, num_key_value_heads=2,
                                       vocab_size=1024, **q), 2, 2),
        }
    return {  # public configs of google/gemma-2-2b, -9b and Qwen/Qwen2.5-1.5B, -7B
        "gemma2": (tf.Gemma2Config(hidden_size=2304, intermediate_size=9216, num_hidden_layers=26,
                                   num_attention_heads=8, num_key_value_heads=4, **GEMMA2_COMMON),
                   tf.Gemma2Config(hidden_size=3584, intermediate_size=14336,
                                   num_hidden_layers=42, num_attention_heads=16,
                                   num_key_value_heads=8, **GEMMA2_COMMON), 20, 20),
        "qwen2.5": (tf.Qwen2Config(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                                   num_attention_heads=12, num_key_value_heads=2,
                                   vocab_size=151936, tie_word_embeddings=True, **QWEN25_COMMON),
                    tf.Qwen2Config(hidden_size=3584, intermediate_size=18944,
                                   num_hidden_layers=28, num_attention_heads=28,
                                   num_key_value_heads=4, vocab_size=152064,
                                   tie_word_embeddings=False, **QWEN25_COMMON), 14, 14),
    }


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def build(cfg: Any, name: str, device: torch.device, dtype: torch.dtype,
          attn: str | None) -> LoadedModel:
    """A random-weight model made directly on `device` (no CPU copy, no download)."""
    chosen = choose_attention(cfg.model_type, device, dtype, attn)
    kw = {"attn_implementation": chosen} if chosen else {}
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(cfg, dtype=dtype, **kw)
    return wrap(model, tiny_tokenizer(), name)


def matmul_rate(device: torch.device, dtype: torch.dtype, n: int, reps: int = 5) -> float:
    """FLOP/s of an n³ matmul in `dtype` (best of `reps`)."""
    a = torch.randn(n, n, dtype=dtype, device=device)
    b = torch.randn(n, n, dtype=dtype, device=device)
    a @ b
    sync(device)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def flops_per_token(lm: LoadedModel, layer: int | None, seq: int) -> float:
    """2 x weights touched per token (blocks 0..layer; all blocks and the LM head when layer
    is None) plus causal attention (2 x 2 x seq/2 x heads x head_dim per block)."""
    blocks = lm.layers if layer is None else lm.layers[: layer + 1]
    weights = sum(p.numel() for blk in blocks for p in blk.parameters() if p.dim() == 2)
    cfg = lm.model.config
    heads = int(getattr(cfg, "num_attention_heads", 1) or 1)
    width = heads * int(getattr(cfg, "head_dim", None) or lm.hidden_size // heads)
    attn = 2 * 2 * (seq / 2) * width * len(blocks)
    head = lm.model.get_output_embeddings().weight.numel() if layer is None else 0
    return 2.0 * (weights + head) + attn


def timed(fn: Any, device: torch.device) -> float:
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t0


@torch.inference_mode()
def forward_rates(lm: LoadedModel, layer: int, batches: list[tuple[torch.Tensor, torch.Tensor]],
                  device: torch.device, peak: float) -> dict[str, float]:
    """Naive full forward vs steerbridge's early exit on the same batches."""
    ids, mask = batches[0]
    lm.model(input_ids=ids, attention_mask=mask, output_hidden_states=True)  # warm-up
    hidden_states_at(lm, ids, mask, [layer])
    naive = ours = 0.0
    for ids, mask in batches:
        naive += timed(lambda i=ids, m=mask: lm.model(input_ids=i, attention_mask=m,
                                                      output_hidden_states=True)
                       .hidden_states[layer + 1][m.bool()].float(), device)
        ours += timed(lambda i=ids, m=mask: hidden_states_at(lm, i, m, [layer]), device)
    tokens = sum(int(m.sum()) for _, m in batches)
    seq = batches[0][0].shape[1]
    ours_flops = tokens * flops_per_token(lm, layer, seq) / ours
    return {"tokens": tokens, "naive_tok_s": tokens / naive, "early_exit_tok_s": tokens / ours,
            "early_exit_tflop_s": ours_flops / 1e12, "early_exit_of_matmul": ours_flops / peak,
            "naive_tflop_s": tokens * flops_per_token(lm, None, seq) / naive / 1e12,
            "naive_s": naive, "early_exit_s": ours}


def moment_rates(dx: int, dy: int, device: torch.device, rows: int, reps: int = 3
                 ) -> dict[str, float]:
    """float64 moment updates (rows of bf16 states) and the ridge solve at these widths."""
    train, val = Moments.zeros(dx, dy, device), Moments.zeros(dx, dy, device)
    x = torch.randn(rows, dx, device=device, dtype=torch.bfloat16)
    y = torch.randn(rows, dy, device=device, dtype=torch.bfloat16)
    train.update(x, y)
    t = min(timed(lambda: train.update(x, y), device) for _ in range(reps))
    val.update(x[: rows // 4], y[: rows // 4])
    solve = timed(lambda: fit_ridge(train, val), device)
    return {"update_tok_s": rows / t, "ridge_solve_s": solve}


def random_windows(n: int, length: int, vocab: int, seed: int = 0) -> Windows:
    rng = random.Random(seed)
    ids = [[rng.randrange(3, vocab) for _ in range(length)] for _ in range(n)]
    return Windows(ids=ids, source=["plain"] * n, skip=[1] * n, fingerprint=f"random{seed}",
                   corpus_name="random tokens", window=length)


def run_pair(name: str, args: argparse.Namespace, device: torch.device, dtype: torch.dtype
             ) -> dict[str, Any]:
    src_cfg, tgt_cfg, ls, lt = configs(args.tiny)[name]
    shard = current_shard()
    t0 = time.perf_counter()
    src = build(src_cfg, f"{name}-source", device, dtype, args.attn)
    tgt = build(tgt_cfg, f"{name}-target", device, dtype, args.attn)
    out: dict[str, Any] = {"layers": [ls, lt], "build_s": time.perf_counter() - t0,
                           "attention": [src.model.config._attn_implementation,
                                         tgt.model.config._attn_implementation],
                           "parameters": [src.parameter_count(), tgt.parameter_count()]}
    vocab = min(src_cfg.vocab_size, tgt_cfg.vocab_size)
    rows = max(1, args.batch_tokens // args.window)
    windows = random_windows(rows * args.batches, args.window, vocab)
    if shard.is_main:
        peak = args.peak
        batches = [tuple(t.to(device) for t in pad_batch(windows.ids[i:i + rows], 0))
                   for i in range(0, len(windows), rows)]
        out["source"] = forward_rates(src, ls, batches, device, peak)  # type: ignore[arg-type]
        out["target"] = forward_rates(tgt, lt, batches, device, peak)  # type: ignore[arg-type]
        out["moments"] = moment_rates(src.hidden_size, tgt.hidden_size, device,
                                      args.batch_tokens)
    pair = ((ls,), lt)
    warm = random_windows(rows, args.window, vocab, seed=1)
    collect_pair_moments(src, tgt, warm, [pair], batch_tokens=args.batch_tokens, progress=False)
    if shard.distributed:
        torch.distributed.barrier()
    wall = timed(lambda: collect_pair_moments(src, tgt, windows, [pair], progress=False,
                                              batch_tokens=args.batch_tokens), device)
    tokens = windows.n_tokens
    out["collection"] = {"tokens": tokens, "s": wall, "tok_s": tokens / wall,
                         "ranks": shard.world, "batch_tokens": args.batch_tokens}
    if shard.is_main:
        naive_pair = tokens / (out["source"]["naive_s"] + out["target"]["naive_s"])
        solve = out["moments"]["ridge_solve_s"]
        minutes = PAPER_TOKENS / out["collection"]["tok_s"] / 60 + solve / 60
        out["projection"] = {
            "minutes_per_10M_token_map": minutes,
            "naive_minutes_per_10M_token_map": PAPER_TOKENS / naive_pair / 60 + solve / 60,
            "speedup_vs_paper_200_min": PAPER_MINUTES / minutes,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto", help="auto, cuda, cuda:N or cpu")
    ap.add_argument("--tiny", action="store_true", help="tiny shapes: check the script anywhere")
    ap.add_argument("--pairs", default="gemma2,qwen2.5", help="gemma2 and/or qwen2.5")
    ap.add_argument("--dtype", default=None, help="default: bfloat16 on a GPU, float32 on a CPU")
    ap.add_argument("--attn", default="auto", help="auto (per model), sdpa, eager, "
                    "flash_attention_2, ...")
    ap.add_argument("--window", type=int, default=128, help="tokens per window")
    ap.add_argument("--batch-tokens", type=int, default=8192, help="padded tokens per batch")
    ap.add_argument("--batches", type=int, default=8, help="timed batches per measurement")
    ap.add_argument("--matmul-n", type=int, default=None, help="matmul size (8192; tiny 512)")
    ap.add_argument("--json", type=Path, default=None, help="default: benchmarks/results/"
                    "gpu-<device>.json")
    args = ap.parse_args()
    shard, device = init_from_env(args.device)
    dtype = getattr(torch, args.dtype) if args.dtype else (
        torch.bfloat16 if device.type == "cuda" else torch.float32)
    if device.type == "cpu":
        torch.set_num_threads(max(1, torch.get_num_threads()))
    n = args.matmul_n or (512 if args.tiny else 8192)
    args.peak = matmul_rate(device, dtype, n)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    res: dict[str, Any] = {
        "device": str(device), "name": gpu or "cpu", "dtype": str(dtype).replace("torch.", ""),
        "torch": torch.__version__, "transformers": tf.__version__, "tiny": args.tiny,
        "ranks": shard.world, "window": args.window, "batch_tokens": args.batch_tokens,
        "matmul_tflop_s": args.peak / 1e12, "matmul_n": n, "pairs": {}}
    t0 = time.perf_counter()
    for name in [p.strip() for p in args.pairs.split(",") if p.strip()]:
        res["pairs"][name] = run_pair(name, args, device, dtype)
        gc.collect()  # the pair's models go before the next pair is built
        if device.type == "cuda":
            torch.cuda.empty_cache()
        if shard.is_main:
            report(name, res["pairs"][name])
    res["total_s"] = time.perf_counter() - t0
    if shard.is_main:
        slug = re.sub(r"[^a-z0-9]+", "-", res["name"].lower()).strip("-") or "cpu"
        path = args.json or RESULTS / f"gpu-{slug}{'-tiny' if args.tiny else ''}" \
            f"{f'-{shard.world}ranks' if shard.distributed else ''}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(res, indent=1))
        print(f"matmul {res['matmul_tflop_s']:.1f} TFLOP/s ({res['dtype']}, {n}³) on "
              f"{res['name']}; total {res['total_s']:.0f} s; wrote {path}")
    shutdown()


def report(name: str, r: dict[str, Any]) -> None:
    for role in ("source", "target"):
        f = r[role]
        print(f"{name} {role} layer {r['layers'][role == 'target']}: naive "
              f"{f['naive_tok_s']:,.0f} tok/s, early exit {f['early_exit_tok_s']:,.0f} tok/s "
              f"({f['early_exit_tflop_s']:.1f} TFLOP/s = {f['early_exit_of_matmul']:.0%} of "
              f"matmul); attention {r['attention'][role == 'target']}")
    c, m, p = r["collection"], r["moments"], r["projection"]
    print(f"{name} collection (both models + float64 moments, {c['ranks']} rank(s)): "
          f"{c['tok_s']:,.0f} tok/s; moment updates {m['update_tok_s']:,.0f} tok/s; ridge "
          f"solve {m['ridge_solve_s']:.2f} s")
    print(f"{name} projection: {p['minutes_per_10M_token_map']:.1f} min per 10M-token map "
          f"(naive {p['naive_minutes_per_10M_token_map']:.1f} min; "
          f"{p['speedup_vs_paper_200_min']:.1f}x the paper's 200 min)")


if __name__ == "__main__":
    main()
