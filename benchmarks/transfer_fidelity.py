"""Which affine map carries a steering direction best? Cosine of W·v with the native vector.

Reads finished run directories (`steerbridge run` / `demo`): the bridge's cached moments
(``moments/``) and, per behaviour, the source vector and the target's native vector
(``vectors/``). Refits the map from the moments with each ridge λ and with the other closed-form
methods, and reports cos(W·v_source, v_native) for every behaviour beside two controls: random
source directions mapped by the same W (mean |cos|), and the other behaviours' mapped vectors
(mean cos: high when W sends every direction toward one dominant target direction).
Held-out R² of each map is printed too, so fit quality and transfer fidelity sit side by side.
Nothing here runs a model: seconds on a laptop.

    .venv/bin/python benchmarks/transfer_fidelity.py runs/demo runs/caa [--json out.json]

Why: a unit push along a direction with cosine c to the native vector carries c of the native
push along it, so this cosine bounds how much of the native effect the transferred vector can
reproduce; PILOT.md asks whether ridge shrinkage of small directions is what lowers it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch

from steerbridge.bridge.collection import PairStats
from steerbridge.bridge.fits import DEFAULT_LAMBDAS, fit_lowrank, fit_procrustes, fit_ridge
from steerbridge.vectors.vector import SteeringVector


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def cos(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.nn.functional.cosine_similarity(a.double(), b.double(), dim=0))


def vector_pairs(run: Path) -> dict[str, tuple[SteeringVector, SteeringVector]]:
    """``{behaviour: (source vector, native vector)}`` found in a run's ``vectors/``."""
    out: dict[str, tuple[SteeringVector, SteeringVector]] = {}
    for src in sorted((run / "vectors").glob("*-source.safetensors")):
        nat = src.with_name(src.name.replace("-source.", "-native."))
        if nat.exists():
            name = src.name.rsplit("-", 2)[0]
            out[name] = (SteeringVector.load(src), SteeringVector.load(nat))
    return out


def maps(stats: PairStats) -> dict[str, tuple[torch.Tensor, torch.Tensor, str]]:
    """Every map to compare: ridge at each λ (marking the one validation picks), OLS, Procrustes,
    low rank."""
    out: dict[str, tuple[torch.Tensor, torch.Tensor, str]] = {}
    _, _, info = fit_ridge(stats.train, stats.val)
    for lam in DEFAULT_LAMBDAS:
        w, b, _ = fit_ridge(stats.train, lam=lam)
        tag = " (val pick)" if lam == info["lambda_rel"] else ""
        out[f"ridge λ={lam:g}"] = (w, b, tag)
    w, b, _ = fit_procrustes(stats.train)
    out["procrustes"] = (w, b, "")
    for rank in (64, 256):
        w, b, _ = fit_lowrank(stats.train, rank, stats.val)
        out[f"lowrank {rank}"] = (w, b, "")
    return out


def held_out_r2(stats: PairStats, w: torch.Tensor, b: torch.Tensor) -> float:
    x, y = stats.test_x.double(), stats.test_y.double()
    pred = x @ w.T.double() + b.double()
    return 1.0 - float(((pred - y) ** 2).sum() / ((y - y.mean(0)) ** 2).sum())


def analyse(run: Path, n_random: int = 8) -> dict[str, Any]:
    files = sorted((run / "moments").glob("moments-*.safetensors"))
    if not files:
        raise SystemExit(f"{run}: no moments/ cache (was the bridge fitted in this run?)")
    stats = PairStats.load(files[-1])
    pairs = vector_pairs(run)
    ls, lt = stats.pair[0], stats.pair[1]
    gen = torch.Generator().manual_seed(0)
    d_s = stats.train.dx
    randoms = [torch.randn(d_s, generator=gen, dtype=torch.float64) for _ in range(n_random)]
    rows = []
    for name, (w, b, tag) in maps(stats).items():
        row: dict[str, Any] = {"map": name + tag, "r2": held_out_r2(stats, w, b), "cos": {},
                               "norm_ratio": {}, "random_abs_cos": {}, "other_cos": {}}
        mapped = {beh: w.double() @ torch.cat([vs.direction(layer).double() for layer in ls])
                  for beh, (vs, _) in pairs.items()}
        mapped_random = [w.double() @ r for r in randoms]
        for beh, (vs, vn) in pairs.items():
            native = vn.direction(lt).double()
            v = torch.cat([vs.direction(layer).double() for layer in ls])
            row["cos"][beh] = cos(mapped[beh], native)
            row["norm_ratio"][beh] = float(mapped[beh].norm() / v.norm())
            row["random_abs_cos"][beh] = sum(abs(cos(m, native)) for m in mapped_random) / len(
                mapped_random)
            others = [cos(m, native) for o, m in mapped.items() if o != beh]
            row["other_cos"][beh] = sum(others) / len(others) if others else float("nan")
        rows.append(row)
    return {"run": str(run), "pair": [list(ls), lt], "n_train": stats.train.count,
            "behaviours": list(pairs), "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results = [analyse(r) for r in args.runs]
    for res in results:
        behs = res["behaviours"]
        print(f"\n{res['run']}: layers {res['pair'][0]} -> {res['pair'][1]}, "
              f"{res['n_train']:,} train tokens")
        print(f"{'map':28s} {'R²':>6s} " + " ".join(f"{b[:12]:>12s}" for b in behs)
              + f" {'mean':>6s} {'|random|':>8s} {'other beh':>9s}")
        for row in res["rows"]:
            cs = [row["cos"][b] for b in behs]
            rnd = [row["random_abs_cos"][b] for b in behs]
            oth = [row["other_cos"][b] for b in behs]
            print(f"{row['map']:28s} {row['r2']:6.3f} " + " ".join(f"{c:12.3f}" for c in cs)
                  + f" {mean(cs):6.3f} {mean(rnd):8.3f} {mean(oth):9.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
