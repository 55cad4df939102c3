"""Unsteered answer mass per answer format (`steerbridge.evaluation.dose.FORMATS`), both models.

The A/B score reads the probability of the two answer tokens; when a model puts little mass on
them (it starts its reply some other way), steering moves noise. This measures, for each
built-in behaviour and format, the mean and minimum answer mass on the first test items.

    PYTHONPATH=src .venv/bin/python benchmarks/answer_format_mass.py --items 16 \
        --out benchmarks/results/dose/format-mass.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from steerbridge.evaluation.ab import prepare, sweep
from steerbridge.evaluation.dose import FORMATS
from steerbridge.models.loading import load
from steerbridge.safeio import write_json
from steerbridge.vectors import datasets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"])
    ap.add_argument("--behaviours", nargs="+", default=datasets.builtin_names())
    ap.add_argument("--formats", nargs="+", default=list(FORMATS))
    ap.add_argument("--items", type=int, default=16)
    ap.add_argument("--out", type=Path, default=Path("runs/format-mass.json"))
    args = ap.parse_args()
    out: dict[str, dict[str, float]] = {}
    for model in args.models:
        lm = load(model, dtype="auto")
        for beh in args.behaviours:
            _, test = datasets.builtin(beh)
            for name in args.formats:
                f, t0 = FORMATS[name], time.time()
                res = sweep(lm, prepare(lm, f.apply(test[: args.items]), f.system), {}, [])
                r = res["none"]
                out[f"{model}|{beh}|{name}"] = {"mass": float(np.mean(r["mass"])),
                                                "mass_min": float(np.min(r["mass"])),
                                                "p": float(np.mean(r["p"]))}
                print(model, beh, name, out[f"{model}|{beh}|{name}"],
                      f"{time.time() - t0:.0f}s", flush=True)
                write_json(args.out, out, force=True)


if __name__ == "__main__":
    main()
