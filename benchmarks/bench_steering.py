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
from dataclasses import dataclass
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
        lm = load(name)
        vectors.extract(lm, items[:4], [layer], scales={layer: 1.0})  # warm-up
        t = timed(lambda lm=lm, layer=layer: vectors.extract(lm, items, [layer],
                                                               scales={layer: 1.0}))
        results[f"extract_items_per_s[{name}]"] = len(items) / t
        print(f"extract {name} layer {layer}: {len(items)} items in {t:.1f} s = "
              f"{len(items) / t:.2f} items/s", flush=True)
    # lm is now the target: steered vs unsteered generation
    vec = vectors.extract(lm, items[:16], [14])
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


@dataclass
class RidgeBridge:
    """A minimal bridge with the attributes `vectors.transfer` reads."""

    W: torch.Tensor
    b: torch.Tensor
    source_layers: list[int]
    target_layer: int
    source_name: str
    target_name: str
    source_fingerprint: str
    target_fingerprint: str
    fingerprint: str
    r2: float


def token_windows(lm: LoadedModel, n_text: int, n_chat: int, width: int = 64) -> list[list[int]]:
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


def fit_ridge(src: LoadedModel, tgt: LoadedModel, pairs: list[tuple[int, int]],
              windows: list[list[int]], lam: float = 0.01) -> list[RidgeBridge]:
    xs = activations.collect(src, windows, [a for a, _ in pairs], batch_size=8)
    ys = activations.collect(tgt, windows, [b for _, b in pairs], batch_size=8)
    keep = torch.ones(xs.n_tokens, dtype=torch.bool)
    for states in (*xs.states.values(), *ys.states.values()):
        norms = states.norm(dim=-1)
        keep &= norms < 5 * norms.median()
    held = (xs.window % 10) == 0
    print(f"ridge: {int(keep.sum())} of {xs.n_tokens} tokens kept (outliers > 5x median dropped)")
    out = []
    for ls, lt in pairs:
        x, y = xs.states[ls][keep].double(), ys.states[lt][keep].double()
        tr = ~held[keep]
        mx, my = x[tr].mean(0), y[tr].mean(0)
        xc, yc = x[tr] - mx, y[tr] - my
        xtx = xc.T @ xc
        reg = lam * float(xtx.diagonal().mean())
        w = torch.linalg.solve(xtx + reg * torch.eye(x.shape[1], dtype=x.dtype), xc.T @ yc).T
        b = my - w @ mx
        pred = x[~tr] @ w.T + b
        r2 = 1 - float(((pred - y[~tr]) ** 2).sum() / ((y[~tr] - y[~tr].mean(0)) ** 2).sum())
        print(f"ridge {ls}->{lt}: held-out R2 {r2:.3f} on {int((~tr).sum())} tokens", flush=True)
        out.append(RidgeBridge(w.float(), b.float(), [ls], lt, src.name, tgt.name, src.fingerprint,
                               tgt.fingerprint, f"ridge{ls}to{lt}", r2))
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
    src = load(SOURCE)
    v_src = vectors.extract(src, gen, [a for a, _ in pairs], dataset_name=args.behaviour)
    for layer in v_src.layers:
        print(f"source layer {layer}: |v|/scale = {v_src.relative_norm(layer):.3f}", flush=True)
    tgt = load(TARGET)
    bridges = fit_ridge(src, tgt, pairs, token_windows(src, args.text_windows, args.chat_windows))
    del src
    v_nat = vectors.extract(tgt, gen, [b for _, b in pairs], dataset_name=args.behaviour)
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
        cos = float(torch.cosine_similarity(v_tr.directions[lt], v_nat.directions[lt], 0))
        record["bridges"].append({"pair": [ls, lt], "r2": br.r2, "cos_native": cos,
                                  "transferred_rel_norm": v_tr.relative_norm(lt),
                                  "native_rel_norm": v_nat.relative_norm(lt)})
        print(f"pair {ls}->{lt}: cos(W v, native) = {cos:.3f}", flush=True)
        controls = {"transferred": v_tr, "random": vectors.random_like(v_tr, seed=0),
                    "native": v_nat.select([lt])}
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
    s.add_argument("--items", type=int, default=48)
    s.add_argument("--batch", type=int, default=4)
    s.add_argument("--tokens", type=int, default=32)
    s.add_argument("--repeats", type=int, default=5)
    t = sub.add_parser("transfer")
    t.add_argument("--behaviour", default="positive-tone")
    t.add_argument("--pairs", default="9:10,12:14")
    t.add_argument("--alphas", type=float, nargs="+", default=[-0.3, -0.15, 0.15, 0.3])
    t.add_argument("--tokens", type=int, default=40)
    t.add_argument("--text-windows", type=int, default=200)
    t.add_argument("--chat-windows", type=int, default=120)
    t.add_argument("--out", default="/tmp/steerbridge-transfer")
    args = ap.parse_args()
    torch.set_num_threads(2)
    speed(args) if args.mode == "speed" else transfer(args)


if __name__ == "__main__":
    main()
