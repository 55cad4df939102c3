"""A/B evaluation of steering: behaviour probabilities under every condition, alpha sweeps.

For every test item the prompt ends where the answer letter comes next (`datasets.build_prompts`).
At that position we read, under each condition and alpha:

- ``p``: probability of the behaviour-matching answer token among the two answer tokens;
- ``ld``: ``logit(matching) - logit(non-matching)``;
- ``lo``: the same logit difference (for text answers, the per-token log-odds: see
  `evaluation.text_scores`), the score `evaluation.logodds` judges on;
- ``mass``: probability of the two answer tokens out of the whole vocabulary. A vector that moves
  ``p`` while ``mass`` collapses has stopped the model answering: a side effect, not success.

Conditions (all on the target unless said): ``none``; ``native`` (the target's own vector);
``transferred`` (W·v); ``transferred_bias`` (the paper's W·v + b); ``random:<seed>`` (random
directions of the transferred vector's norm); ``source`` (the source model with its own vector,
against ``source_none``). An alpha at which the model produces non-finite logits is recorded in
``nan_alphas`` with NaN values; the other alphas are kept. An alpha at which a condition's
outputs collapse (`steerbridge.evaluation.collapse`) is listed in ``collapsed`` and left out of
the metrics; ``verdict`` says whether the test set is large enough to judge.

Speed: steering at layer ``l`` leaves blocks ``0..l`` untouched, so each batch runs the full
model once (unsteered, which is also the ``none`` condition) while caching the output of block
``l``; every steered pass then replays that cache and runs only the blocks after ``l``, and the
LM head only at the answer position (``logits_to_keep=1``). Text answers run the prompt once
and both answers on its KV cache (`models.continuations`, which replays the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import numpy as np
import torch
from torch import Tensor

from steerbridge.bridge.fidelity import cosine
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import logodds, text_scores
from steerbridge.evaluation.collapse import SCORES, find_collapse, mask, vocab_size
from steerbridge.evaluation.judgeable import verdict
from steerbridge.evaluation.resampling import item_resamples
from steerbridge.evaluation.summary import summarize_behaviour
from steerbridge.evaluation.verdicts import judgement
from steerbridge.models.batching import pad_batch, pad_id, position_ids_from_mask
from steerbridge.models.loading import LoadedModel
from steerbridge.models.replay import capture, replay_prefix
from steerbridge.vectors.datasets import ABItem, answer_letter
from steerbridge.vectors.prompts import ABPrompt, build_prompts
from steerbridge.vectors.steering import Positions, steer
from steerbridge.vectors.vector import SteeringVector, random_like

Progress = Callable[[int], None]
Scores = dict[str, np.ndarray]


# ------------------------------------------------------------------------------ prompts


def prepare(lm: LoadedModel, items: Sequence[ABItem], system: str | None = None,
            max_items: int | None = None) -> list[ABPrompt]:
    """Chat-formatted A/B prompts whose answers are single tokens under `lm`'s tokenizer.

    Raises `SteerbridgeError` naming the items whose answer labels are not single tokens.
    """
    items = list(items)[:max_items] if max_items else list(items)
    ps = build_prompts(lm.tokenizer, items, system=system)
    check_single_tokens(lm, ps.prompts)
    return ps.prompts


def check_single_tokens(lm: LoadedModel, prompts: Sequence[ABPrompt]) -> None:
    """Every letter answer label must be exactly one token (the A/B score reads one position);
    text answers (`vectors.text_answers`) are scored over all their tokens."""
    bad = []
    for p in prompts:
        letters = all(answer_letter(a) or len(a.strip()) == 1
                      for a in (p.item.matching, p.item.non_matching))
        if letters and (len(p.matching_ids) != 1 or len(p.non_matching_ids) != 1):
            toks = [lm.tokenizer.convert_ids_to_tokens(ids) for ids in
                    (p.matching_ids, p.non_matching_ids)]
            bad.append(f"{p.item.source or p.item.question[:40]!r} "
                       f"({p.item.matching!r} -> {toks[0]}, {p.item.non_matching!r} -> {toks[1]})")
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise SteerbridgeError(
            f"{len(bad)} test item(s) have answers that are not single tokens under "
            f"{lm.name}'s tokenizer: {shown}. Use letter answers like '(A)'/'(B)' or drop them."
        )


def _batches(prompts: Sequence[ABPrompt], batch_size: int) -> list[list[int]]:
    """Indices grouped by length (less padding), in batches."""
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i].prompt_ids))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _encode(lm: LoadedModel, prompts: Sequence[ABPrompt]) -> tuple[Tensor, Tensor]:
    # left padding: the answer position is the last column
    ids, mask = pad_batch([p.prompt_ids for p in prompts], pad_id(lm.tokenizer), "left")
    return ids.to(lm.device), mask.to(lm.device)


def _scores(logits: Tensor, prompts: Sequence[ABPrompt]) -> Scores:
    """p, ld, lo (= ld for one-token answers), mass from last-position logits [B, vocab]."""
    lg = logits.double()
    m = torch.tensor([p.matching_ids[0] for p in prompts], device=lg.device)
    n = torch.tensor([p.non_matching_ids[0] for p in prompts], device=lg.device)
    rows = torch.arange(len(prompts), device=lg.device)
    lm_, ln = lg[rows, m], lg[rows, n]
    logz = torch.logsumexp(lg, dim=-1)
    ld = lm_ - ln
    p = torch.sigmoid(ld)
    mass = (lm_ - logz).exp() + (ln - logz).exp()
    bad = ~torch.isfinite(lg).all(dim=-1)
    out = {"p": p, "ld": ld, "lo": ld, "mass": mass}
    return {k: torch.where(bad, torch.nan, v).cpu().numpy() for k, v in out.items()}


def _forward_last(lm: LoadedModel, ids: Tensor, mask: Tensor) -> Tensor:
    pos = position_ids_from_mask(mask)
    out = lm.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False,
                   logits_to_keep=1)
    return out.logits[:, -1, :]


def _letter_scorer(lm: LoadedModel, batch: list[ABPrompt], first: int | None,
                   positions: Positions) -> tuple[Scores, Callable[[SteeringVector, float],
                                                                   Scores]]:
    """The batch's unsteered letter scores, and a function scoring it under a push (replaying
    block `first`'s unsteered output when `first` is set)."""
    ids, mask = _encode(lm, batch)
    sink, handle = capture(lm, first) if first is not None else ([], None)
    try:
        unsteered = _scores(_forward_last(lm, ids, mask), batch)
    finally:
        if handle is not None:
            handle.remove()
    end = torch.full((len(batch),), ids.shape[1], device=torch.device("cpu"))  # all prompt

    def steered(vec: SteeringVector, alpha: float) -> Scores:
        with ExitStack() as stack:
            if first is not None:  # stand-ins first, so the steering hooks attach to them
                stack.enter_context(replay_prefix(lm, first, sink[0]))
            stack.enter_context(steer(lm, vec, alpha, positions=positions, prompt_length=end))
            return _scores(_forward_last(lm, ids, mask), batch)

    return unsteered, steered


def _text_scorer(lm: LoadedModel, batch: list[ABPrompt], first: int | None,
                 positions: Positions) -> tuple[Scores, Callable[[SteeringVector, float],
                                                                 Scores]]:
    """`_letter_scorer` for text answers (`text_scores`: prompt once, answers on its cache)."""
    enc = text_scores.encode(lm, batch)
    unsteered, prefix = text_scores.scores(lm, enc, keep_layer=first)

    def steered(vec: SteeringVector, alpha: float) -> Scores:
        def push(ends: int | Tensor) -> AbstractContextManager[None]:
            return steer(lm, vec, alpha, positions=positions, prompt_length=ends)
        return text_scores.scores(lm, enc, prefix=prefix, push=push)[0]

    return unsteered, steered


@torch.inference_mode()
def sweep(
    lm: LoadedModel,
    prompts: Sequence[ABPrompt],
    vectors: dict[str, SteeringVector],
    alphas: Sequence[float],
    batch_size: int = 8,
    positions: Positions = "all",
    replay: bool = True,
    progress: Progress | None = None,
) -> dict[str, dict[str, Any]]:
    """Score `prompts` unsteered (``none``) and under each named vector at each alpha.

    Returns ``{"none": {"p","ld","lo","mass": [n]}, name: {"p","ld","lo","mass": [n_alpha][n],
    "nan_alphas": [...]}}`` in the order of `prompts`. Vectors are checked against `lm`
    (a transferred vector carries the target's fingerprint). ``replay=False`` runs every
    steered pass through the whole model (the reference the fast path is tested against).
    """
    n, na = len(prompts), len(alphas)
    for name, v in vectors.items():
        try:
            v.check_model(lm)
        except SteerbridgeError as err:
            raise SteerbridgeError(f"condition {name!r}: {err}") from None
    res: dict[str, dict[str, Any]] = {"none": {k: np.full(n, np.nan) for k in SCORES}}
    for name in vectors:
        res[name] = {k: np.full((na, n), np.nan) for k in SCORES}
    first = min(min(v.layers) for v in vectors.values()) if vectors else None
    use_replay = replay and first is not None
    scorer = _text_scorer if text_scores.is_text(prompts) else _letter_scorer
    for idx in _batches(prompts, batch_size):
        batch = [prompts[i] for i in idx]
        unsteered, steered = scorer(lm, batch, first if use_replay else None, positions)
        for k, arr in unsteered.items():
            res["none"][k][idx] = arr
        for name, vec in vectors.items():
            for ai, alpha in enumerate(alphas):
                for k, arr in steered(vec, alpha).items():
                    res[name][k][ai, idx] = arr
                if progress:
                    progress(len(batch))
    for name in vectors:
        bad = ~np.isfinite(res[name]["p"]).all(axis=1)
        res[name]["nan_alphas"] = [float(alphas[int(i)]) for i in np.nonzero(bad)[0]]
    return res


def evaluate_behaviour(
    target: LoadedModel,
    test_items: Sequence[ABItem],
    native: SteeringVector,
    transferred: SteeringVector,
    alphas: Sequence[float],
    transferred_bias: SteeringVector | None = None,
    random_seeds: Sequence[int] = (0, 1, 2),
    source: LoadedModel | None = None,
    source_vector: SteeringVector | None = None,
    batch_size: int = 8,
    positions: Positions = "all",
    system: str | None = None,
    n_boot: int = 1000,
    progress: Progress | None = None,
    source_conditions: dict[str, Any] | None = None,
    random_sources: dict[int, SteeringVector] | None = None,
    extra: dict[str, SteeringVector] | None = None,
) -> dict[str, Any]:
    """All A/B conditions for one behaviour, and the transfer metrics over them.

    `extra` vectors (`evaluation.ceiling`'s) ride the same sweep, its unsteered pass shared,
    and come back apart as ``extra_conditions`` (only when given), so nothing else sees them.
    `random_sources` (seed -> a random source vector of the source vector's norm, pushed through
    the same transfer method) are swept apart from the other conditions, so the summary is the
    same with or without them; they enter ``random_source`` and the verdict (``judgement``, by
    `evaluation.verdicts.RULE`) beside the random target directions.

    Random controls have the norm of the transferred vector (what they control for) and the
    target layer's scale, so at one alpha every condition pushes equally hard. The source
    reference is either run here (`source` + `source_vector`) or given precomputed as
    `source_conditions` (``source_sweep``'s result, so the source model can be freed first).
    """
    prompts = prepare(target, test_items, system)
    vecs: dict[str, SteeringVector] = {"native": native, "transferred": transferred}
    if transferred_bias is not None:
        vecs["transferred_bias"] = transferred_bias
    for s in random_seeds:
        vecs[f"random:{s}"] = random_like(transferred, seed=int(s))
    conds = sweep(target, prompts, {**vecs, **(extra or {})}, alphas, batch_size, positions,
                  progress=progress)
    extra_conds = {k: conds.pop(k) for k in extra or {}}
    if source is not None and source_vector is not None:
        source_conditions = source_sweep(source, test_items, source_vector, alphas, batch_size,
                                         positions, system, progress)
    if source_conditions is not None:
        if source_conditions.get("items") != [p.item.source for p in prompts]:
            raise SteerbridgeError("Source and target kept different test items; the source "
                                   "reference cannot be compared item by item.")
        for c in ("source_none", "source"):
            conds[c] = {k: np.asarray(v) if k != "nan_alphas" else v
                        for k, v in source_conditions[c].items()}
    collapsed = find_collapse(conds, alphas, vocab_size(target))
    summary = summarize_behaviour(alphas, mask(conds, alphas, collapsed), n_boot=n_boot)
    controls = random_source_block(target, prompts, conds, random_sources or {}, alphas,
                                   random_seeds, batch_size, positions, progress)
    lt = transferred.layers[0]
    cos = {name: cosine(v.direction(lt), native.direction(lt))
           for name, v in vecs.items() if name != "native" and lt in v.directions}
    return {
        "n_items": len(prompts),
        "items": [p.item.source for p in prompts],
        "alphas": [float(a) for a in alphas],
        "conditions": {c: {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                           for k, v in d.items()} for c, d in conds.items()},
        "summary": summary.to_dict(),
        "collapsed": collapsed,
        "verdict": verdict(len(prompts)),
        "scoring": "text" if text_scores.is_text(prompts) else "letter",
        **controls,
        "cosine": cos,
        **({"extra_conditions": extra_conds} if extra else {}),
        "vector_norms": {name: {"norm": float(v.direction(v.layers[0]).norm()),
                                "relative": v.relative_norm(v.layers[0])}
                         for name, v in vecs.items()},
    }


def random_source_block(target: LoadedModel, prompts: Sequence[ABPrompt],
                        conds: dict[str, Any], random_sources: dict[int, SteeringVector],
                        alphas: Sequence[float], random_seeds: Sequence[int], batch_size: int,
                        positions: Positions, progress: Progress | None) -> dict[str, Any]:
    """``{"random_source": its conditions and numbers, "judgement": the verdict,
    "judgement_logodds": the same rule on the log-odds (`evaluation.logodds`; None without
    them)}`` of ``transferred`` beside random target and random source controls (n_boot 0:
    point values); each verdict carries ``item_resamples`` (`evaluation.resampling`)."""
    ctrl = {f"srcrand:{s}": v for s, v in random_sources.items()}
    swept = sweep(target, prompts, ctrl, alphas, batch_size, positions, progress=progress) \
        if ctrl else {}
    every = {**conds, **{k: v for k, v in swept.items() if k != "none"}}
    masked = mask(every, alphas, find_collapse(every, alphas, vocab_size(target)))
    full = summarize_behaviour(alphas, masked, n_boot=0)
    targets = [f"random:{s}" for s in random_seeds]
    judged = judgement(full, "transferred", list(ctrl), targets, len(prompts),
                       text_answers=text_scores.is_text(prompts))
    best = full.best_alpha_index
    on_logodds = logodds.judgement(masked, alphas, list(ctrl), targets, judged)
    try:  # a precision statement beside the verdict: never worth losing the sweep over
        resampled = item_resamples(masked, alphas, list(ctrl), targets, len(prompts),
                                   text_answers=text_scores.is_text(prompts))
    except SteerbridgeError as err:
        resampled = {"p": {"error": str(err)}, "log-odds": {"error": str(err)}}
    judged["item_resamples"] = resampled["p"]
    if on_logodds is not None:
        on_logodds["item_resamples"] = resampled["log-odds"]
    return {"judgement": judged, "judgement_logodds": on_logodds,
            "random_source": {
        "seeds": sorted(random_sources),
        "retention": {c: full.rows[best].retention.get(c) if best is not None else None
                      for c in ctrl},
        "conditions": {c: {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                           for k, v in swept[c].items()} for c in ctrl}}}


def source_sweep(source: LoadedModel, test_items: Sequence[ABItem], vector: SteeringVector,
                 alphas: Sequence[float], batch_size: int = 8, positions: Positions = "all",
                 system: str | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """The source model steered by its own vector: ``{"items", "source_none", "source"}``."""
    sp = prepare(source, test_items, system)
    res = sweep(source, sp, {"source": vector}, alphas, batch_size, positions, progress=progress)
    as_json = {c: {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in d.items()}
               for c, d in res.items()}
    return {"items": [p.item.source for p in sp], "source_none": as_json["none"],
            "source": as_json["source"]}


def total_steps(n_items: int, n_vectors: int, n_alphas: int) -> int:
    """Progress units `sweep` reports for one model: items × vectors × alphas."""
    return n_items * n_vectors * n_alphas
