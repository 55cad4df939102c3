"""The free-text pass rule on hand-made scores: moved counts, verdicts, blocks, prompt files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import freetext as F
from steerbridge.evaluation.freetext import ScoredRun


def run(alpha: float, vector: str, vader: list[float], base: list[float],
        threshold: float = F.THRESHOLD) -> ScoredRun:
    return ScoredRun(alpha, vector, [""] * len(vader), vader,
                     F.moved(vader, base, alpha, threshold))


def test_moved_counts_strict_shifts_in_the_sign_of_alpha() -> None:
    base = [0.0, 0.0, 0.0, 0.0]
    assert F.moved([0.2, 0.1, -0.5, 0.11], base, +0.4) == 2  # 0.1 is not > 0.1
    assert F.moved([0.2, 0.1, -0.5, -0.11], base, -0.4) == 2
    assert F.moved([-0.2], [0.0], 0.0) == 1  # alpha 0 counts as negative
    assert F.moved([0.3], [0.0], 0.4, threshold=0.5) == 0


def test_pass_needs_transferred_at_least_need_and_every_random_below() -> None:
    base = [0.0] * 5
    up = [0.5] * 5  # moves all five
    four = [0.5, 0.5, 0.5, 0.5, 0.0]
    three = [0.5, 0.5, 0.5, 0.0, 0.0]
    runs = [run(0.4, "transferred", four, base), run(0.4, "native", up, base),
            run(0.4, "random:0", three, base), run(0.4, "random:1", base, base)]
    (v,) = F.verdicts(runs, need=4)
    assert (v.transferred, v.native, v.random, v.random_max, v.passed) == (4, 5, [3, 0], 3, True)
    # one lucky random seed at 4/5 fails the rule, whatever the others do
    (v,) = F.verdicts([*runs, run(0.4, "random:2", four, base)], need=4)
    assert v.random_max == 4 and not v.passed
    # W·v at 3/5 fails too
    (v,) = F.verdicts([run(0.4, "transferred", three, base), runs[2]], need=4)
    assert not v.passed and v.native is None


def test_verdicts_per_alpha_in_first_seen_order_with_shifts() -> None:
    base = [0.1, -0.1]
    runs = [run(0.4, "transferred", [0.3, 0.3], base), run(-0.4, "transferred", [0.0, -0.4], base),
            run(0.4, "random:0", [0.1, -0.1], base)]
    vs = F.verdicts(runs, need=1, base=base)
    assert [v.alpha for v in vs] == [0.4, -0.4]
    assert vs[0].shift == pytest.approx({"transferred": 0.3, "random:0": 0.0})
    assert vs[1].shift == pytest.approx({"transferred": 0.2})  # in the sign of alpha
    assert vs[1].random == [] and vs[1].random_max == 0 and vs[1].passed
    assert F.verdicts([run(0.4, "random:0", [1.0], [0.0])], need=1)[0].transferred == 0
    assert F.verdicts(runs, need=1)[0].shift is None
    d = vs[0].to_dict()
    assert list(d) == ["alpha", "transferred", "native", "random", "random_max", "pass", "shift"]


def test_blocks_of_five_recount_moved_per_block() -> None:
    base = [0.0] * 12
    tr = [0.5] * 5 + [0.5, 0.5, 0.0, 0.0, 0.0] + [0.5, 0.5]
    rnd = [0.0] * 5 + [0.5] * 5 + [0.0, 0.0]
    runs = [run(0.3, "transferred", tr, base), run(0.3, "random:0", rnd, base)]
    blocks = F.block_verdicts(runs, base, 5, need=4)
    assert [(lo, hi) for lo, hi, _ in blocks] == [(0, 5), (5, 10), (10, 15)]  # hi as printed
    got = [(vs[0].transferred, vs[0].random_max, vs[0].passed) for _, _, vs in blocks]
    assert got == [(5, 0, True), (2, 5, False), (2, 0, False)]
    assert F.block_verdicts(runs, base, 0) == []
    assert [r.moved for r in F.block(runs, base, 5, 10)] == [2, 5]


def test_format_verdict_line() -> None:
    v = F.Verdict(alpha=-0.4, transferred=4, native=5, random=[1, 3], random_max=3, passed=True,
                  shift={"transferred": 0.31, "native": 0.4, "random:0": 0.02, "random:1": 0.1})
    assert F.format_verdict(v) == ("  alpha -0.40: transferred 4, native 5, random max 3 -> PASS; "
                                   "mean shift W·v +0.31, native +0.40, random max +0.10")
    with_src = F.Verdict(alpha=-0.4, transferred=4, native=5, random=[1], random_max=1,
                         passed=True, shift={"transferred": 0.3, "random:0": 0.1,
                                             "srcrand:0": -0.05, "srcrand:1": 0.02})
    assert F.format_verdict(with_src).endswith("random max +0.10, random source max +0.02")
    # a random source vector is its own control, not one of the random target directions
    runs = [F.ScoredRun(-0.4, name, ["t"] * 5, [0.0] * 5, moved)
            for name, moved in (("transferred", 4), ("random:0", 1), ("srcrand:0", 5))]
    found = F.verdicts(runs, 4, [0.5] * 5)[0]
    assert found.random == [1] and not found.passed  # ... that fails the rule when it moves 5
    assert F.format_verdict(found).endswith("random source max +0.50")
    quiet = F.verdicts([*runs[:2], F.ScoredRun(-0.4, "srcrand:0", ["t"] * 5, [0.0] * 5, 1)], 4)
    assert quiet[0].passed
    bare = F.Verdict(alpha=0.2, transferred=1, native=None, random=[], random_max=0,
                     passed=False)
    assert F.format_verdict(bare) == ("  alpha +0.20: transferred 1, native None, random max 0 "
                                      "-> no")


def test_scored_run_round_trips_the_saved_record() -> None:
    d = {"alpha": 0.4, "vector": "random:3", "texts": ["a"], "vader": [0.2], "moved": 1}
    assert ScoredRun.from_dict(d).to_dict() == d


def test_open_prompt_files(tmp_path: Path) -> None:
    for data in (["a", "b"], {"prompts": ["a", "b"]}, [{"question": "a"}, "b"]):
        (tmp_path / "p.json").write_text(json.dumps(data))
        assert F.read_open_prompts(tmp_path / "p.json") == ["a", "b"]
    for bad in ([], {"x": 1}, [1, 2]):
        (tmp_path / "p.json").write_text(json.dumps(bad))
        with pytest.raises(SteerbridgeError):
            F.read_open_prompts(tmp_path / "p.json")
    assert F.open_prompts("positive-tone")  # the built-in behaviour's own


def test_vader_tone_from_generations() -> None:
    gens = {"alpha": 1.0, "samples": [
        {"outputs": {"none": "This is terrible and sad.", "v": "What a wonderful, lovely day!"}},
        {"outputs": {"none": "Awful.", "v": "Great!"}}]}
    tone = F.vader_tone(gens)
    assert tone["n"] == 2 and list(tone["per_sample"]) == ["none", "v"]
    assert tone["per_sample"]["v"] == F.vader_scores(["What a wonderful, lovely day!", "Great!"])
    assert tone["shift"]["v"] > 0.5
