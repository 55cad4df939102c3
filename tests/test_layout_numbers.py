"""The numbers survive code moves: rerun the tiny experiment whose outputs the pre-layout code
wrote to ``tests/fixtures/layout`` (by ``tools/write_layout_fixtures.py``) and compare.

On the CPU that wrote the fixtures the comparison is exact (bit-identical); on another CPU's
vector units float32 sums may round differently, so it falls back to a tight tolerance
(1e-4 relative; 1e-3 for retentions, which divide by Δp that can be small: a random
direction's odd Δp over a weak native odd Δp reads 3.1, and AVX512 against AVX2 rounding
moved it by 6e-4 relative).
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "layout"


def _writer():
    spec = importlib.util.spec_from_file_location(
        "write_layout_fixtures", ROOT / "tools" / "write_layout_fixtures.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def rerun(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bool]:
    writer = _writer()
    out = tmp_path_factory.mktemp("layout")
    threads = torch.get_num_threads()
    try:
        writer.main(out)
    finally:
        torch.set_num_threads(threads)
    recorded = json.loads((FIXTURES / "machine.json").read_text())
    same_cpu = (recorded["cpu_flags"] == writer.cpu_flags()
                and recorded["torch"] == torch.__version__)
    return out, same_cpu


def _tensors_equal(name: str, new_dir: Path, exact: bool) -> None:
    old, new = load_file(str(FIXTURES / name)), load_file(str(new_dir / name))
    assert old.keys() == new.keys(), name
    for key in old:
        if exact:
            assert torch.equal(old[key], new[key]), f"{name}:{key} differs"
        else:
            torch.testing.assert_close(new[key], old[key], rtol=1e-5, atol=1e-6)


def _vector_name(folder: Path, role: str) -> str:
    return next(folder.glob(f"*-{role}.safetensors")).name


def test_bridge_and_vectors_unchanged(rerun: tuple[Path, bool]) -> None:
    out, exact = rerun
    _tensors_equal("bridge.safetensors", out, exact)
    _tensors_equal("transferred.safetensors", out, exact)
    for role in ("source", "native"):
        old, new = _vector_name(FIXTURES, role), _vector_name(out, role)
        a, b = load_file(str(FIXTURES / old)), load_file(str(out / new))
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]) if exact else torch.allclose(a[key], b[key],
                                                                             rtol=1e-5, atol=1e-6)


def _walk(old: object, new: object, path: str, exact: bool) -> None:
    if isinstance(old, dict):
        assert isinstance(new, dict) and old.keys() == new.keys(), path
        for k in old:
            _walk(old[k], new[k], f"{path}.{k}", exact)
    elif isinstance(old, list):
        assert isinstance(new, list) and len(old) == len(new), path
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, f"{path}[{i}]", exact)
    elif isinstance(old, float) and isinstance(new, float) and not exact:
        rel = 1e-3 if "retention" in path else 1e-4
        assert (math.isnan(old) and math.isnan(new)) or math.isclose(
            old, new, rel_tol=rel, abs_tol=1e-6), path
    else:
        assert old == new, f"{path}: {old!r} != {new!r}"


def test_evaluation_summary_unchanged(rerun: tuple[Path, bool]) -> None:
    out, exact = rerun
    old = json.loads((FIXTURES / "summary.json").read_text())
    new = json.loads((out / "summary.json").read_text())
    _walk(old, new, "summary", exact)
