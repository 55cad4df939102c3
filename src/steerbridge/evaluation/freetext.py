"""Free text: open-ended generations under each vector, their VADER tone, and the pass rule.

The A/B score reads one answer letter; a vector worth transferring must also move what the
model writes. The rule that decides it (issue 4), on greedy continuations of unseen prompts:

- a prompt is *moved* at alpha when its VADER compound score shifts from the unsteered text's
  by more than `threshold` (default `THRESHOLD`) in the sign of alpha (alpha ≤ 0 counts as
  negative);
- at one alpha the transferred vector *passes* when it moves at least `need` prompts (default
  `NEED`, 4 of 5) while every random direction moves fewer than `need`: the worst-case seed,
  so a lucky one cannot hide behind an average; random *source* vectors carried by the same
  method (runs named ``srcrand:<seed>``, where a run kept them) count as controls the same way;
- a larger prompt set can also be judged in blocks of consecutive prompts, each block by the
  same rule with "moved" recounted on its prompts.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.safeio import read_json
from steerbridge.vectors.datasets import builtin_open_prompts
from steerbridge.vectors.steering import generate
from steerbridge.vectors.vector import SteeringVector

THRESHOLD = 0.1
NEED = 4


def vader_scores(texts: Sequence[str]) -> list[float]:
    """VADER compound sentiment of each text, -1..1 (needs the optional vaderSentiment)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    return [float(sia.polarity_scores(t)["compound"]) for t in texts]


def moved(scores: Sequence[float], base: Sequence[float], alpha: float,
          threshold: float = THRESHOLD) -> int:
    """Prompts whose score moved by more than `threshold` in the direction of alpha's sign."""
    sign = 1.0 if alpha > 0 else -1.0
    return sum(1 for s, b in zip(scores, base, strict=True) if sign * (s - b) > threshold)


@dataclass(frozen=True)
class ScoredRun:
    """One vector at one alpha: its texts, their scores and how many prompts moved."""

    alpha: float
    vector: str
    texts: list[str]
    vader: list[float]
    moved: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScoredRun:
        return cls(d["alpha"], d["vector"], list(d.get("texts", [])), list(d["vader"]),
                   d["moved"])


@dataclass(frozen=True)
class Verdict:
    """The rule at one alpha: prompts moved by W·v, the native vector and each random one.

    ``native`` is None without a native run; ``shift`` (each vector's mean score shift in the
    sign of alpha) is None when the unsteered scores were not given.
    """

    alpha: float
    transferred: int
    native: int | None
    random: list[int]
    random_max: int
    passed: bool
    shift: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"alpha": self.alpha, "transferred": self.transferred,
                             "native": self.native, "random": list(self.random),
                             "random_max": self.random_max, "pass": self.passed}
        if self.shift is not None:
            d["shift"] = dict(self.shift)
        return d


def verdicts(runs: Sequence[ScoredRun], need: int = NEED,
             base: Sequence[float] | None = None) -> list[Verdict]:
    """One `Verdict` per alpha, in the order the alphas first appear in `runs`.

    The transferred slot is the run named ``transferred`` (0 moved when absent); random runs
    are those whose name starts with ``random``, random-source controls ``srcrand`` (they can
    fail the rule too, but are not counted in ``random``). With the unsteered scores `base`, each
    vector's mean shift in the sign of alpha is reported too (a graded view of the same texts).
    """
    out = []
    for alpha in dict.fromkeys(r.alpha for r in runs):
        at = {r.vector: r for r in runs if r.alpha == alpha}
        rand = [r.moved for name, r in at.items() if name.startswith("random")]
        src = [r.moved for name, r in at.items() if name.startswith("srcrand")]
        tr = at["transferred"].moved if "transferred" in at else 0
        shift = None
        if base is not None:
            sign = 1.0 if alpha > 0 else -1.0
            shift = {name: sign * statistics.mean(s - b for s, b in
                                                  zip(r.vader, base, strict=True))
                     for name, r in at.items()}
        out.append(Verdict(alpha=alpha, transferred=tr,
                           native=at["native"].moved if "native" in at else None,
                           random=rand, random_max=max(rand, default=0),
                           passed=tr >= need and max(rand + src, default=0) < need,
                           shift=shift))
    return out


def block(runs: Sequence[ScoredRun], base: Sequence[float], lo: int, hi: int,
          threshold: float = THRESHOLD) -> list[ScoredRun]:
    """The runs restricted to prompts lo..hi-1, with "moved" recounted there."""
    b = list(base[lo:hi])
    return [ScoredRun(r.alpha, r.vector, r.texts[lo:hi], r.vader[lo:hi],
                      moved(r.vader[lo:hi], b, r.alpha, threshold)) for r in runs]


def block_verdicts(runs: Sequence[ScoredRun], base: Sequence[float], size: int,
                   need: int = NEED, threshold: float = THRESHOLD
                   ) -> list[tuple[int, int, list[Verdict]]]:
    """``(lo, hi, verdicts)`` for each block of `size` consecutive prompts (none if size ≤ 0).

    ``hi`` is ``lo + size`` even for a last block that is shorter.
    """
    if size <= 0:
        return []
    return [(lo, lo + size, verdicts(block(runs, base, lo, lo + size, threshold), need,
                                     base[lo:lo + size]))
            for lo in range(0, len(base), size)]


def format_verdict(v: Verdict) -> str:
    """One line: moved counts, PASS or no, and the mean shifts when known."""
    shift = v.shift or {}
    rnd = [x for k, x in shift.items() if k.startswith("random")]
    src = [x for k, x in shift.items() if k.startswith("srcrand")]
    extra = (f"; mean shift W·v {shift.get('transferred', math.nan):+.2f}, native "
             f"{shift.get('native', math.nan):+.2f}, random max {max(rnd):+.2f}"
             if rnd else "")
    if src:  # random source vectors through the same method (`steerbridge run` keeps them)
        extra += f", random source max {max(src):+.2f}"
    return (f"  alpha {v.alpha:+.2f}: transferred {v.transferred}, native {v.native}, random "
            f"max {v.random_max} -> {'PASS' if v.passed else 'no'}{extra}")


# ---------------------------------------------------------------- making the free text


def read_open_prompts(path: str | Path) -> list[str]:
    """Open prompts from a JSON list of strings or of ``{"question": ...}`` objects, or from
    ``{"prompts": [...]}``."""
    data = read_json(path, "Open-ended prompt file")
    raw = data["prompts"] if isinstance(data, dict) and "prompts" in data else data
    if not isinstance(raw, list) or not raw:
        raise SteerbridgeError(f"{path}: expected a non-empty JSON list of prompts (strings or "
                               '{"question": ...} objects), or {"prompts": [...]}.')
    prompts = [r["question"] if isinstance(r, dict) and "question" in r else r for r in raw]
    if not all(isinstance(p, str) and p.strip() for p in prompts):
        raise SteerbridgeError(f"{path}: every prompt must be a non-empty string or a "
                               '{"question": "..."} object; fix or remove the others.')
    return prompts


def open_prompts(behaviour: str, path: str | Path | None = None) -> list[str]:
    """The prompts of `path` (`read_open_prompts`), else the built-in behaviour's own."""
    return builtin_open_prompts(behaviour) if path is None else read_open_prompts(path)


def generations(lm: LoadedModel, prompts: Sequence[str], vectors: dict[str, SteeringVector],
                alpha: float, max_new_tokens: int = 40, system: str | None = None
                ) -> dict[str, Any]:
    """Greedy continuations, unsteered and under each vector at `alpha`, for open questions."""
    outs: dict[str, list[str]] = {"none": generate(lm, list(prompts), None, 0.0, max_new_tokens,
                                                   system=system)}
    for name, vec in vectors.items():
        outs[name] = generate(lm, list(prompts), vec, alpha, max_new_tokens, system=system)
    conds = list(outs)
    samples = [{"prompt": p, "outputs": {c: outs[c][i] for c in conds}}
               for i, p in enumerate(prompts)]
    return {"alpha": float(alpha), "max_new_tokens": max_new_tokens, "conditions": conds,
            "samples": samples}


def vader_tone(gens: dict[str, Any]) -> dict[str, Any]:
    """Mean VADER compound sentiment per condition of `generations` and its shift from
    unsteered."""
    texts = [(c, text) for s in gens["samples"] for c, text in s["outputs"].items()]
    per: dict[str, list[float]] = {}
    for (c, _), score in zip(texts, vader_scores([t for _, t in texts]), strict=True):
        per.setdefault(c, []).append(score)
    mean = {c: float(np.mean(v)) for c, v in per.items()}
    base = mean.get("none", math.nan)
    return {"scorer": "vader", "alpha": gens["alpha"], "n": len(gens["samples"]), "mean": mean,
            "shift": {c: v - base for c, v in mean.items() if c != "none"}, "per_sample": per}


def scored_runs(lm: LoadedModel, prompts: Sequence[str], vectors: dict[str, SteeringVector],
                alphas: Sequence[float], base: Sequence[float], threshold: float = THRESHOLD,
                max_new_tokens: int = 48) -> Iterator[ScoredRun]:
    """Generate under every vector at every alpha (alpha by alpha), score each text and count
    the prompts moved from the unsteered scores `base`; yields each run as soon as it is done
    (a caller prints and saves as it goes)."""
    for alpha in alphas:
        for name, vec in vectors.items():
            texts = generate(lm, list(prompts), vec, alpha, max_new_tokens=max_new_tokens)
            sc = vader_scores(texts)
            yield ScoredRun(alpha, name, texts, sc, moved(sc, base, alpha, threshold))


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every free-text steering script shares (behaviour, prompts, the rule)."""
    ap.add_argument("--behaviour", default="positive-tone")
    ap.add_argument("--items", type=int, default=160, help="generate items for the vectors")
    ap.add_argument("--prompts", type=int, default=5, help="open-ended prompts (unseen)")
    ap.add_argument("--prompt-file", default=None,
                    help="JSON list (or {'prompts': [...]}) to use instead of the behaviour's "
                         "built-in open prompts")
    ap.add_argument("--alphas", type=float, nargs="+", default=[-0.4, -0.2, 0.2, 0.4])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--tokens", type=int, default=48)
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    ap.add_argument("--need", type=int, default=NEED,
                    help="prompts that must move for a pass (issue 4: 4 of 5)")
    ap.add_argument("--read", default="answer_letter", choices=["answer_letter", "answer_text"],
                    help="where vectors are read: the answer letter (CAA) or its text's end")
    ap.add_argument("--dtype", default="auto")
