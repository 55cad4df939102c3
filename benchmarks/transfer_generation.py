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
from steerbridge.bridge.fidelity import cosine
from steerbridge.evaluation import freetext
from steerbridge.evaluation.freetext import ScoredRun, Verdict
from steerbridge.models.loading import load
from steerbridge.run import rundir
from steerbridge.vectors import datasets, steering
from steerbridge.vectors import vector as vectors
from steerbridge.vectors.extract import extract


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bridge", help="bridge .safetensors (source -> target)")
    ap.add_argument("--run", default=None, metavar="RUN_DIR",
                    help="instead of --bridge: the transferred vector, its random-source "
                         "controls and the native vector a finished `steerbridge run` kept")
    freetext.add_arguments(ap)
    ap.add_argument("--native-items", type=int, default=160, help="0 = no native vector")
    ap.add_argument("--out", default="runs/transfer-gen")
    ap.add_argument("--summarize", default=None, metavar="RESULTS_JSON",
                    help="only re-print the verdicts of a saved results.json (no models)")
    ap.add_argument("--blocks", type=int, default=0,
                    help="with --summarize: also judge each block of this many prompts")
    args = ap.parse_args()
    if args.summarize:
        summarize(args.summarize, args.need, args.threshold, args.blocks)
        return

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not (args.run or args.bridge):
        raise SystemExit("--bridge or --run is required (unless --summarize)")
    tgt, conds, record = from_run(Path(args.run), args) if args.run else from_bridge(args)
    prompts, lt, v_tr = record["prompts"], record["pair"][1], conds["transferred"]
    for s in args.seeds:
        conds[f"random:{s}"] = vectors.random_like(v_tr, seed=s)
    base = steering.generate(tgt, prompts, max_new_tokens=args.tokens)
    base_v = freetext.vader_scores(base)
    record.update({"threshold": args.threshold, "tokens": args.tokens,
                   "relative_norms": {c: v.relative_norm(lt) for c, v in conds.items()},
                   "unsteered": base, "unsteered_vader": base_v, "runs": []})
    if "native" in conds:
        record["cos_transferred_native"] = cosine(v_tr.direction(lt), conds["native"].direction(lt))
    print(f"pair {record['pair']}; unsteered mean VADER {statistics.mean(base_v):+.2f}",
          flush=True)
    sweep(tgt, prompts, conds, args, record, out)
    found = freetext.verdicts(runs_of(record), args.need, base_v)
    record["verdicts"] = [v.to_dict() for v in found]
    print_verdicts(found)
    (out / "results.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    write_markdown(record, out / "generations.md")
    print(f"results in {out}/results.json and {out}/generations.md")


def from_run(run: Path, args: argparse.Namespace) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The target, the vectors a finished run kept for `args.behaviour` (transferred, its
    random-source controls as ``srcrand:<seed>``, native) and the record's head."""
    res = rundir.read_json(rundir.RunDir(run).results)
    beh = res["behaviours"].get(args.behaviour)
    files = (beh or {}).get("vectors", {}).get("files")
    if not files:
        raise SystemExit(f"{run} kept no transferred vector for {args.behaviour!r}: run it with "
                         "this version of steerbridge first")
    tgt = load(res["config"]["models"]["target"], dtype=args.dtype)
    conds = {"transferred": vectors.SteeringVector.load(run / files["transferred"], tgt)}
    conds.update({f"srcrand:{s}": vectors.SteeringVector.load(run / p, tgt)
                  for s, p in files["random_source"].items()})
    if args.native_items:
        conds["native"] = vectors.SteeringVector.load(
            rundir.find_vectors(run)[args.behaviour][1], tgt)
    prompts = freetext.open_prompts(args.behaviour, args.prompt_file)[: args.prompts]
    lt = res["bridge"]["target_layer"]
    return tgt, conds, {"run": str(run), "pair": [[res["bridge"]["source_layer"]], lt],
                        "behaviour": args.behaviour, "prompts": prompts,
                        "transfer_method": beh["vectors"].get("transfer_method"),
                        "carried": beh["vectors"].get("carried")}


def from_bridge(args: argparse.Namespace) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The target and W·v of a freshly extracted source vector (and the native vector)."""
    br = Bridge.load(args.bridge)
    lt = br.target_layer
    gen, _ = datasets.builtin(args.behaviour)
    prompts = freetext.open_prompts(args.behaviour, args.prompt_file)[: args.prompts]

    src = load(br.source_name, dtype=args.dtype)
    br.check_model("source", src)
    v_src = extract(src, gen[: args.items], br.source_layers, progress=True,
                    dataset_name=args.behaviour, read=args.read)
    del src
    tgt = load(br.target_name, dtype=args.dtype)
    br.check_model("target", tgt)
    v_tr = br.transfer(v_src)
    conds: dict[str, vectors.SteeringVector] = {"transferred": v_tr}
    if args.native_items:
        v_nat = extract(tgt, gen[: args.native_items], [lt], progress=True,
                        scales={lt: v_tr.scales[lt]}, dataset_name=args.behaviour,
                        read=args.read)
        conds["native"] = v_nat
    return tgt, conds, {"bridge": args.bridge, "pair": [br.source_layers, lt],
                        "behaviour": args.behaviour, "prompts": prompts,
                        "source_relative_norm": v_src.relative_norm(br.source_layers[0])}


def summarize(path: str, need: int, threshold: float, blocks: int) -> None:
    """Re-print the verdicts of a saved results.json (and of each block of prompts)."""
    rec = json.loads(Path(path).read_text(encoding="utf-8"))
    print(f"{path}: pair {rec['pair']}, cos(W·v, native) "
          f"{rec.get('cos_transferred_native', float('nan')):.3f}")
    runs, base = runs_of(rec), rec["unsteered_vader"]
    print_verdicts(freetext.verdicts(runs, need, base))
    for lo, hi, found in freetext.block_verdicts(runs, base, blocks, need, threshold):
        print(f"prompts {lo + 1}-{hi}:")
        print_verdicts(found)


def sweep(lm: Any, prompts: list[str], conds: dict[str, vectors.SteeringVector],
          args: argparse.Namespace, record: dict[str, Any], out: Path,
          rename: dict[str, str] | None = None) -> None:
    """Generate under every vector at every alpha; score, count moved, save after each."""
    for run in freetext.scored_runs(lm, prompts, conds, args.alphas, record["unsteered_vader"],
                                    args.threshold, args.tokens):
        record["runs"].append({**run.to_dict(), "vector": (rename or {}).get(run.vector,
                                                                             run.vector)})
        print(f"  alpha {run.alpha:+.2f} {run.vector:12s} moved {run.moved}/{len(prompts)}  "
              f"mean VADER {statistics.mean(run.vader):+.2f}", flush=True)
        (out / "results.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


def runs_of(record: dict[str, Any]) -> list[ScoredRun]:
    return [ScoredRun.from_dict(r) for r in record["runs"]]


def print_verdicts(rows: list[Verdict]) -> None:
    for v in rows:
        print(freetext.format_verdict(v), flush=True)


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
