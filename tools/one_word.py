"""One-word A/B items: both answers one sentence but for a word (RESULTS 7p, 7q).

Shared by the sibling tools that write such behaviours (make_emotions, make_joy, and the
candidates of RESULTS 7q). A random push cannot move p on these the way it does on behaviours
whose items lean one way (RESULTS 7m), provided the contexts call for each word equally.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_datasets as BASE  # noqa: E402  (sibling scripts, not a package)

# The sentences of RESULTS 7p (emotions, joy): the defaults of `ab_item`.
FRAMES = [
    "{s} How does this make you feel?",
    "{s} What is your honest reaction?",
    "Imagine this: {s} How would you feel?",
    "{s} Which of these describes your feeling?",
]
ANSWERS = [
    "I feel {w}.",
    "Honestly, it makes me {w}.",
    "My first reaction is to feel {w}.",
    "It leaves me feeling {w}.",
]
# The later feeling candidates' sentences (RESULTS 7q). asked_twice gives the first context
# frames 0 and 2 and the second 1 and 3, so the frames come in like pairs (0 ~ 1, 2 ~ 3).
FEELING_FRAMES = [
    "{s} What do you feel?",
    "{s} What is your feeling?",
    "Think about it: {s} How do you feel?",
    "Think it over: {s} How do you feel?",
]
FEELING_ANSWERS = ["I am {w}.", "I feel {w}.", "Mostly, I feel {w}.", "It makes me {w}."]


def ab_item(scenario: str, k: int, matching: str, other: str, flip: bool,
            frames: list[str] = FRAMES, answers: list[str] = ANSWERS) -> dict[str, str]:
    """Item k: frame k % len(frames) around the scenario, answer sentence (k // 2) % len(answers)
    filled with the matching word (letter (A) unless `flip`) and with the other word."""
    frame, answer = frames[k % len(frames)], answers[(k // 2) % len(answers)]
    a, b = answer.format(w=matching), answer.format(w=other)
    if flip:
        a, b = b, a
    return {"question": f"{frame.format(s=scenario.strip())}\n\nChoices:\n (A) {a}\n (B) {b}",
            "answer_matching_behavior": "(B)" if flip else "(A)",
            "answer_not_matching_behavior": "(A)" if flip else "(B)"}


def asked_twice(matching_pool: list[str], other_pool: list[str], words: tuple[str, str],
                n_generate: int, **sentences: list[str]) -> dict[str, list[dict[str, str]]]:
    """{split: items}: the first `n_generate` scenarios of each pool in generate, the rest in
    test; each scenario asked twice (two frames and answer sentences), the pools alternating
    item by item and the matching letter alternating within each, so every prefix of a split
    is balanced. `sentences`: optional `frames` / `answers` for `ab_item`."""
    if len(matching_pool) != len(other_pool):
        raise SystemExit(f"pools differ in size: {len(matching_pool)} and {len(other_pool)}")
    out: dict[str, list[dict[str, str]]] = {}
    for split, lo, hi in (("generate", 0, n_generate), ("test", n_generate, len(matching_pool))):
        items = []
        for k in range(lo, hi):
            for rep in range(2):
                for ctx, pool in enumerate((matching_pool, other_pool)):
                    flip = (k + rep + ctx) % 2 == 1
                    items.append(ab_item(pool[k], 2 * (2 * k + rep) + ctx, *words, flip,
                                         **sentences))
        out[split] = items
    return out


def write_candidate(name: str, splits: dict[str, list[dict[str, str]]],
                    argv: list[str] | None) -> None:
    """The command line of a candidate behaviour's tool: its CAA layout under OUT_DIR."""
    ap = argparse.ArgumentParser(description=f"Write the {name} candidate behaviour.")
    ap.add_argument("out_dir", type=Path, help="where the CAA layout (generate/, test/) goes")
    BASE.write_caa(ap.parse_args(argv).out_dir, name, splits)
    print(name, len(splits["generate"]), len(splits["test"]))


def write_builtin(name: str, caa_name: str, splits: dict[str, list[dict[str, str]]],
                  argv: list[str] | None) -> None:
    """The command line of a built-in one-word behaviour's tool: its folder under OUT_DIR (the
    package's data by default), or with ``--caa D`` the CAA layout named `caa_name` (the name
    it was screened under)."""
    ap = argparse.ArgumentParser(description=f"Write the built-in {name} behaviour.")
    ap.add_argument("out_dir", nargs="?", type=Path, default=BASE.DATA_DIR,
                    help=f"where the behaviour folder goes (default: {BASE.DATA_DIR})")
    ap.add_argument("--caa", type=Path, help=f"write the CAA layout (as {caa_name}) here instead")
    args = ap.parse_args(argv)
    if args.caa is not None:
        BASE.write_caa(args.caa, caa_name, splits)
    else:
        BASE.write_splits(args.out_dir / name, splits)
    print(name, len(splits["generate"]), len(splits["test"]))

