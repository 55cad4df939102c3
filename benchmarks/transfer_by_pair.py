"""Which layer pair carries a behaviour's direction best? cos(W·v_source, v_native) per bridge.

The pair that maps hidden states best is not necessarily the one that transfers steering best
(PILOT.md), so measure both: for each saved bridge (e.g. every bridge `steerbridge pairs`
wrote), extract the behaviour's mean-difference vector on the source at the bridge's source
layers and natively on the target at its target layer (one pass per model for all bridges),
and report the bridge's held-out R² beside cos(W·v, native), with a random source direction
through the same W as the control.

    .venv/bin/python benchmarks/transfer_by_pair.py runs/pairs200k/bridge_*.safetensors \
        --behaviour positive-tone [--items 160] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.fidelity import fidelity, source_direction
from steerbridge.models.loading import load
from steerbridge.vectors import datasets
from steerbridge.vectors.extract import extract


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bridges", nargs="+", type=Path)
    ap.add_argument("--behaviour", default="positive-tone")
    ap.add_argument("--items", type=int, default=160)
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    bridges = [Bridge.load(p) for p in args.bridges]
    gen, _ = datasets.builtin(args.behaviour)
    items = gen[: args.items]
    src_layers = sorted({s for br in bridges for s in br.source_layers})
    tgt_layers = sorted({br.target_layer for br in bridges})
    src = load(bridges[0].source_name, dtype=args.dtype)
    v_src = extract(src, items, src_layers, progress=True, dataset_name=args.behaviour,
                    scales=dict.fromkeys(src_layers, 1.0))
    del src
    tgt = load(bridges[0].target_name, dtype=args.dtype)
    v_nat = extract(tgt, items, tgt_layers, progress=True, dataset_name=args.behaviour,
                    scales=dict.fromkeys(tgt_layers, 1.0))
    gen_ = torch.Generator().manual_seed(0)
    rows = []
    for path, br in zip(args.bridges, bridges, strict=True):
        native = v_nat.direction(br.target_layer).double()
        f = fidelity(br.W, source_direction(v_src, br.source_layers), native, n_random=8,
                     generator=gen_)
        rows.append({"bridge": str(path), "source_layers": br.source_layers,
                     "target_layer": br.target_layer,
                     "r2": br.metrics.get("test", {}).get("r2"),
                     "cos_transferred_native": f.cos,
                     "random_abs_cos_mean": f.random_mapped,
                     "source_relative_norm": [v_src.direction(s).norm().item()
                                              for s in br.source_layers],
                     "native_norm": native.norm().item()})
    print(f"{args.behaviour}: {len(items)} generate items")
    print(f"{'pair':>10s} {'held-out R²':>11s} {'cos(W·v, native)':>17s} {'|cos| random':>13s}")
    for r in rows:
        pair = f"{'+'.join(map(str, r['source_layers']))}→{r['target_layer']}"
        print(f"{pair:>10s} {r['r2']:11.3f} {r['cos_transferred_native']:17.3f} "
              f"{r['random_abs_cos_mean']:13.3f}")
    if args.json:
        args.json.write_text(json.dumps({"behaviour": args.behaviour, "rows": rows}, indent=1),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
