"""Memory: peak RSS of fitting a 896 → 1536 bridge by streaming Moments vs materialising arrays.

Each measurement runs in a fresh subprocess (peak RSS = ``ru_maxrss``). Synthetic tokens: source
rows from a fixed random mixing of Gaussian noise, target = planted affine map + noise, in
chunks of 8,192 rows (a pool of 4 chunks, cycled). ``stream`` adds each chunk to float64
Moments and solves ridge at the end; ``materialise`` keeps float64 X and Y (what
scikit-learn's Ridge needs after input validation) and forms the same normal equations.

    .venv/bin/python benchmarks/bench_memory.py [--stream 125000 1000000]
        [--materialise 31250 62500 125000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

DS, DT, CHUNK = 896, 1536, 8192


def _chunks(n: int):  # noqa: ANN202 - generator of (x, y) float32 chunks
    """`n` rows in chunks of 8,192, cycling a pool of 4 pre-made chunks (making fresh random
    rows would cost as much compute as the moments themselves; memory is what is measured)."""
    import torch

    g = torch.Generator().manual_seed(0)
    mix = torch.randn(DS, DS, generator=g) / DS**0.5
    w = torch.randn(DT, DS, generator=g) / DS**0.5
    b = torch.randn(DT, generator=g)
    pool = []
    for _ in range(4):
        x = torch.randn(CHUNK, DS, generator=g) @ mix + 3.0
        pool.append((x, x @ w.T + b + 0.5 * torch.randn(CHUNK, DT, generator=g)))
    done = i = 0
    while done < n:
        k = min(CHUNK, n - done)
        x, y = pool[i % len(pool)]
        yield x[:k], y[:k]
        done += k
        i += 1


def run(mode: str, n: int) -> dict[str, float]:
    import torch

    torch.set_num_threads(2)
    from steerbridge.bridge.fits import fit_ridge
    from steerbridge.bridge.moments import Moments

    t0 = time.perf_counter()
    if mode == "stream":
        m = Moments.zeros(DS, DT)
        for x, y in _chunks(n):
            m.update(x, y)
    else:
        xs = torch.empty(n, DS, dtype=torch.float64)
        ys = torch.empty(n, DT, dtype=torch.float64)
        i = 0
        for x, y in _chunks(n):
            xs[i:i + x.shape[0]], ys[i:i + x.shape[0]] = x, y
            i += x.shape[0]
        m = Moments.from_data(xs, ys)
    w, b, _ = fit_ridge(m, lam=1e-2)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    return {"mode": mode, "tokens": n, "peak_rss_mib": peak, "seconds": secs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stream", type=int, nargs="*", default=[62_500, 250_000, 1_000_000])
    ap.add_argument("--materialise", type=int, nargs="*", default=[31_250, 62_500, 125_000])
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run(args.child[0], int(args.child[1]))))
        return
    results = []
    for mode, sizes in (("stream", args.stream), ("materialise", args.materialise)):
        for n in sizes:
            out = subprocess.run([sys.executable, __file__, "--child", mode, str(n)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(r)
            print(f"{mode:12s} {n:>9,} tokens: peak RSS {r['peak_rss_mib']:,.0f} MiB "
                  f"({r['seconds']:.1f} s)")
    gib = 1024**3
    print(f"materialised float64 X+Y at 1M tokens would need "
          f"{1_000_000 * (DS + DT) * 8 / gib:.1f} GiB for the arrays alone")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
