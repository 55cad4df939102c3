"""Dose-response of a model's own steering vector on its own A/B items, per layer and alpha.

Transfer can only carry what the source vector does to the source. Before any transfer is
judged, `dose_response` says at which layer and strength a model's own mean-difference vector
moves that model (Δp, odd Δp, answer mass), beside a random direction of the same norm at the
same layer, under one answer format (`AnswerFormat`: a system line, an instruction appended to
each question, an answer prefix such as ``"("``). Everything here uses the model's own labels on
its own generate split (to build its vector) and test split (to score it): it is the check that
precedes transfer, not a transfer method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from steerbridge.errors import SteerbridgeError, warn
from steerbridge.evaluation.ab import prepare, sweep, total_steps
from steerbridge.evaluation.metrics import delta_p, nanmean, odd_pairs, odd_part
from steerbridge.evaluation.verdicts import MASS_MIN, SOURCE_MIN_ODD
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, progress_context
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.extract import extract
from steerbridge.vectors.text_answers import text_answers_lenient
from steerbridge.vectors.vector import SteeringVector, random_like


@dataclass(frozen=True)
class AnswerFormat:
    """How an A/B question is put to the model: system line, appended instruction, prefix."""

    name: str
    system: str | None = None
    instruction: str | None = None
    prefix: str = ""
    text: bool = False  # the question's stem, each answer scored as text (`text_answers`)

    def apply(self, items: Sequence[ABItem]) -> list[ABItem]:
        """`items` with the instruction appended to each question and the answer prefix set."""
        if self.text:  # items with nothing to contrast as text are left out, with a warning
            conv = text_answers_lenient(items)
            conv.refuse_if_none_left("format text", "fix the items or compare letter formats "
                                     "only")
            if conv.left_out:
                warn(f"format text: {conv.note()}.")
            items = conv.items
        extra = f"\n\n{self.instruction}" if self.instruction else ""
        return [replace(it, question=it.question + extra, answer_prefix=self.prefix)
                for it in items]


_LETTER_LINE = "Answer with (A) or (B) only."
#: The formats `steerbridge dose` compares; a behaviour config sets the same three fields.
FORMATS: dict[str, AnswerFormat] = {f.name: f for f in (
    AnswerFormat("plain"),
    AnswerFormat("instruction", instruction=_LETTER_LINE),
    AnswerFormat("paren", prefix="("),
    AnswerFormat("instruction+paren", instruction=_LETTER_LINE, prefix="("),
    AnswerFormat("text", text=True),
    AnswerFormat("system", system="You answer every multiple-choice question with the letter "
                                  "of one choice, (A) or (B)."),
)}


def answer_format(name: str) -> AnswerFormat:
    """The named format; a clear error listing the known ones otherwise."""
    if name not in FORMATS:
        raise SteerbridgeError(f"Unknown answer format {name!r}; choose one of "
                               f"{', '.join(FORMATS)}.")
    return FORMATS[name]


@dataclass(frozen=True)
class LayerDose:
    """One layer's sweep: per alpha Δp and mass of the own vector and of a random direction;
    per positive alpha (with its negative present) the odd Δp of both."""

    layer: int
    alphas: list[float]
    dp: list[float]
    mass: list[float]
    random_dp: list[float]
    random_mass: list[float]
    odd_alphas: list[float]
    odd_dp: list[float]
    random_odd_dp: list[float]
    relative_norm: float
    text_answers: bool = False  # answers scored as texts: their mass is small by nature

    def best(self) -> tuple[float, float] | None:
        """(alpha, odd Δp) of the strongest odd effect whose ±alpha keep answer mass ≥ MASS_MIN
        (letter answers; text answers have no mass to threshold, as in the verdict rule); None
        when no alpha pair qualifies."""
        ok = []
        for a, odd in zip(self.odd_alphas, self.odd_dp, strict=True):
            masses = [m for x, m in zip(self.alphas, self.mass, strict=True) if abs(x) == a]
            if math.isfinite(odd) and (self.text_answers or all(m >= MASS_MIN for m in masses)):
                ok.append((a, odd))
        return max(ok, key=lambda t: abs(t[1])) if ok else None

    def steers(self) -> bool:
        """The source check of `evaluation.verdicts`: |odd Δp| ≥ SOURCE_MIN_ODD at an alpha
        pair that keeps the answer mass, and beyond the random direction's at that pair."""
        b = self.best()
        if b is None:
            return False
        rand = self.random_odd_dp[self.odd_alphas.index(b[0])]
        return abs(b[1]) >= SOURCE_MIN_ODD and abs(b[1]) > abs(rand)


@dataclass
class DoseResult:
    """A model's dose-response on one behaviour under one answer format."""

    model: str
    behaviour: str
    format: AnswerFormat
    n_generate: int
    n_test: int
    none_mass: float
    none_p: float
    layers: list[LayerDose] = field(default_factory=list)

    def best_layer(self) -> LayerDose | None:
        """The layer whose qualifying odd Δp is largest in size; None if none qualifies."""
        ranked = [(abs(b[1]), d) for d in self.layers if (b := d.best()) is not None]
        return max(ranked, key=lambda t: t[0])[1] if ranked else None

    def to_dict(self) -> dict[str, Any]:
        best = self.best_layer()
        return {"model": self.model, "behaviour": self.behaviour, "format": asdict(self.format),
                "n_generate": self.n_generate, "n_test": self.n_test,
                "none_mass": self.none_mass, "none_p": self.none_p,
                "best_layer": best.layer if best else None,
                "layers": [{**asdict(d), "best": d.best(), "steers": d.steers()}
                           for d in self.layers]}


def check_alphas(alphas: Sequence[float]) -> list[float]:
    """`alphas` as floats when all are finite and at least one ±a pair is present; otherwise a
    `SteerbridgeError` saying what to give (called before any model loads)."""
    values = [float(a) for a in alphas]
    bad = [a for a in values if not math.isfinite(a)]
    if bad:
        raise SteerbridgeError(f"Alphas {values}: {', '.join(map(str, bad))} is not a finite "
                               "number; give finite steering strengths in layer-scale units, "
                               "e.g. --alpha -0.2 --alpha 0.2.")
    if not odd_pairs(values):
        raise SteerbridgeError(f"Alphas {values}: the dose-response needs at least one alpha pair "
                               "±a (e.g. --alpha -0.2 --alpha 0.2): the odd part is what it "
                               "reports.")
    return values


def dose_response(lm: LoadedModel, generate: Sequence[ABItem], test: Sequence[ABItem],
                  layers: Sequence[int], alphas: Sequence[float], fmt: AnswerFormat,
                  behaviour: str = "", random_seed: int = 0, batch_size: int = 8,
                  progress: Progress = None) -> DoseResult:
    """Extract `lm`'s own vector at every layer in `layers` from `generate` (formatted by
    `fmt`), then score it and a random direction of equal norm on `test` at every alpha."""
    check_alphas(alphas)
    gen, tst = fmt.apply(generate), fmt.apply(test)
    vector = extract(lm, gen, list(layers), system=fmt.system, dataset_name=behaviour,
                     batch_size=batch_size, progress=progress is True)
    prompts = prepare(lm, tst, fmt.system)
    conds: dict[str, SteeringVector] = {}
    for layer in layers:
        own = vector.select([layer])
        conds[f"own:{layer}"], conds[f"random:{layer}"] = own, random_like(own, seed=random_seed)
    total = total_steps(len(prompts), len(conds), len(alphas))
    with progress_context(progress, total, f"dose-response {behaviour}") as advance:
        done = [0]

        def step(n: int) -> None:
            done[0] += n
            advance(done[0], total)

        res = sweep(lm, prompts, conds, alphas, batch_size, progress=step)
    p0 = res["none"]["p"]
    out = DoseResult(lm.name, behaviour, fmt, len(gen), len(prompts),
                     none_mass=nanmean(res["none"]["mass"]), none_p=nanmean(p0))
    odd_a = [float(alphas[i]) for i, _ in odd_pairs(alphas)]
    for layer in layers:
        mine, rnd = res[f"own:{layer}"], res[f"random:{layer}"]
        out.layers.append(LayerDose(
            layer=int(layer), alphas=[float(a) for a in alphas],
            dp=_floats(delta_p(mine["p"], p0)), mass=[nanmean(r) for r in mine["mass"]],
            random_dp=_floats(delta_p(rnd["p"], p0)), random_mass=[nanmean(r) for r in rnd["mass"]],
            odd_alphas=odd_a, odd_dp=_odd(mine["p"], alphas), random_odd_dp=_odd(rnd["p"], alphas),
            relative_norm=vector.relative_norm(layer), text_answers=fmt.text))
    return out


def _floats(x: Any) -> list[float]:
    return [float(v) for v in np.asarray(x, dtype=np.float64)]


def _odd(p: Any, alphas: Sequence[float]) -> list[float]:
    """Mean odd part of p per alpha pair: ``(p(+a) − p(−a)) / 2`` averaged over items."""
    return [nanmean(row) for row in odd_part(p, alphas)]
