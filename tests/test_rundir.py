"""The run-directory layout: paths, finding a run's vectors and evaluations, atomic JSON."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from steerbridge.run.rundir import (
    RunDir,
    find_evaluations,
    find_moments,
    find_vectors,
    read_json,
    write_json,
)

K1, K2 = "0123456789abcdef", "fedcba9876543210"


def touch(path: Path, mtime: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    if mtime is not None:
        os.utime(path, ns=(mtime, mtime))
    return path


def test_paths_follow_the_layout(tmp_path: Path) -> None:
    rd = RunDir(tmp_path)
    assert rd.bridge(K1).name == f"bridge-{K1}.safetensors"
    assert rd.pairs(K1).name == f"pairs-{K1}.json"
    assert rd.vector("positive-tone", K1, "native") == \
        tmp_path / "vectors" / f"positive-tone-{K1}-native.safetensors"
    assert rd.evaluation("caution", K1) == tmp_path / "eval" / f"caution-{K1}.json"
    assert rd.evaluation("caution", K1, source=True).name == f"caution-{K1}-source.json"
    assert (rd.results.name, rd.scales.name, rd.moments.name) == \
        ("results.json", "scales.json", "moments")


def test_find_vectors_pairs_source_and_native_latest_config(tmp_path: Path) -> None:
    rd = RunDir(tmp_path)
    touch(rd.vector("positive-tone", K1, "source"), 1_000)
    touch(rd.vector("positive-tone", K1, "native"), 1_000)
    touch(rd.vector("positive-tone", K2, "source"), 2_000)  # newer config
    touch(rd.vector("positive-tone", K2, "native"), 2_000)
    touch(rd.vector("only-source", K1, "source"))  # no native: not a pair
    touch(tmp_path / "vectors" / "notes-source.safetensors")  # not a run file
    found = find_vectors(tmp_path)
    assert found == {"positive-tone": (rd.vector("positive-tone", K2, "source"),
                                       rd.vector("positive-tone", K2, "native"))}


def test_find_evaluations_skips_source_sweeps(tmp_path: Path) -> None:
    rd = RunDir(tmp_path)
    touch(rd.evaluation("a-b", K1))
    touch(rd.evaluation("a-b", K1, source=True))
    touch(rd.evaluation("c", K2))
    assert find_evaluations(tmp_path) == {"a-b": rd.evaluation("a-b", K1),
                                          "c": rd.evaluation("c", K2)}
    assert find_evaluations(tmp_path / "missing") == {}
    touch(rd.moments / "moments-2.safetensors")
    touch(rd.moments / "moments-1.safetensors")
    assert [p.name for p in find_moments(tmp_path)] == ["moments-1.safetensors",
                                                       "moments-2.safetensors"]


def test_write_json_is_valid_json_with_nan_as_null(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    write_json(path, {"a": math.nan, "b": [1.0, math.inf]})
    assert json.loads(path.read_text()) == {"a": None, "b": [1.0, None]}
    assert read_json(path) == {"a": None, "b": [1.0, None]}
    assert not list(tmp_path.glob("*.tmp"))
