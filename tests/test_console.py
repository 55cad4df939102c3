"""Progress off a terminal: plain log lines, not a bar that never draws."""

from __future__ import annotations

import io

from rich.console import Console

from steerbridge.cli.console import LogProgress


def test_log_progress_prints_lines_when_due_and_at_the_end():
    out = io.StringIO()
    prog = LogProgress(Console(file=out, force_terminal=False, width=200), every=0.0)
    with prog as p:
        tid = p.add_task("collect", total=4)
        p.advance(tid, 1)
        p.update(tid, completed=4)
        p.advance(tid, 0)  # already complete: no second final line
        other = p.add_task("unbounded")
        p.advance(other, 3)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("collect: 1/4 (25 %)")
    assert sum(line.startswith("collect: 4/4 (100 %)") for line in lines) == 1
    assert any(line.startswith("unbounded: 3 after") for line in lines)


def test_log_progress_is_quiet_between_reports():
    out = io.StringIO()
    with LogProgress(Console(file=out, force_terminal=False), every=3600.0) as p:
        tid = p.add_task("sweep", total=10)
        for _ in range(9):
            p.advance(tid, 1)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sweep: 9/10 (90 %)")  # only the exit line
