"""Build the built-in ``formal-greeting`` behaviour (run once; the JSON files are committed).

    python tools/make_formal_greeting.py [OUT_DIR]   # built-in layout: OUT_DIR/formal-greeting/
    python tools/make_formal_greeting.py --caa D     # CAA layout, named formal-afternoon

Style control (formal register) on the one-word design: the matching answer opens a message
with "Good afternoon", the other with "Hiya", in the same sentence; the recipient is formal (an
admissions office, a judge's clerk) or close (a brother, a flatmate), alternating, meant to make
the items lean both ways (measured, both Qwen models say "Good afternoon" to almost everyone:
RESULTS 7r). The contexts, frames and sentences are formal-opening's (tools/
make_formal_opening.py); the items are byte-identical to RESULTS 7r's screened formal-afternoon
(random directions at native's norm retain +0.03 of native's change, formal-register -0.16).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_register_words as WORDS  # noqa: E402  (sibling scripts, not a package)
from one_word import write_builtin  # noqa: E402


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of formal-greeting: 7r's formal-afternoon."""
    return WORDS.build("formal-afternoon")


def main(argv: list[str] | None = None) -> None:
    write_builtin("formal-greeting", "formal-afternoon", build(), argv)


if __name__ == "__main__":
    main()
