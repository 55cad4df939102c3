"""Build the one-word style and factual candidates of RESULTS 7r: old contexts, new words.

    python tools/make_register_words.py OUT_DIR   # CAA layout, one folder per candidate

RESULTS 7q: formal-opening ("Dear" / "Hey") and disputes-claim ("false" / "true") failed the
screen because random pushes moved p(matching) one way (formal-opening: toward "Hey" on every
kind of message, benchmarks/random_pull.py). Whether that is the words or the behaviour is
what these test: the same contexts, frames and answer sentences (formal / casual recipients,
false / true claims), other words for the same behaviour. Benchmark data only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_datasets as BASE  # noqa: E402
import make_disputes_claim as CLAIMS  # noqa: E402
import make_formal_opening as OPENING  # noqa: E402
from one_word import asked_twice  # noqa: E402

# name: (tool whose contexts and sentences it reuses, (matching word, other word))
CANDIDATES = {
    "formal-hello": (OPENING, ("Hello", "Yo")),
    "formal-afternoon": (OPENING, ("Good afternoon", "Hiya")),
    "formal-dear-hi": (OPENING, ("Dear", "Hi")),
    "disputes-wrong": (CLAIMS, ("wrong", "right")),
    "disputes-myth": (CLAIMS, ("a myth", "a fact")),
}


def build(name: str) -> dict[str, list[dict[str, str]]]:
    """The candidate's generate and test items: its tool's contexts, other words."""
    tool, words = CANDIDATES[name]
    if tool is OPENING:
        pools, n_generate = (tool.FORMAL, tool.CASUAL), tool.N_GENERATE_SCENARIOS
    else:
        pools, n_generate = (tool.FALSE_CLAIMS, tool.TRUE_CLAIMS), tool.N_GENERATE_CLAIMS
    return asked_twice(*pools, words, n_generate, frames=tool.FRAMES, answers=tool.ANSWERS)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the RESULTS 7r one-word candidates.")
    ap.add_argument("out_dir", type=Path, help="where the CAA layout (generate/, test/) goes")
    out = ap.parse_args(argv).out_dir
    for name in CANDIDATES:
        splits = build(name)
        BASE.write_caa(out, name, splits)
        print(name, len(splits["generate"]), len(splits["test"]))


if __name__ == "__main__":
    main()
