"""Where in the native vector does free-text steering live? (diagnostic for issue 4)

A transferred vector can have cosine 0.9 with the target's own vector and still not steer
(RESULTS.md §2). Split the native vector n into its part along the transferred direction
u = unit(W·v) and the rest: n = (n·u) u + r. Steer the target with each part at the push it
has inside n -- (n̂·u)·α along u, ‖r̂‖·α along r̂ -- beside the whole native vector at α and a
random direction at the residual's push. If the residual alone moves text like n does, the
behaviour lives in the small part the bridge misses.

    .venv/bin/python benchmarks/steering_components.py --bridge runs/bridge.safetensors \
        --alphas -0.4 -0.6 --out runs/steering-components
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

import torch

from steerbridge.bridge.affine import Bridge
from steerbridge.evaluation import freetext
from steerbridge.models.loading import load
from steerbridge.vectors import datasets, steering
from steerbridge.vectors import vector as vectors
from steerbridge.vectors.extract import extract


def with_direction(v: vectors.SteeringVector, layer: int, d: torch.Tensor,
                   note: str) -> vectors.SteeringVector:
    """A copy of `v` whose direction at `layer` is `d` (same scale), lineage noted."""
    import dataclasses

    return dataclasses.replace(v, directions={layer: d.float()}, lineage=[*v.lineage, note])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bridge", required=True)
    freetext.add_arguments(ap)
    ap.add_argument("--out", default="runs/steering-components")
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    br = Bridge.load(args.bridge)
    lt = br.target_layer
    gen, _ = datasets.builtin(args.behaviour)
    prompts = freetext.open_prompts(args.behaviour, args.prompt_file)[: args.prompts]
    src = load(br.source_name, dtype=args.dtype)
    v_src = extract(src, gen[: args.items], br.source_layers, progress=True,
                    dataset_name=args.behaviour)
    del src
    tgt = load(br.target_name, dtype=args.dtype)
    v_tr = br.transfer(v_src)
    nat = extract(tgt, gen[: args.items], [lt], progress=True,
                  scales={lt: v_tr.scales[lt]}, dataset_name=args.behaviour)
    n = nat.direction(lt).double()
    n_hat = n / n.norm()
    u = v_tr.direction(lt).double()
    u = u / u.norm()
    along = float(n_hat @ u)
    resid = n_hat - along * u
    share = float(resid.norm())
    g = torch.Generator().manual_seed(0)
    rnd = torch.randn(n.shape[0], generator=g, dtype=torch.float64)
    parts: dict[str, tuple[vectors.SteeringVector, float]] = {
        "native": (nat, 1.0),
        "along W·v": (with_direction(nat, lt, u, "part along W·v"), along),
        "residual": (with_direction(nat, lt, resid, "part orthogonal to W·v"), share),
        "random@residual": (with_direction(nat, lt, rnd, "random"), share),
    }
    base = steering.generate(tgt, prompts, max_new_tokens=args.tokens)
    base_v = freetext.vader_scores(base)
    record: dict[str, Any] = {"bridge": args.bridge, "cos_native_transferred": along,
                              "residual_share": share, "prompts": prompts, "unsteered": base,
                              "unsteered_vader": base_v, "runs": []}
    print(f"cos(native, W·v) {along:.3f}; residual share {share:.3f}; unsteered mean VADER "
          f"{statistics.mean(base_v):+.2f}", flush=True)
    for alpha in args.alphas:
        for name, (vec, k) in parts.items():
            texts = steering.generate(tgt, prompts, vec, alpha * k, max_new_tokens=args.tokens)
            sc = freetext.vader_scores(texts)
            m = freetext.moved(sc, base_v, alpha, args.threshold)
            record["runs"].append({"alpha": alpha, "part": name, "push": alpha * k,
                                   "texts": texts, "vader": sc, "moved": m})
            print(f"  alpha {alpha:+.2f} {name:16s} push {alpha * k:+.3f} moved {m}/"
                  f"{len(prompts)} mean VADER {statistics.mean(sc):+.2f}", flush=True)
            (out / "results.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
