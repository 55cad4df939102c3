"""Does a bridge carry steering directions better when it also sees answer-position states?

The corpus bridge fits ordinary tokens well (R² ≈ 0.67) but carries only 0.4-0.7 of a steering
direction (cos(W·v, native)). One candidate cause (PILOT.md): the states a steering vector is
read from -- the answer letter after an A/B question -- are not what the corpus shows the map.
This experiment adds answer-position states of *other* behaviours to the bridge's fit and asks,
leave-one-behaviour-out, whether the held-out behaviour's vector transfers better.

For every behaviour (the three built-in ones plus the seven CAA sets in ../shared/data/caa) the
matching / non-matching answer states are read once on both models and cached. Then, for each
held-out behaviour h and each fit variant, cos(W·v_h, v_h native) is computed, where W never saw
h. Variants (all ridge, λ picked on the corpus validation split unless noted):

- ``corpus``: the corpus moments alone (the ordinary bridge);
- ``corpus+answers×w``: corpus moments plus the other behaviours' answer states, weighted w;
- ``corpus+diffs×w``: corpus moments plus the other behaviours' paired differences
  (matching − non-matching, and its negative so they add no offset), weighted w;
- ``diffs``: the paired differences alone (λ fixed at 1e-2).

Controls, per held-out behaviour: ``others-mean`` = cos(mean of the other behaviours' native
vectors, v_h native) -- a bridge that merely learned "the usual answer direction" scores this --
and ``random`` = cos(W·r, v_h native) for random unit r (mean |cos| over 16 draws).

    .venv/bin/python benchmarks/bridge_on_answers.py --moments runs/caa/moments/*.safetensors \
        --out benchmarks/results/bridge-on-answers-12-14.json

Corpus R² on the validation split is printed for every variant, so a variant that buys
direction transfer by ruining the map shows it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from steerbridge.bridge import anchors
from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.collection import PairStats
from steerbridge.bridge.fidelity import fidelity
from steerbridge.bridge.fits import fit_ridge
from steerbridge.bridge.moments import Moments
from steerbridge.models.loading import load
from steerbridge.vectors import datasets
from steerbridge.vectors.aggregators import mean_diff
from steerbridge.vectors.readout import answer_states

SHARED_CAA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "caa" / "generate"


def behaviour_items(n: int) -> dict[str, list[datasets.ABItem]]:
    """First `n` generate items of every built-in behaviour and every CAA set found."""
    out = {name: datasets.builtin(name)[0][:n] for name in datasets.builtin_names()}
    for d in sorted(SHARED_CAA.glob("*/")):
        files = sorted(d.glob("*.json"))
        if files:
            out[d.name] = datasets.load_caa(files[0]).items[:n]
    return out


def cached_states(model_name: str, layers: list[int], items: dict[str, list[datasets.ABItem]],
                  cache: Path, dtype: str, read: str = "answer_letter",
                  ) -> dict[str, dict[str, torch.Tensor]]:
    """{behaviour: {"pos.L", "neg.L": [N, d]}} on `model_name`, read once and kept on disk."""
    cache.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict[str, torch.Tensor]] = {}
    lm = None
    for name, its in items.items():
        tag = "" if read == "answer_letter" else f"-{read}"
        path = cache / (f"{model_name}-{name}-{len(its)}-{'_'.join(map(str, layers))}{tag}"
                        ".safetensors")
        if not path.exists():
            lm = lm or load(model_name, dtype=dtype)
            if read == "answer_text":
                its = datasets.with_choice_text(its)
            ps = datasets.build_prompts(lm.tokenizer, its)
            pos, neg = answer_states(lm, ps.prompts, layers, progress=True)
            t = {f"pos.{k}": v.float() for k, v in pos.items()}
            t.update({f"neg.{k}": v.float() for k, v in neg.items()})
            save_file({k: v.contiguous() for k, v in t.items()}, str(path))
        out[name] = load_file(str(path))
    return out


def save_variant(corpus_bridge: str, variant: str, held_out: str,
                 variants: dict[str, tuple[Moments, float | None]], stats: PairStats,
                 out: str) -> None:
    """Write one variant as a bridge file that `transfer_generation.py` can use."""
    if variant not in variants:
        raise SystemExit(f"unknown variant {variant!r}: one of {', '.join(variants)}")
    m, lam = variants[variant]
    base = Bridge.load(corpus_bridge)
    fitted = Bridge.fit(m, None if lam is not None else stats.val, lam=lam,
                        source_layers=base.source_layers, target_layer=base.target_layer)
    bridge = dataclasses.replace(
        base, W=fitted.W, b=fitted.b, metrics=fitted.metrics,
        provenance={**base.provenance, "anchored": f"{variant}, {held_out} held out"})
    path = Path(out).with_suffix(f".{variant.replace('×', 'x').replace('%', 'pct')}"
                                 f"-without-{held_out}.safetensors")
    bridge.save(path)
    print(f"saved {path}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moments", required=True, help="PairStats file of the corpus bridge")
    ap.add_argument("--source", default="qwen2.5-coder-0.5b")
    ap.add_argument("--target", default="qwen2.5-coder-1.5b")
    ap.add_argument("--items", type=int, default=150, help="items per behaviour")
    ap.add_argument("--weights", type=float, nargs="+", default=[5, 25, 100])
    ap.add_argument("--cache", default="runs/answer-states")
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--read", default="answer_letter", choices=["answer_letter", "answer_text"])
    ap.add_argument("--out", default="runs/bridge-on-answers.json")
    ap.add_argument("--save", nargs=3, metavar=("CORPUS_BRIDGE", "VARIANT", "HELD_OUT"),
                    help="also write the VARIANT bridge fitted without HELD_OUT, copying models "
                         "and scale from CORPUS_BRIDGE, to <out>.<VARIANT>-without-<HELD_OUT>")
    args = ap.parse_args()

    stats = PairStats.load(Path(args.moments))
    (src_layers, lt) = stats.pair
    if len(src_layers) != 1:
        raise SystemExit("one source layer only in this experiment")
    ls = src_layers[0]
    items = behaviour_items(args.items)
    s = cached_states(args.source, [ls], items, Path(args.cache), args.dtype, args.read)
    t = cached_states(args.target, [lt], items, Path(args.cache), args.dtype, args.read)
    names = list(items)
    xs = {n: (s[n][f"pos.{ls}"], s[n][f"neg.{ls}"]) for n in names}
    ys = {n: (t[n][f"pos.{lt}"], t[n][f"neg.{lt}"]) for n in names}
    v_src = {n: mean_diff(*xs[n]) for n in names}
    v_nat = {n: mean_diff(*ys[n]) for n in names}
    n_corpus = stats.train.count

    rows: list[dict[str, Any]] = []
    for h in names:
        others = [n for n in names if n != h]
        ans = Moments.zeros(stats.train.dx, stats.train.dy)
        dif = Moments.zeros(stats.train.dx, stats.train.dy)
        for n in others:
            for x, y in zip(xs[n], ys[n], strict=True):
                ans.update(x, y)
            dif = dif + anchors.symmetric_moments(xs[n][0] - xs[n][1], ys[n][0] - ys[n][1])
        variants: dict[str, tuple[Moments, float | None]] = {"corpus": (stats.train, None)}
        for w in args.weights:
            # w is a percentage: the anchors weigh w % of the corpus tokens in total
            variants[f"corpus+answers×{w:g}%"] = (
                stats.train + anchors.weighted(ans, n_corpus, w / 100), None)
            variants[f"corpus+diffs×{w:g}%"] = (
                stats.train + anchors.weighted(dif, n_corpus, w / 100), None)
        variants["diffs"] = (dif, 1e-2)
        row: dict[str, Any] = {"held_out": h, "others_mean": None}
        for vname, (m, lam) in variants.items():
            w_map, b, _ = fit_ridge(m, None if lam is not None else stats.val, lam=lam)
            f = fidelity(w_map, v_src[h], v_nat[h], n_random=16, seed=0,
                         other_natives=[v_nat[n] for n in others])
            row["others_mean"] = f.others_native  # the same for every variant: W plays no part
            row[vname] = {"cos": f.cos, "random": f.random_mapped,
                          "corpus_val_r2": stats.val.r2(w_map, b)}
        rows.append(row)
        if args.save and args.save[2] == h:
            save_variant(args.save[0], args.save[1], h, variants, stats, args.out)
        print(f"{h:24s} others-mean {row['others_mean']:+.2f}  " + "  ".join(
            f"{k} {v['cos']:+.2f}" for k, v in row.items() if isinstance(v, dict)), flush=True)

    summary = {k: statistics.mean(r[k]["cos"] for r in rows) for k in rows[0]
               if isinstance(rows[0][k], dict)}
    r2 = {k: statistics.mean(r[k]["corpus_val_r2"] for r in rows) for k in summary}
    print("mean cos over held-out behaviours:")
    for k in summary:
        print(f"  {k:26s} cos {summary[k]:+.3f}   corpus val R² {r2[k]:.3f}")
    print(f"  others-mean control      cos {statistics.mean(r['others_mean'] for r in rows):+.3f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"pair": [ls, lt], "items": args.items,
                                          "corpus_tokens": n_corpus, "rows": rows,
                                          "mean_cos": summary, "mean_corpus_val_r2": r2},
                                         indent=1), encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
