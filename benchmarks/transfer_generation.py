"""Does a transferred steering vector move the large model's free text? (issue 4's check)

Extract a mean-difference vector for a built-in behaviour on the source model, carry it into
the target through a saved bridge (``steerbridge fit-bridge`` / ``pairs``), and compare greedy
continuations of unseen open-ended prompts on the target: unsteered, the transferred vector
(W·v), random directions of the same norm (several seeds) and, with ``--native-items``, the
target's own vector. Tone is scored with VADER (compound, -1..1); a prompt counts as "moved"
when the score shifts by more than ``--threshold`` in the sign of alpha.

    .venv/bin/python benchmarks/transfer_generation.py --bridge runs/bridge-12-14.safetensors \
        --alphas -0.3 0.3 --out runs/transfer-gen

Writes ``results.json`` (every text and score) and ``generations.md`` (side by side) to --out.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from steerbridge.bridge.affine import Bridge
from steerbridge.models.loading import load
from steerbridge.vectors import datasets, steering
from steerbridge.vectors import vector as vectors


def vader_scores(texts: list[str]) -> list[float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    return [float(sia.polarity_scores(t)["compound"]) for t in texts]


def moved(scores: list[float], base: list[float], alpha: float, threshold: float) -> int:
    """Prompts whose score moved by more than `threshold` in the direction of alpha's sign."""
    sign = 1.0 if alpha > 0 else -1.0
    return sum(1 for s, b in zip(scores, base, strict=True) if sign * (s - b) > threshold)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bridge", help="bridge .safetensors (source -> target)")
    add_common_args(ap)
    ap.add_argument("--native-items", type=int, default=160, help="0 = no native vector")
    ap.add_argument("--out", default="runs/transfer-gen")
    ap.add_argument("--summarize", default=None, metavar="RESULTS_JSON",
                    help="only re-print the verdicts of a saved results.json (no models)")
    ap.add_argument("--blocks", type=int, default=0,
                    help="with --summarize: also judge each block of this many prompts")
    args = ap.parse_args()
    if args.summarize:
        rec = json.loads(Path(args.summarize).read_text(encoding="utf-8"))
        print(f"{args.summarize}: pair {rec['pair']}, cos(W·v, native) "
              f"{rec.get('cos_transferred_native', float('nan')):.3f}")
        print_verdicts(verdicts(rec["runs"], args.need, rec["unsteered_vader"]))
        for lo in range(0, len(rec["prompts"]) if args.blocks > 0 else 0, max(args.blocks, 1)):
            hi = lo + args.blocks
            print(f"prompts {lo + 1}-{hi}:")
            print_verdicts(verdicts(block(rec, lo, hi, args.threshold), args.need,
                                    rec["unsteered_vader"][lo:hi]))
        return

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.bridge:
        raise SystemExit("--bridge is required (unless --summarize)")
    br = Bridge.load(args.bridge)
    lt = br.target_layer
    gen, _ = datasets.builtin(args.behaviour)
    prompts = load_prompts(args.prompt_file, args.behaviour)[: args.prompts]

    src = load(br.source_name, dtype=args.dtype)
    br.check_model("source", src)
    v_src = vectors.extract(src, gen[: args.items], br.source_layers, progress=True,
                            dataset_name=args.behaviour, read=args.read)
    del src
    tgt = load(br.target_name, dtype=args.dtype)
    br.check_model("target", tgt)
    v_tr = br.transfer(v_src)
    conds: dict[str, vectors.SteeringVector] = {"transferred": v_tr}
    if args.native_items:
        v_nat = vectors.extract(tgt, gen[: args.native_items], [lt], progress=True,
                                scales={lt: v_tr.scales[lt]}, dataset_name=args.behaviour,
                                read=args.read)
        conds["native"] = v_nat
    for s in args.seeds:
        conds[f"random:{s}"] = vectors.random_like(v_tr, seed=s)

    base = steering.generate(tgt, prompts, max_new_tokens=args.tokens)
    base_v = vader_scores(base)
    record: dict[str, Any] = {
        "bridge": args.bridge, "pair": [br.source_layers, lt], "behaviour": args.behaviour,
        "threshold": args.threshold, "tokens": args.tokens, "prompts": prompts,
        "relative_norms": {c: v.relative_norm(lt) for c, v in conds.items()},
        "source_relative_norm": v_src.relative_norm(br.source_layers[0]),
        "unsteered": base, "unsteered_vader": base_v, "runs": [],
    }
    if "native" in conds:
        from steerbridge.evaluation.metrics import cosine

        record["cos_transferred_native"] = cosine(v_tr.direction(lt), conds["native"].direction(lt))
    print(f"pair {br.source_layers}->{lt}; unsteered mean VADER {statistics.mean(base_v):+.2f}",
          flush=True)
    sweep(tgt, prompts, conds, args, record, out)
    record["verdicts"] = verdicts(record["runs"], args.need, base_v)
    print_verdicts(record["verdicts"])
    (out / "results.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    write_markdown(record, out / "generations.md")
    print(f"results in {out}/results.json and {out}/generations.md")


def add_common_args(ap: argparse.ArgumentParser) -> None:
    """Options every free-text steering benchmark shares (behaviour, prompts, scoring)."""
    ap.add_argument("--behaviour", default="positive-tone")
    ap.add_argument("--items", type=int, default=160, help="generate items for the vectors")
    ap.add_argument("--prompts", type=int, default=5, help="open-ended prompts (unseen)")
    ap.add_argument("--prompt-file", default=None,
                    help="JSON list (or {'prompts': [...]}) to use instead of the behaviour's "
                         "built-in open prompts")
    ap.add_argument("--alphas", type=float, nargs="+", default=[-0.4, -0.2, 0.2, 0.4])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--tokens", type=int, default=48)
    ap.add_argument("--threshold", type=float, default=0.1)
    ap.add_argument("--need", type=int, default=4,
                    help="prompts that must move for a pass (issue 4: 4 of 5)")
    ap.add_argument("--read", default="answer_letter", choices=["answer_letter", "answer_text"],
                    help="where vectors are read: the answer letter (CAA) or its text's end")
    ap.add_argument("--dtype", default="auto")


def sweep(lm: Any, prompts: list[str], conds: dict[str, vectors.SteeringVector],
          args: argparse.Namespace, record: dict[str, Any], out: Path,
          rename: dict[str, str] | None = None) -> None:
    """Generate under every vector at every alpha; score, count moved, save after each."""
    for alpha in args.alphas:
        for name, vec in conds.items():
            texts = steering.generate(lm, prompts, vec, alpha, max_new_tokens=args.tokens)
            sc = vader_scores(texts)
            k = moved(sc, record["unsteered_vader"], alpha, args.threshold)
            record["runs"].append({"alpha": alpha, "vector": (rename or {}).get(name, name),
                                   "texts": texts, "vader": sc, "moved": k})
            print(f"  alpha {alpha:+.2f} {name:12s} moved {k}/{len(prompts)}  mean VADER "
                  f"{statistics.mean(sc):+.2f}", flush=True)
            (out / "results.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


def load_prompts(prompt_file: str | None, behaviour: str) -> list[str]:
    """The behaviour's built-in open prompts, or a JSON list / {"prompts": [...]} file."""
    if prompt_file is None:
        return datasets.builtin_open_prompts(behaviour)
    data = json.loads(Path(prompt_file).read_text(encoding="utf-8"))
    prompts = data["prompts"] if isinstance(data, dict) else data
    if not prompts or not all(isinstance(p, str) for p in prompts):
        raise SystemExit(f"{prompt_file}: expected a non-empty list of prompt strings")
    return list(prompts)


def verdicts(runs: list[dict[str, Any]], need: int,
             base: list[float] | None = None) -> list[dict[str, Any]]:
    """Per alpha: prompts moved by W·v, the native vector and the worst-case random direction.

    A pass needs W·v to move at least `need` prompts while *every* random direction moves
    fewer, so a lucky seed cannot hide behind an average. With the unsteered scores `base`,
    each vector's mean VADER shift in the sign of alpha is reported too (a graded view of the
    same texts).
    """
    out = []
    for alpha in dict.fromkeys(r["alpha"] for r in runs):
        at = {r["vector"]: r for r in runs if r["alpha"] == alpha}
        rand = [r["moved"] for name, r in at.items() if name.startswith("random")]
        tr = at["transferred"]["moved"] if "transferred" in at else 0
        row: dict[str, Any] = {
            "alpha": alpha, "transferred": tr,
            "native": at["native"]["moved"] if "native" in at else None,
            "random": rand, "random_max": max(rand, default=0),
            "pass": tr >= need and max(rand, default=0) < need}
        if base is not None:
            sign = 1.0 if alpha > 0 else -1.0
            row["shift"] = {name: sign * statistics.mean(s - b for s, b in
                                                         zip(r["vader"], base, strict=True))
                            for name, r in at.items()}
        out.append(row)
    return out


def block(rec: dict[str, Any], lo: int, hi: int, threshold: float) -> list[dict[str, Any]]:
    """The saved runs restricted to prompts lo..hi-1, with "moved" recounted there."""
    base = rec["unsteered_vader"][lo:hi]
    return [{**r, "vader": r["vader"][lo:hi],
             "moved": moved(r["vader"][lo:hi], base, r["alpha"], threshold)} for r in rec["runs"]]


def print_verdicts(rows: list[dict[str, Any]]) -> None:
    for v in rows:
        shift = v.get("shift", {})
        rnd = [x for k, x in shift.items() if k.startswith("random")]
        extra = (f"; mean shift W·v {shift.get('transferred', float('nan')):+.2f}, native "
                 f"{shift.get('native', float('nan')):+.2f}, random max {max(rnd):+.2f}"
                 if rnd else "")
        print(f"  alpha {v['alpha']:+.2f}: transferred {v['transferred']}, native "
              f"{v['native']}, random max {v['random_max']} -> "
              f"{'PASS' if v['pass'] else 'no'}{extra}", flush=True)


def write_markdown(record: dict[str, Any], path: Path) -> None:
    lines = [f"# Steered generations ({record['behaviour']}, pair {record['pair']})", "",
             f"Moved = VADER shift > {record['threshold']} in the sign of alpha.", ""]
    for r in record["runs"]:
        lines.append(f"- alpha {r['alpha']:+} {r['vector']}: moved {r['moved']}/"
                     f"{len(record['prompts'])}")
    lines.append("")
    for v in record.get("verdicts", []):
        lines.append(f"- **alpha {v['alpha']:+}**: transferred {v['transferred']}, native "
                     f"{v['native']}, random {v['random']} -> "
                     f"{'PASS' if v['pass'] else 'no pass'}")
    lines.append("")
    for i, prompt in enumerate(record["prompts"]):
        lines += [f"## {prompt}", "", f"- **unsteered** ({record['unsteered_vader'][i]:+.2f}): "
                  f"{record['unsteered'][i]!r}"]
        for r in record["runs"]:
            lines.append(f"- **{r['vector']} alpha {r['alpha']:+}** ({r['vader'][i]:+.2f}): "
                         f"{r['texts'][i]!r}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
