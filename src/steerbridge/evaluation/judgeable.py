"""How many test items a verdict needs (the first clause of `evaluation.verdicts.RULE`), and
the flag on results that have fewer.

The transfer metrics are means and correlations over test items. With ``n`` items the 95 %
interval of a per-item correlation spans about ``±1.96 / sqrt(n - 3)`` (Fisher), so telling a
transferred vector from a random one (a correlation near 0.9 from a control near 0.5) needs
``ITEMS_NEEDED`` items (±`HALF_WIDTH`). A result on fewer items is computed and kept, but
flagged ``conclusive: false`` in results.json, named in the report and warned about: one test
item can show retention 1.00 by chance.
"""

from __future__ import annotations

import math
from typing import Any

HALF_WIDTH = 0.4
Z95 = 1.96


def items_needed(half_width: float = HALF_WIDTH) -> int:
    """Test items for a correlation's 95 % interval to be ±`half_width` wide."""
    return math.ceil((Z95 / half_width) ** 2 + 3)


ITEMS_NEEDED = items_needed()


def verdict(n_test: int) -> dict[str, Any]:
    """``{"n_test", "n_needed", "ci_half_width", "conclusive"}`` for a test set of `n_test`."""
    width = Z95 / math.sqrt(n_test - 3) if n_test > 3 else None
    return {"n_test": n_test, "n_needed": ITEMS_NEEDED, "ci_half_width": width,
            "conclusive": n_test >= ITEMS_NEEDED}


def too_small(name: str, n_test: int) -> str | None:
    """The warning for a test set too small to judge, or None."""
    if n_test >= ITEMS_NEEDED:
        return None
    width = f"±{Z95 / math.sqrt(n_test - 3):.2f}" if n_test > 3 else "undefined"
    return (f"{name}: {n_test} test item(s) are too few to judge transfer: a correlation's 95 % "
            f"interval is {width}; a verdict (±{HALF_WIDTH}) needs at least {ITEMS_NEEDED} "
            "items. Its numbers are shown as inconclusive.")
