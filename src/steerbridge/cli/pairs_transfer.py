"""`steerbridge pairs --by transfer`: the options checked before loading, the measurement run,
its tables printed (the library side is `steerbridge.evaluation.pair_transfer`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from steerbridge.cli.console import check_output, console
from steerbridge.errors import SteerbridgeError

BY = ("r2", "transfer")
BEHAVIOUR_HELP = ("With --by transfer: a built-in behaviour to measure transfer on; repeat for "
                  "several (default: the demo's joy, formal-greeting, caution).")
ALPHAS_HELP = "With --by transfer: comma-separated alphas (units of the layer's median norm)."
AB_HELP = ("With --by transfer: a behaviour of your own as NAME=GENERATE.json,TEST.json (A/B "
           "files in the model-written-evals format); repeat for several. Without --behaviour, "
           "only these are measured.")
METHOD_HELP = ("With --by transfer: how each source vector is carried: state (W·v), gain (W·v "
               "with its push fitted to the source's own answer change; needs --format text) "
               "or distilled. Default: gain with --format text (the demo's method), else state.")
POSITIONS_HELP = ("With --by transfer: where the models are steered, in the sweeps and the "
                  "gain fit: all (every position) or generated (each answer's tokens and the "
                  "position that predicts the first).")
RANK_BY_HELP = ("With --by transfer: rank the pairs by their verdicts (more 'transfers', then "
                "more 'transfers' or 'partly'), then the margin over the random target "
                "directions, in p (the verdict rule's instrument) or on the per-token answer "
                "log-odds (logodds; text answers show the difference).")
METHOD_ALPHA_HELP = ("With --method gain or distilled: the push (units of the layer's median "
                     "norm) at which the source's own change is matched.")


def settings(by: str, behaviours: list[str] | None, alphas: str, test_items: int,
             generate_items: int, answer_prefix: str, batch_size: int, out_dir: Path,
             force: bool, answer_format: str = "text", method: str | None = None,
             method_alpha: float = 0.4, ab_files: list[str] | None = None,
             positions: str = "all", rank_by: str = "p") -> Any:
    """The measurement's `Settings` for ``--by transfer`` (None for ``--by r2``), every option
    and output path checked so that a mistake fails before any model loads."""
    from steerbridge.evaluation.dose import FORMATS
    from steerbridge.evaluation.pair_transfer import DEFAULT_BEHAVIOURS, Settings, behaviour_items
    from steerbridge.evaluation.pair_transfer_report import FILES

    if by not in BY:
        raise SteerbridgeError(f"--by {by!r}: use one of {', '.join(BY)}.")
    if by == "r2":
        return None
    from steerbridge.evaluation.dose import answer_format as get_format

    fmt = get_format(answer_format)
    if fmt.system is not None:  # `pair_transfer.behaviour_items` refuses it too, after loading
        systemless = ", ".join(n for n, f in FORMATS.items() if f.system is None)
        raise SteerbridgeError(f"--format {fmt.name!r} sets a system line, which the layer-pair "
                               f"sweep does not pass on; use one of {systemless}.")
    try:
        alpha_list = tuple(float(a) for a in alphas.split(",") if a.strip())
    except ValueError:
        raise SteerbridgeError(f"--alphas {alphas!r}: give comma-separated numbers, e.g. "
                               "-0.2,-0.1,0.1,0.2.") from None
    if method is None:  # the demo's method where it applies
        method = "gain" if fmt.text else "state"
    files = tuple(parse_ab_file(spec) for spec in ab_files or ())
    names = [*(behaviours or ([] if files else DEFAULT_BEHAVIOURS)), *(f[0] for f in files)]
    s = Settings(behaviours=tuple(names), files=files, alphas=alpha_list,
                 test_items=test_items, generate_items=generate_items,
                 answer_prefix=answer_prefix, batch_size=batch_size,
                 answer_format=answer_format, transfer=method, transfer_alpha=method_alpha,
                 positions=positions, rank_by=rank_by)  # type: ignore[arg-type]
    for name, _, _ in files:  # a file that does not read, or has no text answers, fails here
        behaviour_items(name, s)
    for name, kind in FILES:
        check_output(out_dir / name, kind, (Path(name).suffix,), force)
    return s


def parse_ab_file(spec: str) -> tuple[str, str, str]:
    """``NAME=GENERATE,TEST`` as (name, generate file, test file), both files existing."""
    name, eq, paths = spec.partition("=")
    parts = [p.strip() for p in paths.split(",")]
    if not eq or not name.strip() or len(parts) != 2 or not all(parts):
        raise SteerbridgeError(f"--ab {spec!r}: write NAME=GENERATE.json,TEST.json, e.g. "
                               "--ab refusal=gen/refusal.json,test/refusal.json.")
    for path in parts:
        if not Path(path).is_file():
            raise SteerbridgeError(f"--ab {spec!r}: {path} is not a file; give the behaviour's "
                                   "generate and test A/B files.")
    return name.strip(), parts[0], parts[1]


def _fmt(v: Any, spec: str = "+.2f") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "-" if v != v else format(v, spec)
    return str(v)


# how a column is printed: signed by default; R² and mass plain, Δp to three places
SPEC = {"r2": ".3f", "answer_mass": ".2f", "source_odd_dp": "+.3f", "native_dp": "+.3f"}


SHORT = {"not judgeable": "n/j", "transfers": "transfers", "partly": "partly", "fails": "fails"}


def _logodds_short(details: dict[str, Any]) -> str:
    """`` (log-odds: VERDICT)`` where the behaviour was also judged on the log-odds."""
    lo = details.get("judgement_logodds")
    return f" (log-odds: {SHORT.get(str(lo.get('verdict')), '?')})" if isinstance(lo, dict) else ""


def tables(ranked: list[Any], title: str) -> tuple[Table, Table]:
    """The ranking (one row per pair) and the per-behaviour detail (pair × behaviour)."""
    top = Table(title=title)
    cols = [("rank", "#"), ("source_layers", "src"), ("target_layer", "tgt"), ("r2", "state R²"),
            ("mean_retention", "retention"), ("mean_odd_retention", "odd ret."),
            ("random_retention", "random ret."), ("margin", "margin"),
            ("margin_all", "margin (all)"), ("margin_logodds", "margin (log-odds)")]
    for _, name in cols:
        top.add_column(name, justify="right")
    top.add_column("judgeable", justify="right")
    top.add_column("transfers", justify="right")
    top.add_column("verdicts")
    for p in ranked:
        r = p.row
        verdicts = ", ".join(f"{b}: {SHORT.get(d['judgement']['verdict'], '?')}"
                             + _logodds_short(d) for b, d in p.details.items())
        top.add_row(*(_fmt(r.get(k), SPEC.get(k, "+.2f")) for k, _ in cols),
                    f"{r['n_judgeable']}/{r['n_behaviours']}",
                    f"{r.get('n_transfers', 0)}/{r['n_behaviours']}", escape(verdicts))
    detail = Table(title="per behaviour (retention at the best native alpha)")
    dcols = [("retention", "retention"), ("odd_retention", "odd ret."),
             ("random_retention", "random ret."), ("source_odd_dp", "source odd Δp"),
             ("native_dp", "native Δp"), ("answer_mass", "answer mass")]
    for name in ("pair", "behaviour", *(n for _, n in dcols), "verdict"):
        detail.add_column(name, justify="left" if name in ("pair", "behaviour", "verdict")
                          else "right")
    for p in ranked:
        r = p.row
        for b, d in p.details.items():
            detail.add_row(f"L{r['source_layers']}→L{r['target_layer']}", escape(b),
                           *(_fmt(r.get(f"{b}:{k}"), SPEC.get(k, "+.2f")) for k, _ in dcols),
                           escape(str(r.get(f"{b}:verdict", "")) + _same_share(d)))
    return top, detail


def _same_share(details: dict[str, Any]) -> str:
    """`` (same in 74% of 200 item resamples)`` where the verdict was resampled."""
    from steerbridge.evaluation.formatting import same_share

    j = details.get("judgement") or {}
    same = same_share(j.get("item_resamples"), j["verdict"]) if "verdict" in j else None
    return f" (same in {same} item resamples)" if same else ""


def run(src: Any, tgt: Any, bridges: list[Any], s: Any, out_dir: Path, title: str,
        provenance: dict[str, Any] | None, force: bool) -> list[Path]:
    """Measure, print both tables, write the three files; returns their paths."""
    from steerbridge.evaluation.pair_transfer import pair_transfer
    from steerbridge.evaluation.pair_transfer_report import write_all
    from steerbridge.evaluation.verdicts import RULE

    console.print(f"measuring transfer on {', '.join(s.behaviours)} for {len(bridges)} "
                  f"pair(s): ≤{s.test_items} test items, alphas {list(s.alphas)}, carried by "
                  f"{s.transfer}, steering {s.positions} positions")
    ranked = pair_transfer(src, tgt, bridges, s, progress=True)
    ranked_on = "p" if s.rank_by == "p" else "the log-odds"
    top, detail = tables(ranked, f"layer pairs by transfer {title}, ranked by the verdicts "
                                 f"then the margin, in {ranked_on} (margin = retention − "
                                 "|random-target retention|, over judgeable behaviours; (all): "
                                 "over every behaviour)")
    console.print(top)
    console.print(detail)
    console.print(f"[dim]verdict rule: {escape(RULE)}[/]")
    return list(write_all(ranked, out_dir, s, title, provenance, force))
