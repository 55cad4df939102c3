"""Report a layer-pair search: one row per fitted bridge, a CSV / JSON table, an R² heatmap.

`bridge_row` puts a bridge's held-out metrics beside its baselines (and its screen scores);
`table_rows` gives the rows of a `PairsResult` (best first), `write_table` writes them as
``pairs.csv`` and ``pairs.json`` (with the screen matrices), and `write_heatmap` draws the
screen's R² matrix with the fully fitted pairs marked.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.pairs import PairsResult, Screen
from steerbridge.safeio import write_figure, write_text


def bridge_row(br: Bridge, scr: Screen | None = None) -> dict[str, Any]:
    """One table row: a bridge's held-out metrics beside its baselines (and screen scores)."""
    t = br.metrics.get("test", {})
    base = br.metrics.get("baselines", {})
    screen_r2 = screen_cka = None
    if (scr is not None and len(br.source_layers) == 1
            and br.source_layers[0] in scr.source_layers and br.target_layer in scr.target_layers):
        i = scr.source_layers.index(br.source_layers[0])
        j = scr.target_layers.index(br.target_layer)
        screen_r2, screen_cka = float(scr.r2[i, j]), float(scr.cka[i, j])
    return {
        "source_layers": "+".join(map(str, br.source_layers)),
        "target_layer": br.target_layer,
        "screen_r2": screen_r2, "screen_cka": screen_cka,
        "r2": t.get("r2"), "cosine": t.get("cosine"),
        "centred_cosine": t.get("centred_cosine"), "rel_error": t.get("rel_error"),
        "r2_plain": t.get("r2_plain"), "r2_chat": t.get("r2_chat"),
        "cosine_plain": t.get("cosine_plain"), "cosine_chat": t.get("cosine_chat"),
        "centred_cosine_plain": t.get("centred_cosine_plain"),
        "centred_cosine_chat": t.get("centred_cosine_chat"),
        "mean_r2": base.get("mean_predictor", {}).get("r2"),
        "mean_cosine": base.get("mean_predictor", {}).get("cosine"),
        "random_r2": base.get("random_map", {}).get("r2"),
        "random_cosine": base.get("random_map", {}).get("cosine"),
        "random_centred_cosine": base.get("random_map", {}).get("centred_cosine"),
        "val_r2": br.metrics.get("val_r2"), "lambda_rel": br.metrics.get("lambda_rel"),
        "n_train": br.metrics.get("n_train"), "n_val": br.metrics.get("n_val"),
        "n_test": t.get("n"),
    }


def table_rows(result: PairsResult) -> list[dict[str, Any]]:
    """One `bridge_row` per fitted bridge of `result`, best first."""
    return [bridge_row(br, result.screen) for br in result.bridges]


def write_table(result: PairsResult, out_dir: str | Path, force: bool = False
                ) -> tuple[Path, Path]:
    """``pairs.csv`` (fully fitted pairs) and ``pairs.json`` (those rows + the screen matrices),
    each written atomically (another kind of file there is kept unless `force`)."""
    out = Path(out_dir)
    rows = table_rows(result)
    buf = io.StringIO(newline="")
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    csv_path = write_text(out / "pairs.csv", buf.getvalue() or "\n", kind="text", force=force)
    s = result.screen
    json_path = write_text(out / "pairs.json", json.dumps({
        "fitted": rows,
        "screen": s.to_dict(),
        "dropped": result.bridges[0].metrics.get("dropped") if result.bridges else None,
        "provenance": result.bridges[0].provenance if result.bridges else None,
    }, indent=1), kind="json", force=force)
    return csv_path, json_path


def write_heatmap(result: PairsResult, path: str | Path, title: str = "",
                  force: bool = False) -> Path:
    """Heatmap of screen R² (source layer rows × target layer columns); fitted pairs marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = result.screen
    fig, ax = plt.subplots(figsize=(max(5.5, 1.5 + 0.3 * len(s.target_layers)),
                                    max(4.0, 1.2 + 0.3 * len(s.source_layers))))
    im = ax.imshow(s.r2.clamp(min=-0.1).numpy(), origin="lower", cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(s.target_layers)), [str(t) for t in s.target_layers], fontsize=7)
    ax.set_yticks(range(len(s.source_layers)), [str(x) for x in s.source_layers], fontsize=7)
    ax.set_ylabel("source layer")
    for br in result.bridges:
        if len(br.source_layers) == 1 and br.source_layers[0] in s.source_layers:
            i = s.source_layers.index(br.source_layers[0])
            j = s.target_layers.index(br.target_layer)
            r2 = br.metrics.get("test", {}).get("r2", float("nan"))
            ax.text(j, i, f"{r2:.2f}", ha="center", va="center", color="red", fontsize=7)
    fig.colorbar(im, ax=ax, label=f"screen R² ({s.n_train:,} tokens)")
    ax.set_xlabel("target layer   (red: held-out R² of the full fit)")
    ax.set_title(title or "affine-map R² by layer pair", fontsize=9)
    fig.tight_layout()
    return write_figure(path, fig, force=force)

