"""Write a `pair_transfer` ranking: ``pairs_transfer.csv``, ``pairs_transfer.json`` and
``pairs_transfer.png`` (retention by pair beside the random-target control), atomically.

The CSV has one row per fitted pair, best first, with the columns of `COLUMNS` followed by
``<behaviour>:<key>`` for each behaviour and each of `pair_rank.BEHAVIOUR_KEYS`. The JSON
holds the same rows (NaN as null), each behaviour's verdict reason and headline, the settings
and the verdict rule.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from steerbridge.evaluation.pair_transfer import PairTransfer, Settings
from steerbridge.evaluation.verdicts import RULE
from steerbridge.safeio import write_figure, write_text

FILES = (("pairs_transfer.csv", "text"), ("pairs_transfer.json", "json"),
         ("pairs_transfer.png", "image"))
COLUMNS = ("rank", "source_layers", "target_layer", "r2", "mean_retention",
           "mean_odd_retention", "random_retention", "margin", "margin_all", "margin_logodds",
           "margin_logodds_all", "n_judgeable", "n_behaviours", "n_transfers", "n_partly")


def _clean(x: Any) -> Any:
    """JSON-safe: NaN and infinities become None, containers recursively."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def write_csv(rows: list[PairTransfer], path: str | Path, force: bool = False) -> Path:
    """One row per pair, best first (empty cells where a number is missing)."""
    buf = io.StringIO(newline="")
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0].row))
        w.writeheader()
        w.writerows([{k: ("" if isinstance(v, float) and not math.isfinite(v) else v)
                      for k, v in p.row.items()} for p in rows])
    return write_text(path, buf.getvalue() or "\n", kind="text", force=force)


def write_json(rows: list[PairTransfer], path: str | Path, settings: Settings,
               provenance: dict[str, Any] | None = None, force: bool = False) -> Path:
    """The rows, each behaviour's judgement and headline, the settings and the rule."""
    instrument = "p" if settings.rank_by == "p" else "the per-token answer log-odds"
    obj = {"ranked_by": "verdicts first (more 'transfers', then more 'transfers' or "
                        "'partly'), then margin = mean retention - mean |random-target "
                        "retention| over judgeable behaviours (none judgeable: over all, "
                        f"ranked after), measured in {instrument}",
           "rule": RULE, "settings": asdict(settings), "provenance": provenance,
           "pairs": [{"row": p.row, "behaviours": p.details} for p in rows]}
    return write_text(path, json.dumps(_clean(obj), indent=1, allow_nan=False), kind="json",
                      force=force)


def write_plot(rows: list[PairTransfer], path: str | Path, title: str = "",
               force: bool = False) -> Path:
    """Bars per pair (best first): each behaviour's retention, with its random-target retention
    as a grey bar beside it (hatched where the behaviour is not judgeable); state R² written
    under each pair."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    behaviours = [k.split(":", 1)[0] for k in (rows[0].row if rows else {})
                  if k.endswith(":retention")]
    n_b = max(1, len(behaviours))
    width = 0.8 / (2 * n_b)
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 + 1.1 * len(rows) * n_b ** 0.5), 4.2))
    cmap = plt.get_cmap("tab10")

    def val(p: PairTransfer, key: str) -> float:
        v = p.row.get(key)
        return float(v) if isinstance(v, int | float) and math.isfinite(v) else 0.0

    for i, b in enumerate(behaviours):
        off = (2 * i - n_b + 0.5) * width
        bars = ax.bar(x + off, [val(p, f"{b}:retention") for p in rows], width, color=cmap(i),
                      label=b)
        for bar, p in zip(bars, rows, strict=True):  # hatched: not judgeable by the rule
            if p.row.get(f"{b}:verdict") == "not judgeable":
                bar.set_hatch("//")
                bar.set_alpha(0.5)
        ax.bar(x + off + width, [val(p, f"{b}:random_retention") for p in rows], width,
               color="#b0b0b0", label="random target" if i == 0 else None)
    ax.axhline(0, color="black", lw=0.6)
    ax.axhline(1, color="black", lw=0.6, ls=":")
    ax.set_xticks(x, [f"#{p.row.get('rank', '')} L{p.row['source_layers']}→L"
                      f"{p.row['target_layer']}\nR² {val(p, 'r2'):.2f}" for p in rows],
                  fontsize=7)
    ax.set_ylabel("retention (transferred Δp / native Δp)")
    ax.set_title((title or "transfer by layer pair")
                 + "\n(grey: random target direction; hatched: not judgeable)", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return write_figure(path, fig, force=force)


def write_all(rows: list[PairTransfer], out_dir: str | Path, settings: Settings, title: str = "",
              provenance: dict[str, Any] | None = None, force: bool = False
              ) -> tuple[Path, Path, Path]:
    """CSV, JSON and PNG of `FILES` in `out_dir`."""
    out = Path(out_dir)
    return (write_csv(rows, out / FILES[0][0], force),
            write_json(rows, out / FILES[1][0], settings, provenance, force),
            write_plot(rows, out / FILES[2][0], title, force))
