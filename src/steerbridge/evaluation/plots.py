"""The report's figures as base64 PNG: alpha sweeps, per-item scatters, the layer-pair heatmap.

Every plot draws an effect beside its controls on the same axes: native, transferred (W·v),
the paper's W·v + b, random directions and the unsteered model. matplotlib is imported only
when a figure is drawn.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from steerbridge.evaluation.formatting import LABELS
from steerbridge.evaluation.results import BehaviourSummary, none_to_nan, random_conditions

COLORS = {"native": "#1f77b4", "transferred": "#d62728", "transferred_bias": "#ff7f0e",
          "source": "#2ca02c", "none": "#000000", "random": "#9a9a9a"}


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def sweep_plot(name: str, beh: dict[str, Any]) -> str:
    """p(match) and answer mass against alpha for every condition (base64 PNG)."""
    plt = _plt()
    s = BehaviourSummary.from_dict(beh["summary"])
    first_random = next(iter(random_conditions(s.conditions)), None)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key, ylabel in ((ax1, "p_mean", "p(matching answer)"),
                            (ax2, "answer_mass", "answer mass (2 letters / vocab)")):
        none = getattr(s.none, key)
        if none is not None:
            ax.axhline(none, color=COLORS["none"], ls="--", lw=1, label=LABELS["none"])
        for c in s.conditions:
            y = none_to_nan(s.column(key, c))
            if c.startswith("random:"):
                ax.plot(s.alphas, y, color=COLORS["random"], marker=".", lw=1,
                        label="random (same norm)" if c == first_random else None)
            else:
                ax.plot(s.alphas, y, color=COLORS.get(c, "#555"), marker="o", lw=1.6,
                        ls=":" if c == "source" else "-", label=LABELS.get(c, c))
        ax.set_xlabel("alpha (× median token norm)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    ax1.set_title(f"{name}: behaviour")
    ax2.set_title(f"{name}: still answering?")
    ax2.set_ylim(0, 1.02)
    ax1.legend(fontsize=7, loc="best")
    return _png(fig)


def scatter_plot(name: str, beh: dict[str, Any]) -> str | None:
    """Per-item change in logit difference, native vs transferred (and random) at best alpha."""
    s = BehaviourSummary.from_dict(beh["summary"])
    i = s.best_alpha_index
    conds = beh.get("conditions", {})
    if i is None or "native" not in conds or "none" not in conds:
        return None
    plt = _plt()
    base = none_to_nan(conds["none"]["ld"])
    x = none_to_nan(conds["native"]["ld"])[i] - base
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for c in [*random_conditions(list(conds)), "transferred_bias", "transferred"]:
        if c not in conds:
            continue
        y = none_to_nan(conds[c]["ld"])[i] - base
        col = COLORS["random"] if c.startswith("random:") else COLORS[c]
        lab = ("random" if c == random_conditions(list(conds))[0] else None) \
            if c.startswith("random:") else LABELS[c]
        ax1.scatter(x, y, s=14, alpha=0.7, color=col, label=lab)
        raw_y = none_to_nan(conds[c]["ld"])[i]
        ax2.scatter(none_to_nan(conds["native"]["ld"])[i], raw_y, s=14, alpha=0.7, color=col,
                    label=lab)
    for ax in (ax1, ax2):
        lim = [np.nanmin(ax.get_xlim() + ax.get_ylim()), np.nanmax(ax.get_xlim() + ax.get_ylim())]
        ax.plot(lim, lim, color="#444", lw=0.6, ls="--")
        ax.grid(alpha=0.3)
    ax1.axhline(0, color="#444", lw=0.5)
    ax1.axvline(0, color="#444", lw=0.5)
    alpha = s.alphas[i]
    ax1.set_title(f"change from unsteered, alpha={alpha:g}")
    ax1.set_xlabel("native: Δ logit diff per item")
    ax1.set_ylabel("other vector: Δ logit diff")
    ax2.set_title(f"raw (the paper's form), alpha={alpha:g}")
    ax2.set_xlabel("native: logit diff per item")
    ax2.set_ylabel("other vector: logit diff")
    ax1.legend(fontsize=7)
    fig.suptitle(name, fontsize=10)
    return _png(fig)


def heatmap_plot(pairs: dict[str, Any]) -> str | None:
    """Layer-pair screening heatmap from ``results["pairs"]`` (scores[source][target])."""
    scores = pairs.get("scores")
    if not scores:
        return None
    plt = _plt()
    m = none_to_nan(scores)
    fig, ax = plt.subplots(figsize=(7, 5))
    im = ax.imshow(m, aspect="auto", origin="lower", cmap="viridis")
    src, tgt = pairs.get("source_layers", []), pairs.get("target_layers", [])
    if tgt:
        ax.set_xticks(range(len(tgt)), [str(t) for t in tgt], fontsize=7)
    if src:
        ax.set_yticks(range(len(src)), [str(t) for t in src], fontsize=7)
    ax.set_xlabel("target layer")
    ax.set_ylabel("source layer")
    ax.set_title(f"layer-pair screen: {pairs.get('metric', 'score')}")
    chosen = pairs.get("chosen")
    if chosen and chosen[0] in src and chosen[1] in tgt:
        ax.scatter([tgt.index(chosen[1])], [src.index(chosen[0])], marker="s", s=80,
                   facecolors="none", edgecolors="red", label="used")
        ax.legend(fontsize=7)
    fig.colorbar(im, ax=ax)
    return _png(fig)
