"""Shared fixtures: tiny models, an isolated steerbridge cache, and the real-model skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(2)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REAL_SOURCE = "qwen2.5-coder-0.5b"
REAL_TARGET = "qwen2.5-coder-1.5b"


def real_pair_installed() -> bool:
    from steerbridge.models import zoo

    return zoo.is_installed(REAL_SOURCE) and zoo.is_installed(REAL_TARGET)


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point STEERBRIDGE_HOME at a temporary folder."""
    monkeypatch.setenv("STEERBRIDGE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def real_pair():
    """The real Qwen pair (bf16), skipped when not installed."""
    if not real_pair_installed():
        pytest.skip("real models not installed: run `steerbridge models install`")
    from steerbridge.models.loading import load

    return load(REAL_SOURCE), load(REAL_TARGET)
