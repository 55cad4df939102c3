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
from steerbridge.bridge.fidelity import fidelity, source_direction
from steerbridge.bridge.fits import DEFAULT_LAMBDAS, fit_lowrank, fit_procrustes, fit_ridge
from steerbridge.bridge.scoring import score
from steerbridge.run.rundir import find_moments, find_vectors
from steerbridge.vectors.vector import SteeringVector


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


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


def analyse(run: Path, n_random: int = 8) -> dict[str, Any]:
    files = find_moments(run)
    if not files:
        raise SystemExit(f"{run}: no moments/ cache (was the bridge fitted in this run?)")
    stats = PairStats.load(files[-1])
    pairs = {beh: (SteeringVector.load(s), SteeringVector.load(n))
             for beh, (s, n) in find_vectors(run).items()}
    ls, lt = stats.pair[0], stats.pair[1]
    sources = {beh: source_direction(vs, ls) for beh, (vs, _) in pairs.items()}
    rows = []
    for name, (w, b, tag) in maps(stats).items():
        r2 = score(w, b, stats.test_x, stats.test_y, stats.train.means()[1])["r2"]
        row: dict[str, Any] = {"map": name + tag, "r2": r2, "cos": {}, "norm_ratio": {},
                               "random_abs_cos": {}, "other_cos": {}}
        for beh, (_, vn) in pairs.items():
            f = fidelity(w, sources[beh], vn.direction(lt), n_random=n_random, seed=0,
                         other_sources=[v for o, v in sources.items() if o != beh])
            row["cos"][beh], row["norm_ratio"][beh] = f.cos, f.norm_ratio
            row["random_abs_cos"][beh], row["other_cos"][beh] = f.random_mapped, f.others_mapped
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
