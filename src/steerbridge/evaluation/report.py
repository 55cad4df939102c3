"""results.json → a self-contained report.html (plots as base64 PNG) and report.md.

Every effect is shown beside its control: the summary table puts the transferred vector's
retention and correlations next to the random directions' and the answer mass of every
condition; the plots draw native, transferred (W·v), the paper's W·v + b, random and the
unsteered model on the same axes.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from steerbridge.evaluation.metrics import none_to_nan, random_conditions

COLORS = {"native": "#1f77b4", "transferred": "#d62728", "transferred_bias": "#ff7f0e",
          "source": "#2ca02c", "none": "#000000", "random": "#9a9a9a"}
LABELS = {"native": "native (target's own vector)", "transferred": "transferred W·v",
          "transferred_bias": "paper's W·v + b", "source": "source, own vector",
          "none": "unsteered"}


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _ci(v: Any, ci: Any) -> str:
    if not isinstance(ci, Sequence) or len(ci) != 2:
        return _fmt(v)
    return f"{_fmt(v)} [{_fmt(ci[0])}, {_fmt(ci[1])}]"


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
    s = beh["summary"]
    alphas = s["alphas"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key, ylabel in ((ax1, "p_mean", "p(matching answer)"),
                            (ax2, "answer_mass", "answer mass (2 letters / vocab)")):
        none = s[key]["none"][0]
        if none is not None:
            ax.axhline(none, color=COLORS["none"], ls="--", lw=1, label=LABELS["none"])
        for c, ys in s[key].items():
            if c in ("none", "source_none"):
                continue
            y = none_to_nan(ys)
            if c.startswith("random:"):
                first = c == random_conditions(list(s[key]))[0]
                ax.plot(alphas, y, color=COLORS["random"], marker=".", lw=1,
                        label="random (same norm)" if first else None)
            else:
                ax.plot(alphas, y, color=COLORS.get(c, "#555"), marker="o", lw=1.6,
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
    s = beh["summary"]
    i = s.get("best_alpha_index")
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
    alpha = s["alphas"][i]
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


# --------------------------------------------------------------------------- tables

SUMMARY_COLUMNS = (
    "behaviour", "items", "best α", "native Δp", "W·v Δp", "retention W·v", "retention W·v+b",
    "random Δp", "random retention (mean / max |·|)",
    "odd α", "odd Δp native / W·v / random", "odd retention W·v", "odd retention random "
    "(mean / max |·|)", "corr odd W·v [95% CI]", "corr odd random", "corr change W·v [95% CI]",
    "corr change random", "corr raw W·v [95% CI]", "corr raw random", "cos(W·v, native)",
    "cos(random, native)", "KL W·v / native / random", "ppl change W·v / native",
    "answer mass none / native / W·v / random",
)


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    """One row per behaviour, every effect beside its control."""
    rows = []
    for name, beh in results.get("behaviours", {}).items():
        if "summary" not in beh:
            rows.append([name, "–"] + ["failed: " + "; ".join(beh.get("errors", []))]
                        + ["–"] * (len(SUMMARY_COLUMNS) - 3))
            continue
        h = beh["summary"]["headline"]
        cos = beh.get("cosine", {})
        rnd_cos = [v for k, v in cos.items() if k.startswith("random:") and v is not None]
        se = beh.get("side_effects", {})

        def se_get(c: str, k: str, se: dict[str, Any] = se) -> Any:
            v = se.get(c)
            return v.get(k) if isinstance(v, dict) else None

        rnd_se = [se_get(c, "kl") for c in se if c.startswith("random:")]
        rnd_se = [v for v in rnd_se if v is not None]
        rows.append([
            name, str(beh.get("n_items", "–")), _fmt(h.get("best_alpha")),
            _fmt(h.get("native_dp")), _fmt(h.get("transferred_dp")),
            _fmt(h.get("transferred_retention")), _fmt(h.get("transferred_bias_retention")),
            _fmt(h.get("random_dp_mean")),
            f"{_fmt(h.get('random_retention_mean'))} / {_fmt(h.get('random_retention_max_abs'))}",
            _fmt(h.get("odd_alpha")),
            f"{_fmt(h.get('native_odd_dp'))} / {_fmt(h.get('transferred_odd_dp'))} / "
            f"{_fmt(h.get('random_odd_dp_mean'))}",
            _fmt(h.get("transferred_odd_retention")),
            f"{_fmt(h.get('random_odd_retention_mean'))} / "
            f"{_fmt(h.get('random_odd_retention_max_abs'))}",
            _ci(h.get("transferred_corr_odd"), h.get("transferred_corr_odd_ci")),
            _fmt(h.get("random_corr_odd")),
            _ci(h.get("transferred_corr_change"), h.get("transferred_corr_change_ci")),
            _fmt(h.get("random_corr_change")),
            _ci(h.get("transferred_corr_raw"), h.get("transferred_corr_raw_ci")),
            _fmt(h.get("random_corr_raw")),
            _fmt(cos.get("transferred")),
            _fmt(float(np.mean(rnd_cos)) if rnd_cos else None),
            f"{_fmt(se_get('transferred', 'kl'), 3)} / {_fmt(se_get('native', 'kl'), 3)} / "
            f"{_fmt(float(np.mean(rnd_se)) if rnd_se else None, 3)}",
            f"{_fmt(se_get('transferred', 'ppl_change'))} / {_fmt(se_get('native', 'ppl_change'))}",
            f"{_fmt(h.get('none_answer_mass'))} / {_fmt(h.get('native_answer_mass'))} / "
            f"{_fmt(h.get('transferred_answer_mass'))} / {_fmt(h.get('random_answer_mass'))}",
        ])
    return rows


def sweep_rows(beh: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per-alpha table: Δp and answer mass per condition, retention of W·v and random."""
    s = beh["summary"]
    alphas = s["alphas"]
    conds = [c for c in s["delta_p"]]
    head = ["condition"] + [f"Δp α={a:g}" for a in alphas] + [f"mass α={a:g}" for a in alphas]
    rows = []
    for c in conds:
        rows.append([LABELS.get(c, c)] + [_fmt(v) for v in s["delta_p"][c]]
                    + [_fmt(v) for v in s["answer_mass"][c]])
    for c, r in s.get("retention", {}).items():
        rows.append([f"retention {LABELS.get(c, c)}"] + [_fmt(v) for v in r] + [""] * len(alphas))
    odd_alphas = s.get("odd_alphas") or []
    for c, r in (s.get("odd_delta_p") or {}).items():
        by_alpha = dict(zip(odd_alphas, r, strict=True))
        rows.append([f"odd Δp {LABELS.get(c, c)}"]
                    + [_fmt(by_alpha.get(a)) if a > 0 else "" for a in alphas]
                    + [""] * len(alphas))
    return head, rows


def _html_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                  for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _md_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def esc(x: str) -> str:
        return str(x).replace("|", "\\|")

    out = ["| " + " | ".join(esc(h) for h in head) + " |", "|" + " --- |" * len(head)]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _provenance(results: dict[str, Any]) -> list[tuple[str, str]]:
    m = results.get("models", {})
    b = results.get("bridge", {})
    items = [
        ("source", f"{m.get('source', {}).get('name')} (fingerprint "
                   f"{m.get('source', {}).get('fingerprint')})"),
        ("target", f"{m.get('target', {}).get('name')} (fingerprint "
                   f"{m.get('target', {}).get('fingerprint')})"),
        ("bridge", f"layer {b.get('source_layer')} → {b.get('target_layer')}, "
                   f"{b.get('method')}, {b.get('n_tokens', '?')} tokens"),
        ("bridge fit (held-out)", ", ".join(f"{k} {_fmt(v, 3)}" for k, v in
                                           (b.get("metrics") or {}).items()
                                           if isinstance(v, (int, float)))),
        ("config hash", str(results.get("config_hash"))),
        ("steerbridge", str(results.get("steerbridge_version"))),
        ("created", str(results.get("created"))),
        ("run time", f"{_fmt(results.get('timings', {}).get('total_s'), 0)} s"),
    ]
    return items


HOW_TO_READ = (
    "Retention = Δp(transferred) / Δp(native) at the alpha where native steering moves "
    "p(matching answer) most; Δp is measured against the unsteered target. The paper's metric, "
    "per-item Pearson correlation of logit differences between native- and transferred-steered "
    "target, is shown raw and as change from unsteered: the raw form is high even for random "
    "directions (items' own spread), so read it only beside the random row. Answer mass is the "
    "probability on the two answer letters out of the whole vocabulary: a vector that moves p "
    "while mass collapses has broken the model, not steered it. The odd columns use only the "
    "part of each shift that flips sign with alpha, (p(+α) − p(−α)) / 2: any push of that size "
    "tends to pull p toward 0.5 whatever its sign (random directions do it too), and that part "
    "cancels here, so odd retention is the cleaner measure of steering along the behaviour."
)

CSS = """
body{font-family:system-ui,sans-serif;margin:24px;max-width:1400px;color:#222}
table{border-collapse:collapse;font-size:12px;margin:8px 0 18px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top}
th{background:#f2f2f2} td:first-child{text-align:left}
img{max-width:100%} .gen td{text-align:left;white-space:pre-wrap;max-width:420px}
.note{background:#fff8e1;padding:8px;border-left:3px solid #f0b400;font-size:13px}
.err{color:#b00}
"""


def render_html(results: dict[str, Any]) -> str:
    """The whole report as one HTML string (no external files)."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>steerbridge report"
             f"</title><style>{CSS}</style></head><body>",
             "<h1>steerbridge: how much steering survives the bridge</h1>",
             _html_table(["", ""], _provenance(results)),
             f"<p class='note'>{html.escape(HOW_TO_READ)}</p>",
             "<h2>Summary per behaviour</h2>",
             _html_table(SUMMARY_COLUMNS, summary_rows(results))]
    pairs = results.get("pairs")
    if pairs:
        img = heatmap_plot(pairs)
        if img:
            parts += ["<h2>Layer pairs</h2>", f"<img alt='layer-pair heatmap' "
                      f"src='data:image/png;base64,{img}'>"]
    for name, beh in results.get("behaviours", {}).items():
        parts.append(f"<h2>{html.escape(name)}</h2>")
        for e in beh.get("errors", []):
            parts.append(f"<p class='err'>{html.escape(e)}</p>")
        if "summary" not in beh:
            continue
        parts.append(f"<img alt='{html.escape(name)} alpha sweep' "
                     f"src='data:image/png;base64,{sweep_plot(name, beh)}'>")
        sc = scatter_plot(name, beh)
        if sc:
            parts.append(f"<img alt='{html.escape(name)} per-item scatter' "
                         f"src='data:image/png;base64,{sc}'>")
        parts.append(_html_table(*sweep_rows(beh)))
        parts += _side_and_tone_html(beh)
        parts += _generations_html(beh)
    parts.append("</body></html>")
    return "\n".join(parts)


def _side_and_tone_html(beh: dict[str, Any]) -> list[str]:
    out = []
    se = beh.get("side_effects")
    if se:
        rows = [[LABELS.get(c, c), _fmt(v.get("kl"), 4), _fmt(v.get("ppl"), 2),
                 _fmt(v.get("ppl_change"))] for c, v in se.items() if isinstance(v, dict)]
        out += [f"<h3>Side effects on neutral text (alpha {_fmt(se.get('alpha'))}, "
                f"{se.get('tokens', '?')} tokens; unsteered perplexity "
                f"{_fmt(se.get('none_ppl'))})</h3>",
                _html_table(["condition", "KL(unsteered ‖ steered)", "perplexity",
                             "perplexity change"], rows)]
    tone = beh.get("tone")
    if tone:
        rows = [[LABELS.get(c, c), _fmt(v), _fmt(tone.get("shift", {}).get(c))]
                for c, v in tone.get("mean", {}).items()]
        out += [f"<h3>Tone of open-ended generations ({html.escape(str(tone.get('scorer')))}, "
                f"alpha {_fmt(tone.get('alpha'))})</h3>",
                _html_table(["condition", "mean compound score", "shift from unsteered"], rows)]
    return out


def _generations_html(beh: dict[str, Any]) -> list[str]:
    gens = beh.get("generations")
    if not gens or not gens.get("samples"):
        return []
    conds = gens.get("conditions", [])
    rows = [[s.get("prompt", "")] + [s.get("outputs", {}).get(c, "") for c in conds]
            for s in gens["samples"]]
    head = ["prompt"] + [LABELS.get(c, c) for c in conds]
    table = _html_table(head, rows).replace("<table>", "<table class='gen'>")
    return [f"<h3>Sample generations (alpha {_fmt(gens.get('alpha'))}, greedy)</h3>", table]


def render_markdown(results: dict[str, Any]) -> str:
    """A Markdown version of the summary and per-alpha tables (no plots)."""
    out = ["# steerbridge report", ""]
    out += [f"- **{k}**: {v}" for k, v in _provenance(results)]
    out += ["", HOW_TO_READ, "", "## Summary per behaviour", "",
            _md_table(SUMMARY_COLUMNS, summary_rows(results)), ""]
    for name, beh in results.get("behaviours", {}).items():
        out += [f"## {name}", ""]
        out += [f"- error: {e}" for e in beh.get("errors", [])]
        if "summary" not in beh:
            continue
        out += [_md_table(*sweep_rows(beh)), ""]
        tone = beh.get("tone")
        if tone:
            out += [f"Tone ({tone.get('scorer')}, alpha {_fmt(tone.get('alpha'))}): "
                    + ", ".join(f"{LABELS.get(c, c)} {_fmt(v)}"
                                for c, v in tone.get("shift", {}).items())
                    + " (shift of mean compound score from unsteered)", ""]
        gens = beh.get("generations") or {}
        for s in (gens.get("samples") or [])[:2]:
            out += [f"**{s.get('prompt', '')}**", ""]
            out += [f"- *{LABELS.get(c, c)}*: {t!r}" for c, t in s.get("outputs", {}).items()]
            out.append("")
    return "\n".join(out) + "\n"


def write(results: dict[str, Any] | str | Path, out_dir: str | Path | None = None
          ) -> tuple[Path, Path]:
    """Write report.html and report.md next to results.json (or into `out_dir`)."""
    if not isinstance(results, dict):
        path = Path(results)
        out_dir = out_dir or path.parent
        results = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(results, dict)
    d = Path(out_dir or ".")
    d.mkdir(parents=True, exist_ok=True)
    html_path, md_path = d / "report.html", d / "report.md"
    html_path.write_text(render_html(results), encoding="utf-8")
    md_path.write_text(render_markdown(results), encoding="utf-8")
    return html_path, md_path
