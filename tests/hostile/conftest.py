"""Fixtures of the hostile-input suite (issue 13): the command line run as a user runs it,
tiny models in memory and saved as folders."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_kit import Ran

from steerbridge.models.tiny import tiny_pair


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
        ) -> Callable[..., Ran]:
    """Run ``steerbridge ARGS`` through the real entry point (`console.run_app`)."""
    from steerbridge.cli import app
    from steerbridge.cli.console import run_app

    def run(*args: Any) -> Ran:
        monkeypatch.setattr(sys, "argv", ["steerbridge", *map(str, args)])
        capsys.readouterr()
        try:
            run_app(app)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        cap = capsys.readouterr()
        return Ran(code, cap.out, cap.err)

    return run


@pytest.fixture(scope="session")
def tiny_models() -> tuple[Any, Any]:
    """One tiny (source, target) pair for the whole suite."""
    return tiny_pair()


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory: pytest.TempPathFactory, tiny_models: tuple[Any, Any]
               ) -> tuple[Path, Path]:
    """The tiny pair saved as Hugging Face folders, for the command line."""
    root = tmp_path_factory.mktemp("models")
    out = []
    for lm, name in zip(tiny_models, ("src", "tgt"), strict=True):
        lm.model.save_pretrained(root / name)
        lm.tokenizer.save_pretrained(root / name)
        out.append(root / name)
    return out[0], out[1]


@pytest.fixture(autouse=True)
def _quick_report_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip drawing the report's figures (about a second per behaviour; tested elsewhere): these
    tests read the report's text, not its pictures."""
    from steerbridge.evaluation import report

    for name in ("sweep_plot", "scatter_plot", "heatmap_plot"):
        monkeypatch.setattr(report, name, lambda *a, **k: "")
