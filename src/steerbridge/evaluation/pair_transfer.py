"""Rank fitted layer pairs by how much of a behaviour their bridge carries, not by state R².

A bridge that fits hidden states well (high held-out R²) may still carry little of a steering
direction; the early pairs fit best and steer least. `pair_transfer` measures each fitted
bridge the way the pipeline does (`evaluation.ab.evaluate_behaviour`) on a few built-in
behaviours: the source vector (mean difference on the generate split, at the pair's source
layer(s)) is carried into the target layer by the pair's bridge as ``W·v`` at the target
layer's typical token norm (``Settings.transfer = "state"``), or with its push fitted by the
answer-matched gain or by distillation (the pipeline's label-free methods), and swept on the
test split beside the target's own (native) vector, random target
directions of the same norm, a random source vector through the same method, and the source
model steered by its own vector (``source_sweep``; a many-to-one pair steers the source at all
its source layers at once). The native vector is used to evaluate only.

Per pair: each behaviour's retention, odd retention, random-target retention, source odd Δp,
native Δp, answer mass and verdict (`evaluation.verdicts.RULE`); across behaviours the means
over the *judgeable* ones (not "not judgeable") and the ``margin`` = mean retention − mean
|random-target retention|. Pairs are ranked by their verdicts first (more "transfers", then
more "transfers" or "partly"), then by the margin (pairs with no judgeable behaviour last,
ordered by the same margin over every behaviour); ``Settings.rank_by = "logodds"`` ranks by the
log-odds verdicts and margins (``margin_logodds``; judgeability stays p's). Layer
``l`` is the output of decoder block ``l`` (HF ``hidden_states[l + 1]``). Tables and the
plot: `evaluation.pair_transfer_report`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.answer_gain import GainSettings
from steerbridge.bridge.distill import DistillSettings
from steerbridge.bridge.method_inputs import (
    TransferInputs,
    unlabelled_answers,
    unlabelled_questions,
)
from steerbridge.bridge.methods import apply, carried, random_source
from steerbridge.bridge.transfer import transfer
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import ab
from steerbridge.evaluation.dose import answer_format
from steerbridge.evaluation.metrics import odd_pairs
from steerbridge.evaluation.pair_rank import (
    RANK_BY,
    PairTransfer,
    behaviour_numbers,
    pair_row,
    rank,
)
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, progress_context
from steerbridge.vectors import datasets
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.extract import extract
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.steering import POSITIONS, Positions
from steerbridge.vectors.vector import SteeringVector

DEFAULT_BEHAVIOURS = ("joy", "formal-greeting", "caution")  # the demo's three
DEFAULT_ALPHAS = (-0.2, -0.1, 0.1, 0.2)
# transfer methods a layer-pair sweep can run: those that need only the pair's state bridge
CARRY_METHODS = ("state", "gain", "distilled")


@dataclass(frozen=True)
class Settings:
    """What `pair_transfer` measures with (the CLI's options)."""

    behaviours: tuple[str, ...] = DEFAULT_BEHAVIOURS
    alphas: tuple[float, ...] = DEFAULT_ALPHAS
    test_items: int = 40
    generate_items: int = 80
    answer_prefix: str = ""
    answer_format: str = "plain"  # a system-free `evaluation.dose.FORMATS` name, e.g. "text"
    random_seeds: tuple[int, ...] = (0, 1, 2)
    random_source_seeds: tuple[int, ...] = (0,)
    batch_size: int = 8
    n_boot: int = 200
    method: str = "mean_diff"
    # how each source vector is carried (`CARRY_METHODS`); gain needs text answers
    transfer: str = "state"
    # the source's push the gain / distillation reproduce (units of the layer's median norm)
    transfer_alpha: float = 0.4
    # behaviours from A/B files: (name, generate file, test file), measured beside built-ins
    files: tuple[tuple[str, str, str], ...] = ()
    # where every model is steered (`vectors.steering.POSITIONS`): the sweeps and the gain fit
    positions: Positions = "all"
    rank_by: str = "p"  # `RANK_BY`

    def __post_init__(self) -> None:
        builtin = [b for b in self.behaviours if b not in self.file_names]
        if builtin or not self.behaviours:
            check_behaviours(builtin)
        answer_format(self.answer_format)
        if not self.alphas or not all(math.isfinite(a) and a != 0 for a in self.alphas):
            raise SteerbridgeError(f"--alphas {list(self.alphas)}: give finite, non-zero "
                                   "alphas, e.g. -0.2 -0.1 0.1 0.2.")
        if not odd_pairs(self.alphas):
            raise SteerbridgeError(f"--alphas {list(self.alphas)}: give at least one ±a pair, "
                                   "e.g. -0.4,0.4: odd retention, which the verdict needs, is "
                                   "the part of the change that flips with alpha's sign.")
        for name, n in (("--test-items", self.test_items),
                        ("--generate-items", self.generate_items),
                        ("--batch-size", self.batch_size)):
            if n < 1:
                raise SteerbridgeError(f"{name} must be at least 1, got {n}.")
        if self.transfer not in CARRY_METHODS:
            raise SteerbridgeError(f"--method {self.transfer!r}: the layer-pair sweep carries "
                                   f"vectors by one of {', '.join(CARRY_METHODS)} (the others "
                                   "need an effect-matched bridge per pair).")
        if self.transfer == "gain" and self.answer_format != "text":
            raise SteerbridgeError("--method gain matches the two answers' texts: add --format "
                                   "text, or use --method state.")
        if self.rank_by not in RANK_BY:
            raise SteerbridgeError(f"--rank-by {self.rank_by!r}: use one of "
                                   f"{', '.join(RANK_BY)}.")
        if self.positions not in POSITIONS:
            raise SteerbridgeError(f"--positions {self.positions!r}: use one of "
                                   f"{', '.join(POSITIONS)}.")
        if not (math.isfinite(self.transfer_alpha) and self.transfer_alpha > 0):
            raise SteerbridgeError(f"--method-alpha must be a positive number, got "
                                   f"{self.transfer_alpha}.")

    @property
    def file_names(self) -> dict[str, tuple[str, str]]:
        """Behaviour name -> (generate file, test file) for the behaviours given as files."""
        return {name: (gen, test) for name, gen, test in self.files}


def check_behaviours(names: Sequence[str]) -> list[str]:
    """`names` as a list when each is a built-in behaviour, else an error listing them."""
    known = datasets.builtin_names()
    bad = [n for n in names if n not in known]
    if bad or not names:
        shown = ", ".join(repr(n) for n in bad) or "none given"
        raise SteerbridgeError(f"Unknown behaviour(s) {shown}: --behaviour takes a built-in "
                               f"behaviour, one of {', '.join(known)}.")
    return list(dict.fromkeys(names))


@dataclass
class Items:
    """One behaviour's generate (vector) and test (evaluation) items, capped."""

    generate: list[ABItem]
    test: list[ABItem]


def behaviour_items(name: str, s: Settings) -> Items:
    """The behaviour's generate and test items (built-in, or its files in `s.files`), capped,
    in `s.answer_format`, with `s.answer_prefix`."""
    if name in s.file_names:
        gen_file, test_file = s.file_names[name]
        gen, test = datasets.load(gen_file).items, datasets.load(test_file).items
    else:
        gen, test = datasets.builtin(name)
    gen, test = gen[: s.generate_items], test[: s.test_items]
    fmt = answer_format(s.answer_format)
    if fmt.system is not None:
        raise SteerbridgeError(f"Answer format {fmt.name!r} sets a system line, which the "
                               "layer-pair sweep does not pass on; use plain, instruction or text.")
    gen, test = fmt.apply(gen), fmt.apply(test)
    if s.answer_prefix:
        gen = [replace(it, answer_prefix=s.answer_prefix) for it in gen]
        test = [replace(it, answer_prefix=s.answer_prefix) for it in test]
    return Items(gen, test)


class _Vectors:
    """Per behaviour: the source vector at every source layer any pair reads and the native
    vector at every target layer, extracted once; each layer's scale measured once."""

    def __init__(self, source: LoadedModel, target: LoadedModel, bridges: Sequence[Bridge],
                 items: dict[str, Items], s: Settings) -> None:
        self.src_layers = sorted({ls for br in bridges for ls in br.source_layers})
        self.tgt_layers = sorted({br.target_layer for br in bridges})
        self.src_scales = measure_scales(source, self.src_layers)
        self.tgt_scales = measure_scales(target, self.tgt_layers)
        self.source, self.target, self.items, self.s = source, target, items, s
        self.cache: dict[tuple[str, str], SteeringVector] = {}

    def get(self, name: str, role: str) -> SteeringVector:
        if (name, role) not in self.cache:
            lm, layers, scales = ((self.source, self.src_layers, self.src_scales)
                                  if role == "source" else
                                  (self.target, self.tgt_layers, self.tgt_scales))
            self.cache[name, role] = extract(lm, self.items[name].generate, layers,
                                             self.s.method, batch_size=self.s.batch_size,
                                             dataset_name=name, scales=scales)
        return self.cache[name, role]


def total_steps(n_pairs: int, n_source_sets: int, items: dict[str, Items], s: Settings) -> int:
    """Progress units: target sweeps of every pair and source sweeps of every source layer set."""
    n_test = sum(len(it.test) for it in items.values())
    n_vec = 2 + len(s.random_seeds) + len(s.random_source_seeds)
    return len(s.alphas) * n_test * (n_pairs * n_vec + n_source_sets)


Carry = Callable[[TransferInputs, float], SteeringVector]


def state_carry(inputs: TransferInputs, scale: float) -> SteeringVector:
    """The default carrier: ``W·v`` through the pair's state bridge at the target's scale."""
    return transfer(inputs.bridge, inputs.vector, target_scale=scale)


def method_carry(s: Settings, distill: DistillSettings | None = None) -> Carry:
    """The carrier `s.transfer` names, its push set by `s.transfer_alpha` (`distill`: the
    distillation's own settings, when not the defaults at that push)."""
    if s.transfer == "state":
        return state_carry
    gain = GainSettings(alpha=s.transfer_alpha, batch_size=s.batch_size, positions=s.positions)
    distill = distill or DistillSettings(alpha=s.transfer_alpha)

    def carry(inputs: TransferInputs, scale: float) -> SteeringVector:
        return apply(s.transfer, inputs, scale=scale, gain=gain, distill=distill)
    return carry


def pair_transfer(source: LoadedModel, target: LoadedModel, bridges: Sequence[Bridge],
                  settings: Settings | None = None, progress: Progress = True,
                  carry: Carry | None = None) -> list[PairTransfer]:
    """Measure the transfer of every bridge in `bridges` (see the module doc), best first.

    `carry` makes the transferred vector from label-free `TransferInputs` (the generate
    split's questions, and their unordered answer texts in the text format) and the target
    layer's scale; the random-source controls go through it too. By default it is the
    method `settings.transfer` names."""
    s = settings or Settings()
    carry = carry or method_carry(s)
    if not bridges:
        raise SteerbridgeError("No fitted layer pairs to measure transfer on.")
    names = list(dict.fromkeys(s.behaviours))
    items = {b: behaviour_items(b, s) for b in names}
    vecs = _Vectors(source, target, bridges, items, s)
    source_sets = {tuple(br.source_layers) for br in bridges}
    total = total_steps(len(bridges), len(source_sets), items, s)
    source_refs: dict[tuple[str, tuple[int, ...]], dict[str, Any]] = {}
    out: list[PairTransfer] = []
    done = 0
    with progress_context(progress, total, "transfer by layer pair") as advance:
        def step(n: int) -> None:
            nonlocal done
            done += n
            advance(min(done, total), total)

        for br in bridges:
            lt, ls = br.target_layer, tuple(br.source_layers)
            numbers: dict[str, dict[str, Any]] = {}
            details: dict[str, dict[str, Any]] = {}
            for name, it in items.items():
                src_vec = vecs.get(name, "source").select(ls)
                native = vecs.get(name, "native").select([lt])
                scale = float(native.scales[lt])
                if (name, ls) not in source_refs:
                    source_refs[name, ls] = ab.source_sweep(
                        source, it.test, src_vec, s.alphas, s.batch_size, s.positions,
                        progress=lambda n: step(n))
                inputs = TransferInputs(
                    source, src_vec, br, target, prompts=unlabelled_questions(it.generate),
                    answers=unlabelled_answers(it.generate) if s.answer_format == "text" else ())
                moved = carry(inputs, scale)
                controls = {int(k): carry(random_source(inputs, int(k)), scale)
                            for k in s.random_source_seeds}
                res = ab.evaluate_behaviour(
                    target, it.test, native, moved, s.alphas, random_seeds=s.random_seeds,
                    batch_size=s.batch_size, n_boot=s.n_boot, positions=s.positions,
                    progress=lambda n: step(n),
                    source_conditions=source_refs[name, ls], random_sources=controls)
                for key in ("judgement", "judgement_logodds"):
                    if isinstance(res.get(key), dict):
                        res[key]["method"] = s.transfer
                numbers[name] = behaviour_numbers(res)
                details[name] = {"judgement": res["judgement"],
                                 "judgement_logodds": res.get("judgement_logodds"),
                                 "conditions": res["conditions"], "n_items": res["n_items"],
                                 "alphas": res["alphas"], "scoring": res["scoring"],
                                 "random_source": res["random_source"],
                                 "n_generate": len(it.generate),
                                 "headline": res["summary"]["headline"],
                                 "collapsed": res["collapsed"], "cosine": res["cosine"],
                                 "carried": carried(moved),
                                 "random_source_carried": {k: carried(v)
                                                           for k, v in controls.items()}}
            out.append(PairTransfer(pair_row(br, numbers), details))
    return rank(out, s.rank_by)
