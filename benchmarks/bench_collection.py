"""Collection speed: steerbridge's early-exit forward vs the naive ``output_hidden_states`` loop.

Both read the same mid layer of the real pair (source layer 12 of the 0.5B, target layer 14 of the
1.5B by default) over the same batches of 128-token windows of the default corpus, on 2
threads (float32 by default: this machine's CPU has AVX2 but no bf16 matrix units),
alternating baseline and steerbridge batch by batch so machine load hits both alike.
Also prints achieved FLOP/s against this machine's matmul rate, measured in the same process.

    .venv/bin/python benchmarks/bench_collection.py [--batches 2] [--dtype float32] [--json F]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.models.batching import pad_batch
from steerbridge.models.dtypes import resolve_dtype
from steerbridge.models.hidden_states import hidden_states_at
from steerbridge.models.loading import LoadedModel, load


def matmul_rate(dtype: torch.dtype, n: int = 2048, reps: int = 3) -> float:
    """FLOP/s of a square matmul in `dtype` (best of `reps`)."""
    a = torch.randn(n, n, dtype=dtype)
    b = torch.randn(n, n, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def flops_per_token(lm: LoadedModel, layer: int | None, seq: int) -> float:
    """2 x weights touched per token (blocks 0..layer, plus the LM head when layer is None),
    plus causal attention scores and mixing (2 x 2 x seq/2 x d per block)."""
    blocks = lm.layers if layer is None else lm.layers[: layer + 1]
    weights = sum(p.numel() for blk in blocks for p in blk.parameters() if p.dim() == 2)
    attn = 2 * 2 * (seq / 2) * lm.hidden_size * len(blocks)
    head = 0
    if layer is None:
        head = lm.model.get_output_embeddings().weight.numel()  # type: ignore[operator]
    return 2.0 * (weights + head) + attn


def bench_model(lm: LoadedModel, layer: int, batches: list[tuple[torch.Tensor, torch.Tensor]]
                ) -> dict[str, float]:
    naive_t = ours_t = 0.0
    tokens = 0
    with torch.inference_mode():
        ids, mask = batches[0]
        lm.model(input_ids=ids, attention_mask=mask, output_hidden_states=True)  # warm-up
        hidden_states_at(lm, ids, mask, [layer])
        for ids, mask in batches:
            t0 = time.perf_counter()
            out = lm.model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            h_naive = out.hidden_states[layer + 1][mask.bool()].float()
            t1 = time.perf_counter()
            h_ours = hidden_states_at(lm, ids, mask, [layer])[layer][mask.bool()]
            t2 = time.perf_counter()
            naive_t += t1 - t0
            ours_t += t2 - t1
            tokens += int(mask.sum())
            assert torch.equal(h_naive, h_ours), "early exit must give the very same states"
    seq = batches[0][0].shape[1]
    return {
        "tokens": tokens, "naive_s": naive_t, "ours_s": ours_t,
        "naive_tok_s": tokens / naive_t, "ours_tok_s": tokens / ours_t,
        "ours_flop_s": tokens * flops_per_token(lm, layer, seq) / ours_t,
        "naive_flop_s": tokens * flops_per_token(lm, None, seq) / naive_t,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", default="qwen2.5-coder-0.5b")
    ap.add_argument("--target", default="qwen2.5-coder-1.5b")
    ap.add_argument("--source-layer", type=int, default=12)
    ap.add_argument("--target-layer", type=int, default=14)
    ap.add_argument("--batches", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--dtype", default="auto",
                    help="auto, float32 (fast on AVX2-only CPUs) or bfloat16 (fast with AMX)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    src, tgt = load(args.source, dtype=args.dtype), load(args.target, dtype=args.dtype)
    w = tokenize(load_corpus("builtin"), src.tokenizer, window=128)
    full = [ids for ids in w.ids if len(ids) == 128][: args.batches * args.batch_size]
    batches = [pad_batch(full[i:i + args.batch_size], 0)
               for i in range(0, len(full), args.batch_size)]
    rates = {str(dt).replace("torch.", ""): matmul_rate(dt)
             for dt in (torch.bfloat16, torch.float32)}
    used = str(resolve_dtype(args.dtype)).replace("torch.", "")
    peak = rates.get(used, rates["float32"])
    res = {"source": bench_model(src, args.source_layer, batches),
           "target": bench_model(tgt, args.target_layer, batches), "matmul_flop_s": rates,
           "dtype": used}
    n = res["source"]["tokens"]
    naive_pair = res["source"]["naive_s"] + res["target"]["naive_s"]
    ours_pair = res["source"]["ours_s"] + res["target"]["ours_s"]
    res["pair"] = {"naive_tok_s": n / naive_pair, "ours_tok_s": n / ours_pair,
                   "speedup": naive_pair / ours_pair}
    print("matmul rate (2048^3, 2 threads): " + ", ".join(
        f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in rates.items()) + f"; forward in {used}")
    for role, layer in (("source", args.source_layer), ("target", args.target_layer)):
        r = res[role]
        print(f"{role} layer {layer}: naive {r['naive_tok_s']:.0f} tok/s, steerbridge "
              f"{r['ours_tok_s']:.0f} tok/s ({r['naive_s'] / r['ours_s']:.2f}x); achieved "
              f"{r['ours_flop_s'] / 1e9:.1f} GFLOP/s = {r['ours_flop_s'] / peak:.0%} of the "
              f"{used} matmul rate (naive {r['naive_flop_s'] / 1e9:.1f} GFLOP/s)")
    p = res["pair"]
    print(f"pair (same {n} tokens through both): naive {p['naive_tok_s']:.0f} tok/s, "
          f"steerbridge {p['ours_tok_s']:.0f} tok/s, speedup {p['speedup']:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
