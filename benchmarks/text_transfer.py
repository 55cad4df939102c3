"""Transfer through one fitted bridge, built-in behaviours scored as text answers (or letters).

The A/B letter score asks a model to pick a letter; the 0.5B picks at chance and its own vector
barely moves the letter (RESULTS.md §7c). Scored as text (`steerbridge.vectors.text_answers`),
the same vector moves the 0.5B strongly. This runs `evaluation.pair_transfer` (native vector for
evaluation only; W·v; random target directions; random source vectors through the same bridge;
the source's own effect) on a bridge file already fitted, so no collection is repeated.

    PYTHONPATH=src .venv/bin/python benchmarks/text_transfer.py \
        --bridge runs/l11-cache/bridge-12-14-30000.safetensors --format text \
        --out benchmarks/results/dose/text-transfer-12-14.json

With ``--anchor-pool`` each behaviour is carried through its own anchored bridge: the given
bridge's corpus moments (re-read from the moments cache) plus the paired answer-state
differences, each with its negative, of the pool's *other* behaviours (generate split, in the
same answer format): label-free, and never the behaviour under test (`bridge.anchors`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from steerbridge.bridge import anchors
from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.collection import collect_pair_moments
from steerbridge.bridge.corpus import DEFAULT_WINDOW, load_corpus, tokenize
from steerbridge.bridge.distill import DistillSettings
from steerbridge.bridge.fitting import describe, with_anchors
from steerbridge.bridge.moments import Moments
from steerbridge.evaluation.dose import answer_format
from steerbridge.evaluation.formatting import fmt_resamples
from steerbridge.evaluation.pair_transfer import Settings, method_carry, pair_transfer
from steerbridge.evaluation.results import nan_to_none
from steerbridge.models.loading import LoadedModel, load
from steerbridge.safeio import write_json
from steerbridge.vectors import datasets
from steerbridge.vectors.datasets import dataset_fingerprint

MOMENTS_CACHE = Path("~/.cache/steerbridge/moments").expanduser()


def generate_items(name: str, caa: Path | None, n: int, fmt: str) -> list[datasets.ABItem]:
    """The first `n` generate-split items of a built-in or CAA behaviour, in answer format
    `fmt` (anchors are read where the vectors are: the end of each answer)."""
    if caa is not None and (caa / "generate" / name).is_dir():
        items = datasets.load(caa / "generate" / name / "generate_dataset.json").items
    else:
        items = datasets.builtin(name)[0]
    return answer_format(fmt).apply(items[:n])


class AnchoredBridges:
    """One bridge per held-out behaviour: `base`'s corpus moments + the other pool
    behaviours' ± paired answer differences, weighted `weight` × the corpus tokens."""

    def __init__(self, base: Bridge, src: LoadedModel, tgt: LoadedModel, pool: list[str],
                 caa: Path | None, n_items: int, fmt: str, weight: float,
                 max_tokens: int, moments_cache: Path) -> None:
        prov = base.provenance
        self.windows = tokenize(load_corpus([prov["corpus"]]), src.tokenizer,
                                window=DEFAULT_WINDOW, max_tokens=max_tokens)
        if self.windows.fingerprint != prov["corpus_windows_fingerprint"]:
            raise SystemExit(f"the corpus windows re-read for {prov['corpus']} differ from the "
                             "bridge's (fingerprint): refit the bridge with fit-bridge first")
        self.pair = (tuple(base.source_layers), base.target_layer)
        self.stats = collect_pair_moments(src, tgt, self.windows, [self.pair],
                                          cache_dir=moments_cache)[self.pair]
        self.per: dict[str, Moments] = {}
        self.records: dict[str, Any] = {}
        for name in pool:
            items = generate_items(name, caa, n_items, fmt)
            key = (f"anchor-{name}-{len(items)}-{fmt}-{dataset_fingerprint(items)}-"
                   f"L{'_'.join(map(str, base.source_layers))}-L{base.target_layer}")
            path = moments_cache / f"{key}.safetensors"
            if path.exists():
                self.per[name] = Moments.load(path)
            else:
                self.per[name] = anchors.anchor_moments(src, tgt, {name: items},
                                                        base.source_layers, base.target_layer)[0]
                self.per[name].save(path)
            self.records[name] = {"items": len(items),
                                  "dataset_fingerprint": dataset_fingerprint(items), "read": fmt}
            print(f"anchor {name}: {len(items)} items", flush=True)
        self.base, self.src, self.tgt, self.weight = base, src, tgt, weight

    def without(self, held_out: str) -> tuple[Bridge, dict[str, Any]]:
        """The bridge that never saw `held_out`, and what went into it."""
        am = anchors.pooled(self.per, without=held_out)
        bridge = Bridge.fit_stats(with_anchors(self.stats, am, self.weight), "ridge")
        describe(bridge, self.src, self.tgt, self.windows, target_scale=self.base.target_scale)
        used = sorted(n for n in self.per if n != held_out)
        bridge.provenance["anchors"] = {"datasets": {n: self.records[n] for n in used},
                                        "weight": self.weight, "pairs": am.count // 2}
        return bridge, {"anchors": used, "weight": self.weight, "pairs": am.count // 2,
                        "val_r2": bridge.metrics.get("val_r2"),
                        "test_r2": bridge.metrics.get("test", {}).get("r2")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bridge", type=Path, required=True)
    ap.add_argument("--format", default="text")
    ap.add_argument("--behaviours", nargs="+",
                    default=["positive-tone", "formal-register", "caution", "factual-correction"])
    ap.add_argument("--alphas", nargs="+", type=float, default=[-0.2, 0.2])
    ap.add_argument("--test-items", type=int, default=32)
    ap.add_argument("--generate-items", type=int, default=40)
    ap.add_argument("--random-seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--method", default="state", choices=["state", "gain", "distilled"],
                    help="the label-free method carrying the source vector (and its controls)")
    ap.add_argument("--method-alpha", type=float, default=0.2,
                    help="the push the gain / distillation matches the source's change at")
    ap.add_argument("--distill-steps", type=int, default=20)
    ap.add_argument("--distill-prompts", type=int, default=8)
    ap.add_argument("--caa", type=Path, default=None,
                    help="a CAA data folder (generate/NAME/generate_dataset.json, "
                         "test/NAME/test_dataset_ab.json): --behaviours may name its behaviours")
    ap.add_argument("--positions", default="all", choices=["all", "generated"],
                    help="where every model is steered (sweeps and the gain fit): every "
                         "position, or each answer's tokens and the position predicting the first")
    ap.add_argument("--anchor-pool", nargs="*", default=[],
                    help="behaviours whose generate-split answer differences anchor each "
                         "behaviour's bridge (the one under test always left out)")
    ap.add_argument("--anchor-items", type=int, default=150)
    ap.add_argument("--anchor-weight", type=float, default=1.0,
                    help="the anchors' total weight relative to the corpus tokens")
    ap.add_argument("--anchor-corpus-tokens", type=int, default=30000,
                    help="the --max-tokens the bridge was fitted with (its moments are re-read)")
    ap.add_argument("--moments-cache", type=Path, default=MOMENTS_CACHE,
                    help="where the bridge's corpus moments are cached (fit-bridge's "
                         "--cache-dir; a run's RUN_DIR/moments)")
    ap.add_argument("--out", type=Path, default=Path("runs/text-transfer.json"))
    args = ap.parse_args()

    distill = DistillSettings(alpha=args.method_alpha, steps=args.distill_steps,
                              max_prompts=args.distill_prompts, max_neutral=0)
    files = tuple((n, str(args.caa / "generate" / n / "generate_dataset.json"),
                   str(args.caa / "test" / n / "test_dataset_ab.json"))
                  for n in args.behaviours
                  if args.caa and (args.caa / "generate" / n).is_dir())
    bridge = Bridge.load(args.bridge)
    src, tgt = load(bridge.source_name, dtype="auto"), load(bridge.target_name, dtype="auto")
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    record: dict[str, object] = {"bridge": str(args.bridge), "settings": settings,
                                 "behaviours": {}}
    anchored = (AnchoredBridges(bridge, src, tgt, args.anchor_pool, args.caa, args.anchor_items,
                                args.format, args.anchor_weight, args.anchor_corpus_tokens,
                                args.moments_cache)
                if args.anchor_pool else None)
    for name in args.behaviours:  # one at a time: each result is written as soon as it exists
        t0 = time.time()
        s = Settings(behaviours=(name,), alphas=tuple(args.alphas), test_items=args.test_items,
                     generate_items=args.generate_items, answer_format=args.format,
                     random_seeds=tuple(args.random_seeds), n_boot=200, files=files,
                     transfer=args.method, transfer_alpha=args.method_alpha,
                     positions=args.positions)
        used, anchor_record = anchored.without(name) if anchored else (bridge, None)
        if anchor_record:
            print(f"{name}: bridge anchored on {', '.join(anchor_record['anchors'])} "
                  f"(val R² {anchor_record['val_r2']:.3f})", flush=True)
        res = pair_transfer(src, tgt, [used], s, progress=False,
                            carry=method_carry(s, distill))[0]
        record["behaviours"][name] = {"row": res.row, **res.details[name],  # type: ignore[index]
                                      "anchored": anchor_record, "seconds": time.time() - t0}
        j = res.details[name]["judgement"]
        print(f"{name}: {j['verdict']} ({j['why']}; "
              f"{fmt_resamples(j.get('item_resamples'), j['verdict'])}) source odd Δp "
              f"{j['source_odd_dp']:+.3f}, native Δp {j['native_dp']:+.3f} "
              f"[{time.time() - t0:.0f} s]", flush=True)
        lo = res.details[name].get("judgement_logodds")
        if lo:
            print(f"  log-odds instrument: {lo['verdict']} ({lo['why']}; "
                  f"{fmt_resamples(lo.get('item_resamples'), lo['verdict'])})", flush=True)
        write_json(args.out, nan_to_none(record), force=True)


if __name__ == "__main__":
    main()
