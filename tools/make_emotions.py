"""Context-balanced emotion behaviours from ../shared/data/emotions-repe (candidates, RESULTS 7p).

    python tools/make_emotions.py OUT_DIR [--emotions-dir ../shared/data/emotions-repe]

Why: RESULTS 7m/7o found that random directions move p by more than the verdict rule's 0.1 of
native's change wherever most items lean one way unsteered (a random push scatters each item's
log-odds and pulls leaning items toward 0.5), and the balanced built-ins of 7o still leaned
(the 1.5B chose the cheerful answer on 69 % of bad-news items). Here each behaviour is one
feeling against another, asked about scenarios that each call for one of the two: half the
items describe a scenario of the matching feeling, half one of the other (the emotions-repe
one-line scenarios, MIT), so the model should lean both ways about equally. Both answers of an
item use the same sentence and differ in the feeling's word alone, so length and wording do
not favour either; the matching letter is (A) on half of each context's items.

Behaviours (matching feeling / non-matching feeling, each with its own scenarios):
joy (happy / sad), anger (angry / scared), fear (afraid / delighted). Writes the CAA layout:
OUT/generate/NAME/generate_dataset.json (120 items) and OUT/test/NAME/test_dataset_ab.json
(48 items, scenarios not in generate). Benchmark data only: nothing here ships with the project.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_datasets as BASE  # noqa: E402  (sibling scripts, not a package)
from one_word import ab_item  # noqa: E402

BEHAVIOURS = {  # name: ((matching word, scenario file), (non-matching word, scenario file))
    "joy": (("happy", "happiness"), ("sad", "sadness")),
    "anger": (("angry", "anger"), ("scared", "fear")),
    "fear": (("afraid", "fear"), ("delighted", "happiness")),
}
N_GENERATE, N_TEST = 120, 48  # items; half from each feeling's scenarios


def build(name: str, emotions_dir: Path) -> dict[str, list[dict[str, str]]]:
    """{split: items} for one behaviour; contexts alternate item by item, so every prefix of a
    split is balanced, and each context's matching letter alternates too."""
    (word_m, file_m), (word_o, file_o) = BEHAVIOURS[name]
    pools = []
    for f in (file_m, file_o):
        scenarios = [s for s in json.loads((emotions_dir / f"{f}.json").read_text("utf-8"))
                     if isinstance(s, str) and s.strip()]
        random.Random(f"steerbridge-{name}-{f}").shuffle(scenarios)
        if len(scenarios) < (N_GENERATE + N_TEST) // 2:
            raise SystemExit(f"{f}.json has {len(scenarios)} scenarios; "
                             f"{(N_GENERATE + N_TEST) // 2} needed.")
        pools.append(scenarios)
    out: dict[str, list[dict[str, str]]] = {}
    start = 0
    for split, n in (("generate", N_GENERATE), ("test", N_TEST)):
        items = []
        for k in range(n // 2):
            for ctx, pool in enumerate(pools):
                flip = (k + ctx) % 2 == 1
                items.append(ab_item(pool[start + k], 2 * k + ctx, word_m, word_o, flip))
        out[split] = items
        start += n // 2
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the emotion candidate datasets.")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--emotions-dir", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared/data/emotions-repe")
    args = ap.parse_args(argv)
    for name in BEHAVIOURS:
        splits = build(name, args.emotions_dir)
        BASE.write_caa(args.out_dir, name, splits)
        print(name, len(splits["generate"]), len(splits["test"]))


if __name__ == "__main__":
    main()
