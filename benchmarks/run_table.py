"""The per-behaviour summary table of a run directory, also while the run is unfinished.

`steerbridge run` writes the report only at the end; every behaviour's evaluation is cached in
``eval/<name>-<hash>.json`` as soon as it is done. This prints the report's summary table
(Markdown) from those files, so a long run (the CAA benchmark) can be read as it goes.

    .venv/bin/python benchmarks/run_table.py runs/caa
"""

from __future__ import annotations

import argparse
from pathlib import Path

from steerbridge.evaluation.report import SUMMARY_COLUMNS, markdown_table, summary_rows
from steerbridge.run.rundir import find_evaluations, read_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    args = ap.parse_args()
    behaviours = {name: read_json(path) for name, path in find_evaluations(args.run).items()}
    rows = summary_rows({"behaviours": behaviours})
    print(markdown_table(SUMMARY_COLUMNS, rows))
    print(f"\n{len(rows)} behaviour(s) evaluated in {args.run}")


if __name__ == "__main__":
    main()
