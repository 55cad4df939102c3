"""Time probe gradients on the real pair (0.5B layer 12, 1.5B layer 14) and check the analytic
head against autograd through the head. Prints one JSON line.

    PYTHONPATH=src nice .venv/bin/python benchmarks/probe_gradient_timing.py
"""

from __future__ import annotations

import json
import time

from steerbridge.bridge.probes import probe_gradients, sample_probes, text_batch
from steerbridge.models.loading import load


def main() -> None:
    s, t = load("qwen2.5-coder-0.5b"), load("qwen2.5-coder-1.5b")
    texts = ["The quick brown fox jumps over the lazy dog and runs far away into the forest "
             "where nobody can see it."] * 4
    b = text_batch(s.tokenizer, texts, 16)
    out: dict[str, float] = {"rows": 4, "tokens_per_row": int(b.mask[0].sum()), "draws": 4}
    t0 = time.time()
    pr = sample_probes(s, b, 4)
    out["sample_s"] = time.time() - t0
    t0 = time.time()
    probe_gradients(s, 12, b, pr)
    out["grad_source_s"] = time.time() - t0
    t0 = time.time()
    gt = probe_gradients(t, 14, b, pr)
    out["grad_target_s"] = time.time() - t0
    t0 = time.time()
    gt2 = probe_gradients(t, 14, b, pr, analytic_head=False)
    out["grad_target_autograd_head_s"] = time.time() - t0
    rel = (gt - gt2).norm(dim=-1) / gt2.norm(dim=-1)
    out["analytic_vs_autograd_max_rel"] = float(rel.max())
    out["pairs"] = 16
    out["per_pair_s"] = (out["sample_s"] + out["grad_source_s"] + out["grad_target_s"]) / 16
    print(json.dumps(out))


if __name__ == "__main__":
    main()
