"""How far does a bridge carry? Out-of-distribution R² on prose, scripture and fortunes.

Scores one or more bridges on the first ``--tokens`` tokens of each text in ``--texts``
(default: ``../shared/corpus``'s ``jane_austen.txt``, ``web_bible.txt`` and ``fortunes.txt``,
read in place, never copied) and prints them beside each bridge's in-distribution held-out
figure (`steerbridge.bridge.ood`). Bridges are given as files (``--bridge``, repeatable) or
fitted here, one per ``--fit-corpus`` (e.g. ``builtin-docs`` against ``builtin``: does the
broadened built-in corpus carry further?), with cached moments so a rerun costs the scoring only.

    .venv/bin/python benchmarks/ood_fidelity.py --bridge runs/demo/bridge-12-14.safetensors
    .venv/bin/python benchmarks/ood_fidelity.py --fit-corpus builtin-docs --fit-corpus builtin \\
        --fit-tokens 100000 --tokens 8000 --device cuda

Issue 11 (item 4) reported R² 0.40 / cosine 0.77 on Austen against 0.67 / 0.88 held out for
a 12 → 14 bridge fitted on the documentation corpus alone. Writes one JSON file (atomically).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.fitting import fit_bridge
from steerbridge.bridge.ood import ood_report, score_texts, text_corpus
from steerbridge.models.loading import load
from steerbridge.safeio import write_json

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
TEXTS = ("jane_austen.txt", "web_bible.txt", "fortunes.txt")


def bridges(args: argparse.Namespace, src: Any, tgt: Any) -> dict[str, Bridge]:
    """{label: bridge}: the files given, then one fitted per --fit-corpus."""
    out = {str(p): Bridge.load(p, source=src, target=tgt) for p in args.bridge or []}
    for spec in args.fit_corpus or []:
        t0 = time.perf_counter()
        out[f"fit on {spec}"] = fit_bridge(src, tgt, spec, args.source_layer, args.target_layer,
                                           max_tokens=args.fit_tokens, window=args.window,
                                           cache_dir=args.cache, progress=True,
                                           batch_tokens=args.batch_tokens)
        print(f"fitted on {spec} in {time.perf_counter() - t0:.0f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bridge", type=Path, action="append", help="A bridge file (repeatable).")
    ap.add_argument("--fit-corpus", action="append",
                    help="Fit a bridge on this corpus spec first (repeatable).")
    ap.add_argument("--texts", type=Path, nargs="+",
                    default=[SHARED / name for name in TEXTS])
    ap.add_argument("--tokens", type=int, default=4000, help="Tokens scored per text.")
    ap.add_argument("--window", type=int, default=128)
    ap.add_argument("--source", default="qwen2.5-coder-0.5b")
    ap.add_argument("--target", default="qwen2.5-coder-1.5b")
    ap.add_argument("--source-layer", type=int, default=12)
    ap.add_argument("--target-layer", type=int, default=14)
    ap.add_argument("--fit-tokens", type=int, default=50_000)
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--device", default=None)
    ap.add_argument("--batch-tokens", type=int, default=None)
    ap.add_argument("--cache", type=Path, default=Path("~/.cache/steerbridge/moments"))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/ood-fidelity.json")
    args = ap.parse_args()
    if not args.bridge and not args.fit_corpus:
        ap.error("give --bridge FILE and/or --fit-corpus SPEC")
    for p in args.texts:  # refuse a missing or binary text before the models load
        text_corpus(p)
    src = load(args.source, dtype=args.dtype, device=args.device)
    tgt = load(args.target, dtype=args.dtype, device=args.device)
    reports: dict[str, Any] = {}
    for label, bridge in bridges(args, src, tgt).items():
        t0 = time.perf_counter()
        scores = score_texts(bridge, src, tgt, args.texts, window=args.window,
                             max_tokens=args.tokens, batch_tokens=args.batch_tokens)
        reports[label] = ood_report(bridge, scores)
        reports[label]["score_seconds"] = time.perf_counter() - t0
    print(f"{'bridge':<34} {'text':<44} {'R²':>7} {'cos':>7} {'tokens':>8}")
    for label, rep in reports.items():
        for row in rep["rows"]:
            r2, cos = row["r2"], row["cosine"]
            print(f"{label[-34:]:<34} {row['text'][-44:]:<44} "
                  f"{r2 if r2 is not None else float('nan'):7.3f} "
                  f"{cos if cos is not None else float('nan'):7.3f} {row['n'] or 0:8d}")
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    settings["texts"] = [str(p) for p in args.texts]
    settings["bridge"] = [str(p) for p in args.bridge or []]
    path = write_json(args.out, {"settings": settings, "bridges": reports})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
