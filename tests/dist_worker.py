"""Worker for tests/test_distributed.py: started by torchrun (or run as one process).

Collects a tiny pair's statistics for two layer pairs, sharded over the ranks if torchrun
started it, and writes on rank 0: the merged statistics, the float64 ridge solutions and one
bridge. Every rank writes how many forward batches it ran (resume checks).
``--crash-rank R --crash-after K``: rank R dies (exit code 3) after K forward batches.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch
from safetensors.torch import save_file

PAIRS = [((1,), 2), ((2, 3), 4)]


def windows(tokenizer):  # noqa: ANN001, ANN201 - test helper
    from steerbridge.bridge.corpus import load_corpus, tokenize

    return tokenize(load_corpus("builtin"), tokenizer, window=32, max_tokens=2500)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--crash-rank", type=int, default=-1)
    ap.add_argument("--crash-after", type=int, default=0)
    ap.add_argument("--device", default="cpu", help="cpu (gloo) or cuda (NCCL, one GPU a rank)")
    args = ap.parse_args()
    torch.set_num_threads(1)

    from steerbridge.bridge import collection
    from steerbridge.bridge.affine import Bridge
    from steerbridge.bridge.distributed import init_from_env, shutdown
    from steerbridge.bridge.fits import fit_ridge
    from steerbridge.models.tiny import tiny_pair

    shard, device = init_from_env(args.device)
    forwards = {"n": 0}
    real = collection.hidden_states_at

    def counted(lm, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        if lm.name.endswith("seed1"):  # one count per batch: the target's forward
            forwards["n"] += 1
            if shard.rank == args.crash_rank and forwards["n"] > args.crash_after:
                os._exit(3)
        return real(lm, *a, **kw)

    collection.hidden_states_at = counted  # type: ignore[assignment]
    src, tgt = tiny_pair()
    src.model.to(device)
    tgt.model.to(device)
    stats = collection.collect_pair_moments(src, tgt, windows(src.tokenizer), PAIRS,
                                            batch_size=3, cache_dir=args.cache,
                                            checkpoint_every_s=0.0, progress=False)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"forwards-{shard.tag()}.json").write_text(json.dumps(forwards))
    if shard.is_main:
        for i, p in enumerate(PAIRS):
            stats[p].save(args.out / f"stats-{i}.safetensors")
        # λ chosen on val for the one-to-one pair; fixed for the many-to-one pair, whose two
        # correlated layers make XᵀX ill-conditioned (~1e5) at the smallest λ of the grid
        sols = {}
        for i, lam in ((0, None), (1, 1e-2)):
            w, b, info = fit_ridge(stats[PAIRS[i]].train, stats[PAIRS[i]].val, lam=lam)
            sols[f"W{i}"], sols[f"b{i}"] = w.contiguous(), b.contiguous()
            sols[f"lambda{i}"] = torch.tensor(info["lambda_rel"], dtype=torch.float64)
        save_file(sols, str(args.out / "ridge64.safetensors"))
        Bridge.fit_stats(stats[PAIRS[0]]).save(args.out / "bridge.safetensors")
    shutdown()


if __name__ == "__main__":
    main()
