"""Two CPU processes under torchrun (gloo) give the statistics and bridge of one process.

Each test launches real processes (`python -m torch.distributed.run --standalone`, which picks a
free loopback port itself) with a timeout; the whole process group is killed on a timeout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from steerbridge.bridge.distributed import Shard
from steerbridge.bridge.pairstats import PairStats
from steerbridge.errors import SteerbridgeError

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "dist_worker.py"
TIMEOUT_S = 300


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = "1"  # what torchrun sets: the same kernels in every process
    env["HF_HUB_OFFLINE"] = "1"
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    return env


def _start(args: list[str], nproc: int) -> subprocess.Popen[str]:
    if nproc > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc-per-node={nproc}", *args]
    else:
        cmd = [sys.executable, *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _wait(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the launcher and every rank it started
        out, _ = proc.communicate()
        pytest.fail(f"timed out after {TIMEOUT_S} s:\n{out[-3000:]}")
    return proc.returncode, out


def _run(args: list[str], nproc: int) -> str:
    code, out = _wait(_start(args, nproc))
    assert code == 0, out[-3000:]
    return out


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double(), b.double()
    return float((a - b).norm() / b.norm()) if b.norm() > 0 else float((a - b).norm())


def _same_stats(one: Path, two: Path) -> None:
    for i in (0, 1):
        a, b = PairStats.load(one / f"stats-{i}.safetensors"), PairStats.load(
            two / f"stats-{i}.safetensors")
        for part in ("train", "val"):
            ma, mb = getattr(a, part), getattr(b, part)
            assert ma.count == mb.count > 0
            for fa, fb in zip(ma.fields(), mb.fields(), strict=True):
                assert _rel(fb, fa) <= 1e-12, (i, part)
        for name in ("test_x", "test_y", "test_source", "test_batch"):
            assert torch.equal(getattr(a, name), getattr(b, name)), (i, name)
        assert a.dropped == b.dropped and a.batches_done == b.batches_done and b.complete


def _same_bridge(one: Path, two: Path) -> None:
    ra = load_file(str(one / "ridge64.safetensors"))
    rb = load_file(str(two / "ridge64.safetensors"))
    for i in (0, 1):
        assert float(ra[f"lambda{i}"]) == float(rb[f"lambda{i}"])
        assert _rel(rb[f"W{i}"], ra[f"W{i}"]) <= 1e-12
        assert _rel(rb[f"b{i}"], ra[f"b{i}"]) <= 1e-12
    ba, bb = load_file(str(one / "bridge.safetensors")), load_file(str(two / "bridge.safetensors"))
    torch.testing.assert_close(bb["W"], ba["W"], rtol=1e-6, atol=1e-7)  # stored as float32
    torch.testing.assert_close(bb["b"], ba["b"], rtol=1e-6, atol=1e-7)


def _forwards(out: Path, tag: str) -> int:
    return int(json.loads((out / f"forwards-{tag}.json").read_text())["n"])


def test_two_gloo_ranks_give_the_moments_and_bridge_of_one(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    ref = _start([str(WORKER), str(one)], 1)  # both at once: half the wall time
    dist = _start([str(WORKER), str(two)], 2)
    code, out = _wait(ref)
    assert code == 0, out[-3000:]
    code, out = _wait(dist)
    assert code == 0, out[-3000:]
    _same_stats(one, two)
    _same_bridge(one, two)
    n = _forwards(one, "rank0of1")
    assert _forwards(two, "rank0of2") + _forwards(two, "rank1of2") == n  # batches split, once
    assert abs(_forwards(two, "rank0of2") - _forwards(two, "rank1of2")) <= 1


def test_a_crashed_rank_resumes_from_its_own_checkpoint(tmp_path: Path) -> None:
    cache, crashed, resumed, one = (tmp_path / d for d in ("cache", "crash", "resume", "one"))
    ref = _start([str(WORKER), str(one)], 1)
    code, out = _wait(_start([str(WORKER), str(crashed), "--cache", str(cache),
                              "--crash-rank", "1", "--crash-after", "3"], 2))
    assert code != 0, "rank 1 should have died"
    assert list(cache.glob("*-rank1of2.safetensors")), "rank 1 left no checkpoint"
    _run([str(WORKER), str(resumed), "--cache", str(cache)], 2)
    code, out = _wait(ref)
    assert code == 0, out[-3000:]
    n = _forwards(one, "rank0of1")
    assert _forwards(resumed, "rank1of2") == n // 2 - 3  # its share, less the 3 checkpointed
    assert _forwards(resumed, "rank0of2") <= n - n // 2
    _same_stats(one, resumed)
    _same_bridge(one, resumed)
    # the merged totals are cached under the one-process key: a third run forwards nothing
    _run([str(WORKER), str(tmp_path / "again"), "--cache", str(cache)], 2)
    assert _forwards(tmp_path / "again", "rank0of2") == _forwards(tmp_path / "again",
                                                                   "rank1of2") == 0


def test_shard_takes_every_world_th_batch() -> None:
    assert Shard(0, 2).batches(5) == [0, 2, 4] and Shard(1, 2).batches(5) == [1, 3]
    assert Shard().batches(3) == [0, 1, 2] and Shard(1, 3).tag() == "rank1of3"
    with pytest.raises(SteerbridgeError):
        Shard(2, 2)


def test_cli_fit_bridge_under_torchrun(tmp_path: Path) -> None:
    """`torchrun -m steerbridge.cli fit-bridge`: two gloo ranks, rank 0 alone writes and
    prints; the bridge equals the one of the same command run as one process."""
    from steerbridge.models.tiny import tiny_pair

    for lm, name in zip(tiny_pair(), ("src", "tgt"), strict=True):
        lm.model.save_pretrained(tmp_path / name)
        lm.tokenizer.save_pretrained(tmp_path / name)

    def args(out: str) -> list[str]:
        return ["-m", "steerbridge.cli", "fit-bridge", "--source", str(tmp_path / "src"),
                "--target", str(tmp_path / "tgt"), "-s", "1", "-t", "2", "--device", "cpu",
                "--dtype", "float32", "--max-tokens", "1500", "--window", "32",
                "--batch-size", "3", "--cache-dir", str(tmp_path / out / "cache"),
                "-o", str(tmp_path / out / "bridge.safetensors")]

    one = _start(args("one"), 1)
    out = _run(args("two"), 2)
    assert out.count("bridge written to") == 1 and "torchrun: 2 ranks, backend gloo" in out
    assert len(list((tmp_path / "two" / "cache").glob("*rank*of2.safetensors"))) == 2
    code, ref = _wait(one)
    assert code == 0, ref[-3000:]
    a = load_file(str(tmp_path / "one" / "bridge.safetensors"))
    b = load_file(str(tmp_path / "two" / "bridge.safetensors"))
    torch.testing.assert_close(b["W"], a["W"], rtol=1e-6, atol=1e-7)
