"""Steering benchmarks on the real Qwen pair (0.5B -> 1.5B), two modes.

    .venv/bin/python benchmarks/bench_steering.py speed      # overhead + extraction items/s
    .venv/bin/python benchmarks/bench_steering.py transfer   # does a transferred vector steer?

`speed`: greedy generation on the 1.5B, unsteered vs steered (one layer, positions "all"), same
prompts and lengths, interleaved repeats in one process; and extraction throughput (A/B items
per second, two forwards per item) on both models. Prints ratios.

`transfer`: extract a mean-difference vector for the built-in `positive-tone` behaviour on the
0.5B, carry it into the 1.5B through a ridge map fitted here on a modest token sample (a quick
stand-in used when no `steerbridge.bridge` is available; `--bridge FILE` uses a saved one), and
compare greedy continuations of 5 unseen open-ended prompts: unsteered, transferred, a random
direction of equal norm, and the 1.5B's own native vector. Tone is scored with VADER (compound,
-1..1). Writes results.json and generations.md to --out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from steerbridge import activations, datasets, steering, vectors
from steerbridge.models import LoadedModel, load

SOURCE, TARGET = "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "jane_austen.txt"


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------ speed


def speed(args: argparse.Namespace) -> None:
    gen, _ = datasets.builtin("positive-tone")
    items = gen[: args.items]
    results: dict[str, Any] = {}
    for name, layer in ((SOURCE, 12), (TARGET, 14)):
        lm = load(name, dtype=args.dtype)
        vectors.extract(lm, items[:4], [layer], scales={layer: 1.0})  # warm-up
        t = timed(lambda lm=lm, layer=layer: vectors.extract(lm, items, [layer],
                                                               scales={layer: 1.0}))
        results[f"extract_items_per_s[{name}]"] = len(items) / t
        print(f"extract {name} layer {layer}: {len(items)} items in {t:.1f} s = "
              f"{len(items) / t:.2f} items/s", flush=True)
    # lm is now the target: steered vs unsteered generation
    vec = vectors.extract(lm, items[:8], [14], scales={14: 40.0})
    prompts = datasets.builtin_open_prompts("positive-tone")[: args.batch]
    steering.generate(lm, prompts[:2], max_new_tokens=4)  # warm-up
    plain, steered = [], []
    for _ in range(args.repeats):  # interleaved so drift hits both equally
        plain.append(timed(lambda: steering.generate(lm, prompts, max_new_tokens=args.tokens)))
        steered.append(timed(lambda: steering.generate(lm, prompts, vec, 0.2,
                                                       max_new_tokens=args.tokens)))
        print(f"  unsteered {plain[-1]:.2f} s  steered {steered[-1]:.2f} s", flush=True)
    p, s = statistics.median(plain), statistics.median(steered)
    results.update(unsteered_s=p, steered_s=s, overhead=s / p - 1)
    ratio = results[f"extract_items_per_s[{SOURCE}]"] / results[f"extract_items_per_s[{TARGET}]"]
    print(f"generation {args.batch} prompts x {args.tokens} tokens on {TARGET}: unsteered "
          f"{p:.2f} s, steered {s:.2f} s (median of {args.repeats}): overhead "
          f"{100 * (s / p - 1):+.1f} %")
    print(f"extraction: {SOURCE} is {ratio:.2f}x the items/s of {TARGET}")
    print(json.dumps(results, indent=1))


# --------------------------------------------------------------------------- transfer


def token_windows(lm: LoadedModel, n_text: int, n_chat: int, width: int = 48) -> list[list[int]]:
    """Plain-text windows (Jane Austen) plus chat-formatted built-in questions."""
    text = CORPUS.read_text(encoding="utf-8")[200_000:1_200_000]
    ids = lm.tokenizer.encode(text, add_special_tokens=False)
    windows = [ids[i:i + width] for i in range(0, n_text * width * 3, width * 3)][:n_text]
    qs: list[str] = []
    for name in datasets.builtin_names():
        qs += [it.question for it in datasets.builtin(name)[0]]
    for q in qs[:: max(1, len(qs) // n_chat)][:n_chat]:
        windows.append(lm.tokenizer.encode(datasets.chat_prompt(lm.tokenizer, q, system=""),
                                           add_special_tokens=False))
    return windows


def fit_bridges(src: LoadedModel, tgt: LoadedModel, pairs: list[tuple[int, int]],
                windows: list[list[int]]) -> list[Any]:
    """Quick ridge bridges (steerbridge.bridge.fit_ridge, λ chosen on every 10th window)."""
    from steerbridge.bridge import Bridge, fit_ridge
    from steerbridge.moments import Moments

    xs = activations.collect(src, windows, [a for a, _ in pairs], batch_size=8)
    ys = activations.collect(tgt, windows, [b for _, b in pairs], batch_size=8)
    keep = torch.ones(xs.n_tokens, dtype=torch.bool)
    for states in (*xs.states.values(), *ys.states.values()):
        norms = states.norm(dim=-1)
        keep &= norms < 5 * norms.median()
    val = (xs.window % 10) == 0
    print(f"bridge sample: {int(keep.sum())} of {xs.n_tokens} tokens kept (position 0 and norms "
          "> 5x median dropped)", flush=True)
    out = []
    for ls, lt in pairs:
        x, y = xs.states[ls], ys.states[lt]
        tr, va = keep & ~val, keep & val
        w, b, info = fit_ridge(Moments.from_data(x[tr], y[tr]), Moments.from_data(x[va], y[va]))
        r2 = Moments.from_data(x[va], y[va]).r2(w, b)
        print(f"ridge {ls}->{lt}: validation R2 {r2:.3f} (lambda_rel {info['lambda_rel']:g})",
              flush=True)
        out.append(Bridge(W=w.float(), b=b.float(), source_layers=[ls], target_layer=lt,
                          source_name=src.name, target_name=tgt.name,
                          source_fingerprint=src.fingerprint, target_fingerprint=tgt.fingerprint,
                          metrics={"val_r2": r2, **info}))
    return out


def vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def transfer(args: argparse.Namespace) -> None:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs = [tuple(int(x) for x in p.split(":")) for p in args.pairs.split(",")]
    gen, _ = datasets.builtin(args.behaviour)
    prompts = datasets.builtin_open_prompts(args.behaviour)[:5]
    src = load(SOURCE, dtype=args.dtype)
    v_src = vectors.extract(src, gen[: args.items], [a for a, _ in pairs],
                            dataset_name=args.behaviour)
    for layer in v_src.layers:
        print(f"source layer {layer}: |v|/scale = {v_src.relative_norm(layer):.3f}", flush=True)
    tgt = load(TARGET, dtype=args.dtype)
    bridges = fit_bridges(src, tgt, pairs, token_windows(src, args.text_windows, args.chat_windows))
    del src
    v_nat = (vectors.extract(tgt, gen[: args.native_items], [b for _, b in pairs],
                             dataset_name=args.behaviour) if args.native_items else None)
    sia = vader()
    base = steering.generate(tgt, prompts, max_new_tokens=args.tokens)
    base_scores = [sia.polarity_scores(t)["compound"] for t in base]
    rows: list[dict[str, Any]] = []
    record: dict[str, Any] = {"prompts": prompts, "unsteered": base, "unsteered_vader": base_scores,
                              "bridges": [], "runs": rows}
    for br in bridges:
        ls, lt = br.source_layers[0], br.target_layer
        v_tr = vectors.transfer(br, v_src, target=tgt)
        v_tr.save(out_dir / f"transferred_{ls}to{lt}.safetensors")
        entry = {"pair": [ls, lt], "val_r2": br.metrics["val_r2"],
                 "source_rel_norm": v_src.relative_norm(ls),
                 "transferred_rel_norm": v_tr.relative_norm(lt), "target_scale": v_tr.scales[lt]}
        controls = {"transferred": v_tr, "random": vectors.random_like(v_tr, seed=0)}
        if v_nat is not None:
            entry["cos_native"] = float(torch.cosine_similarity(v_tr.directions[lt],
                                                                v_nat.directions[lt], 0))
            entry["native_rel_norm"] = v_nat.relative_norm(lt)
            controls["native"] = v_nat.select([lt])
        record["bridges"].append(entry)
        print(f"pair {ls}->{lt}: {entry}", flush=True)
        for alpha in args.alphas:
            for kind, vec in controls.items():
                texts = steering.generate(tgt, prompts, vec, alpha, max_new_tokens=args.tokens)
                scores = [sia.polarity_scores(t)["compound"] for t in texts]
                moved = sum(1 for s, b0 in zip(scores, base_scores, strict=True)
                            if (s - b0) * (1 if alpha > 0 else -1) > 0.05)
                rows.append({"pair": [ls, lt], "alpha": alpha, "vector": kind, "texts": texts,
                             "vader": scores, "moved": moved})
                print(f"  {ls}->{lt} alpha {alpha:+.2f} {kind:11s} moved {moved}/5 mean vader "
                      f"{statistics.mean(scores):+.2f} (unsteered "
                      f"{statistics.mean(base_scores):+.2f})", flush=True)
                (out_dir / "results.json").write_text(json.dumps(record, indent=1))
    write_markdown(record, out_dir / "generations.md")
    print(f"results in {out_dir}/results.json and generations.md")


def write_markdown(record: dict[str, Any], path: Path) -> None:
    lines = ["# Steered generations on qwen2.5-coder-1.5b", ""]
    for i, prompt in enumerate(record["prompts"]):
        lines += [f"## {prompt}", "", f"- **unsteered** ({record['unsteered_vader'][i]:+.2f}): "
                  f"{record['unsteered'][i]!r}"]
        for r in record["runs"]:
            lines.append(f"- **{r['vector']} {r['pair'][0]}->{r['pair'][1]} alpha {r['alpha']:+}** "
                         f"({r['vader'][i]:+.2f}): {r['texts'][i]!r}")
        lines.append("")
    path.write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--items", type=int, default=24)
    s.add_argument("--batch", type=int, default=4)
    s.add_argument("--tokens", type=int, default=24)
    s.add_argument("--repeats", type=int, default=4)
    s.add_argument("--dtype", default="float32")
    s.add_argument("--threads", type=int, default=2)
    t = sub.add_parser("transfer")
    t.add_argument("--behaviour", default="positive-tone")
    t.add_argument("--pairs", default="9:10")
    t.add_argument("--alphas", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    t.add_argument("--tokens", type=int, default=40)
    t.add_argument("--items", type=int, default=80, help="generate items for the source vector")
    t.add_argument("--native-items", type=int, default=0, help="0 = skip the native vector")
    t.add_argument("--text-windows", type=int, default=70)
    t.add_argument("--chat-windows", type=int, default=40)
    t.add_argument("--dtype", default="float32")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--out", default="/tmp/steerbridge-transfer")
    args = ap.parse_args()
    torch.set_num_threads(getattr(args, "threads", 2))
    speed(args) if args.mode == "speed" else transfer(args)


if __name__ == "__main__":
    main()
