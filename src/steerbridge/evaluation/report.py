"""results.json → a self-contained report.html (plots as base64 PNG) and report.md.

Every effect is shown beside its control: the summary table puts the transferred vector's
retention and correlations next to the random directions' and the answer mass of every
condition; the figures (``evaluation.plots``) draw all conditions on the same axes.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from steerbridge.evaluation.formatting import LABELS, fmt, fmt_estimate, verdict_flag
from steerbridge.evaluation.headline import Headline
from steerbridge.evaluation.plots import heatmap_plot, scatter_plot, sweep_plot
from steerbridge.evaluation.results import BehaviourSummary
from steerbridge.evaluation.verdict_table import VERDICT_COLUMNS, verdict_rows
from steerbridge.evaluation.verdicts import verdict_lines
from steerbridge.safeio import write_text

# --------------------------------------------------------------------------- tables

SUMMARY_COLUMNS = (
    "behaviour", "items", "best α", "native Δp", "W·v Δp", "retention W·v", "retention W·v+b",
    "random Δp", "random retention (mean / max |·|)",
    "random source retention (mean / max |·|)",
    "odd α", "odd Δp native / W·v / random", "odd retention W·v",
    "odd retention random (mean / max |·|)",
    "odd retention random source (mean / max |·|)",
    "corr odd W·v [95% CI]", "corr odd random", "corr change W·v [95% CI]",
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
        h = Headline.from_dict(beh["summary"]["headline"])
        tr, tb, rnd = h.transferred, h.transferred_bias, h.random
        odd = h.odd_alpha is not None
        cos = beh.get("cosine", {})
        rnd_cos = [v for k, v in cos.items() if k.startswith("random:") and v is not None]
        se = beh.get("side_effects", {})

        def se_get(c: str, k: str, se: dict[str, Any] = se) -> Any:
            v = se.get(c)
            return v.get(k) if isinstance(v, dict) else None

        rnd_se = [se_get(c, "kl") for c in se if c.startswith("random:")]
        rnd_se = [v for v in rnd_se if v is not None]
        j = beh.get("judgement") or {}
        rows.append([
            name + verdict_flag(beh), str(beh.get("n_items", "–")), fmt(h.best_alpha),
            fmt(h.native_dp), fmt(tr and tr.dp),
            fmt(tr and tr.retention), fmt(tb and tb.retention),
            fmt(rnd and rnd.dp_mean),
            f"{fmt(rnd and rnd.retention_mean)} / {fmt(rnd and rnd.retention_max_abs)}",
            f"{fmt(j.get('random_source_mean'))} / {fmt(j.get('random_source_max'))}",
            fmt(h.odd_alpha),
            f"{fmt(h.native_odd_dp)} / {fmt(tr and tr.odd_dp)} / {fmt(rnd and rnd.odd_dp_mean)}",
            fmt(tr and tr.odd_retention),
            f"{fmt(rnd and rnd.odd_retention_mean)} / {fmt(rnd and rnd.odd_retention_max_abs)}",
            f"{fmt(j.get('random_source_odd_mean'))} / {fmt(j.get('random_source_odd_max'))}",
            fmt_estimate(tr.corr_odd if tr and odd else None),
            fmt(rnd and rnd.corr_odd),
            fmt_estimate(tr.corr_change if tr else None),
            fmt(rnd and rnd.corr_change),
            fmt_estimate(tr.corr_raw if tr else None),
            fmt(rnd and rnd.corr_raw),
            fmt(cos.get("transferred")),
            fmt(float(np.mean(rnd_cos)) if rnd_cos else None),
            f"{fmt(se_get('transferred', 'kl'), 3)} / {fmt(se_get('native', 'kl'), 3)} / "
            f"{fmt(float(np.mean(rnd_se)) if rnd_se else None, 3)}",
            f"{fmt(se_get('transferred', 'ppl_change'))} / {fmt(se_get('native', 'ppl_change'))}",
            f"{fmt(h.none_answer_mass)} / {fmt(h.native_answer_mass)} / "
            f"{fmt(tr and tr.answer_mass)} / {fmt(rnd and rnd.answer_mass)}",
        ])
    return rows


def sweep_rows(beh: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per-alpha table: Δp and answer mass per condition, retention of W·v and random."""
    s = BehaviourSummary.from_dict(beh["summary"])
    alphas = s.alphas
    head = ["condition"] + [f"Δp α={a:g}" for a in alphas] + [f"mass α={a:g}" for a in alphas]
    rows = []
    for c in s.conditions:
        rows.append([LABELS.get(c, c)] + [fmt(v) for v in s.column("delta_p", c)]
                    + [fmt(v) for v in s.column("answer_mass", c)])
    for c in s.compared:
        rows.append([f"retention {LABELS.get(c, c)}"] + [fmt(v) for v in s.column("retention", c)]
                    + [""] * len(alphas))
    for c in s.conditions:
        by_alpha = {r.alpha: r.delta_p[c] for r in s.odd_rows}
        rows.append([f"odd Δp {LABELS.get(c, c)}"]
                    + [fmt(by_alpha.get(a)) if a > 0 else "" for a in alphas]
                    + [""] * len(alphas))
    return head, rows


def _html_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                  for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def markdown_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, "|" inside cells and headers escaped."""

    def esc(x: str) -> str:
        return str(x).replace("|", "\\|")

    out = ["| " + " | ".join(esc(h) for h in head) + " |", "|" + " --- |" * len(head)]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _provenance(results: dict[str, Any]) -> list[tuple[str, str]]:
    m = results.get("models") or {}
    b = results.get("bridge") or {}
    items = [
        ("source", f"{m.get('source', {}).get('name')} (fingerprint "
                   f"{m.get('source', {}).get('fingerprint')})"),
        ("target", f"{m.get('target', {}).get('name')} (fingerprint "
                   f"{m.get('target', {}).get('fingerprint')})"),
        ("bridge", f"layer {b.get('source_layer')} → {b.get('target_layer')}, "
                   f"{b.get('method')}, {b.get('n_tokens', '?')} tokens"),
        ("bridge fit (held-out)", ", ".join(f"{k} {fmt(v, 3)}" for k, v in
                                           (b.get("metrics") or {}).items()
                                           if isinstance(v, (int, float)))),
        ("transfer method", _transfer(results.get("transfer") or {})),
        ("config hash", str(results.get("config_hash"))),
        ("steerbridge", str(results.get("steerbridge_version"))),
        ("created", str(results.get("created"))),
        ("run time", f"{fmt(results.get('timings', {}).get('total_s'), 0)} s"),
    ]
    return items


def _transfer(t: dict[str, Any]) -> str:
    """The transfer method, its random-source seeds and the effect-matched fit's numbers."""
    out = f"{t.get('method', 'state')} (random source seeds {t.get('random_source_seeds')})"
    if t.get("select"):
        out += f"; candidates {', '.join(t['select'].get('candidates') or [])}"
    e = t.get("effect_bridge") or {}
    if e:
        out += (f"; effect-matched bridge: λ_rel {fmt(e.get('lam_rel'), 3)}, held-out R² "
                f"{fmt(e.get('val_r2'), 3)}, split-half cos {fmt(e.get('split_half_cos'), 3)}, "
                f"{e.get('pairs')} pairs")
    return out


def selection_line(sel: dict[str, Any]) -> str:
    """``method = "select"``: the winner, every candidate's score, the controls' picks."""
    scores = ", ".join(f"{k} {fmt(v, 4)}" for k, v in (sel.get("scores") or {}).items())
    picks = ", ".join(f"seed {k}: {c.get('winner')}"
                      for k, c in (sel.get("controls") or {}).items())
    return (f"selected **{sel.get('winner')}** (effect KL at alpha {fmt(sel.get('alpha'))}, lower "
            f"wins: {scores}); random-source controls picked {picks or 'nothing'}")


HOW_TO_READ = (
    "Retention = Δp(transferred) / Δp(native) at the alpha where native steering moves "
    "p(matching answer) most; Δp is measured against the unsteered target. The paper's metric, "
    "per-item Pearson correlation of logit differences between native- and transferred-steered "
    "target, is shown raw and as change from unsteered: the raw form is high even for random "
    "directions (items' own spread), so read it only beside the random row. Answer mass is the "
    "probability on the two answer letters out of the whole vocabulary: a vector that moves p "
    "while mass collapses has broken the model, not steered it (for behaviours scored as text, "
    "p compares the two answers' whole-text log-probabilities and the mass of two full texts "
    "is small by nature: read it only as a change). The odd columns use only the "
    "part of each shift that flips sign with alpha, (p(+α) − p(−α)) / 2: any push of that size "
    "tends to pull p toward 0.5 whatever its sign (random directions do it too), and that part "
    "cancels here, so odd retention is the cleaner measure of steering along the behaviour. "
    "The log-odds line under a verdict applies the same rule to each item's per-token answer "
    "log-odds: a push that only scatters items around their unsteered log-odds moves the mean "
    "p toward 0.5 when most items lean one way, but leaves the mean log-odds where it was."
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


def _verdicts_html(results: dict[str, Any]) -> str:
    lines = [ln for ln in verdict_lines(results) if ln]
    items = "".join(f"<li>{html.escape(ln.lstrip('- ').replace('**', ''))}</li>"
                    for ln in lines[:-1])
    return f"<ul>{items}</ul><p class='note'>{html.escape(lines[-1])}</p>"


def _verdict_table_html(results: dict[str, Any]) -> str:
    rows = verdict_rows(results)
    return _html_table(VERDICT_COLUMNS, rows) if rows else ""


def render_html(results: dict[str, Any]) -> str:
    """The whole report as one HTML string (no external files)."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>steerbridge report"
             f"</title><style>{CSS}</style></head><body>",
             "<h1>steerbridge: how much steering survives the bridge</h1>",
             _html_table(["", ""], _provenance(results)),
             "<h2>Verdicts</h2>", _verdict_table_html(results), _verdicts_html(results),
             f"<p class='note'>{html.escape(HOW_TO_READ)}</p>",
             *[f"<p class='err'>{html.escape(w)}</p>" for w in _run_notes(results)],
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
        for w in beh.get("warnings", []):
            parts.append(f"<p class='note'>warning: {html.escape(w)}</p>")
        if beh.get("notes"):
            parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in beh["notes"])
                         + "</ul>")
        if "summary" not in beh:
            continue
        if beh.get("selection"):
            line = selection_line(beh["selection"]).replace("**", "")
            parts.append(f"<p>{html.escape(line)}</p>")
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
        rows = [[LABELS.get(c, c) + (" (collapsed)" if v.get("collapsed") else ""),
                 fmt(v.get("kl"), 4), fmt(v.get("ppl"), 2), fmt(v.get("ppl_change"))]
                for c, v in se.items() if isinstance(v, dict)]
        out += [f"<h3>Side effects on neutral text (alpha {fmt(se.get('alpha'))}, "
                f"{se.get('tokens', '?')} tokens; unsteered perplexity "
                f"{fmt(se.get('none_ppl'))})</h3>",
                _html_table(["condition", "KL(unsteered ‖ steered)", "perplexity",
                             "perplexity change"], rows)]
    tone = beh.get("tone")
    if tone:
        rows = [[LABELS.get(c, c), fmt(v), fmt(tone.get("shift", {}).get(c))]
                for c, v in tone.get("mean", {}).items()]
        out += [f"<h3>Tone of open-ended generations ({html.escape(str(tone.get('scorer')))}, "
                f"alpha {fmt(tone.get('alpha'))})</h3>",
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
    return [f"<h3>Sample generations (alpha {fmt(gens.get('alpha'))}, greedy)</h3>", table]


def render_markdown(results: dict[str, Any]) -> str:
    """A Markdown version of the summary and per-alpha tables (no plots)."""
    out = ["# steerbridge report", ""]
    out += [f"- **{k}**: {v}" for k, v in _provenance(results)]
    out += [f"- **warning**: {w}" for w in _run_notes(results)]
    out += ["", "## Verdicts", ""]
    if rows := verdict_rows(results):
        out += [markdown_table(VERDICT_COLUMNS, rows), ""]
    out += verdict_lines(results)
    out += ["", HOW_TO_READ, "", "## Summary per behaviour", "",
            markdown_table(SUMMARY_COLUMNS, summary_rows(results)), ""]
    for name, beh in results.get("behaviours", {}).items():
        out += [f"## {name}", ""]
        out += [f"- error: {e}" for e in beh.get("errors", [])]
        out += [f"- warning: {w}" for w in beh.get("warnings", [])]
        out += [f"- {n}" for n in beh.get("notes", [])]
        out += [""] if beh.get("errors") or beh.get("warnings") or beh.get("notes") else []
        if "summary" not in beh:
            continue
        out += [selection_line(beh["selection"]), ""] if beh.get("selection") else []
        out += [markdown_table(*sweep_rows(beh)), ""]
        tone = beh.get("tone")
        if tone:
            out += [f"Tone ({tone.get('scorer')}, alpha {fmt(tone.get('alpha'))}): "
                    + ", ".join(f"{LABELS.get(c, c)} {fmt(v)}"
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
    html_path, md_path = d / "report.html", d / "report.md"
    write_text(html_path, render_html(results), kind="report")
    write_text(md_path, render_markdown(results), kind="report")
    return html_path, md_path


def _run_notes(results: dict[str, Any]) -> list[str]:
    """Failed behaviours and run-wide warnings, for the top of the report."""
    behaviours = results.get("behaviours", {})
    failed = [n for n, b in behaviours.items() if "summary" not in b]
    out = [f"{len(failed)} of {len(behaviours)} behaviours failed: {', '.join(failed)}"
           ] if failed else []
    return out + [str(w) for w in results.get("warnings", [])]
