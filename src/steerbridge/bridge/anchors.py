"""Answer-position anchors: paired A/B differences added to a bridge's fit.

A corpus bridge fits ordinary tokens well yet carries only part of a steering direction: on the
Qwen pair (12→14) cos(W·v, native) averaged 0.40 over ten behaviours. The states a CAA vector
is read from -- the answer letter after an A/B question -- are rare in a corpus, and the
direction that separates two answers is small beside the directions ridge fits best. Adding
the paired differences ``(h(matching) − h(non-matching))`` of *other* behaviours to the fit
raised the held-out behaviours' mean cosine to 0.70 while the corpus R² moved by 0.004
(RESULTS.md, "Anchoring a bridge on answer states"; `benchmarks/bridge_on_answers.py`).

Each difference enters with its negative, so the anchors have zero mean and teach ``W`` only,
never the offset ``b``. Their weight is relative: ``weight=1`` gives the anchors, in total, as
much weight as the corpus tokens.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from steerbridge.bridge.moments import Moments
from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, ProgressFn
from steerbridge.vectors.datasets import ABItem, dataset_fingerprint
from steerbridge.vectors.prompts import build_prompts
from steerbridge.vectors.readout import answer_states, items_for_read


def paired_differences(
    lm: LoadedModel, items: Sequence[ABItem], layers: Sequence[int], batch_size: int = 16,
    system: str | None = None, progress: Progress = False, read: str = "answer_letter",
) -> torch.Tensor:
    """``[N, d·len(layers)]``: matching minus non-matching answer state, layers concatenated.

    read: ``"answer_letter"`` or ``"answer_text"``, as in `steerbridge.vectors.extract`; anchor
    at the position the vectors you will transfer are read at.
    """
    items, _ = items_for_read(items, read)
    ps = build_prompts(lm.tokenizer, items, system=system)
    pos, neg = answer_states(lm, ps.prompts, list(layers), batch_size, progress)
    return torch.cat([(pos[layer] - neg[layer]).double() for layer in layers], dim=-1)


def anchor_moments(
    source: LoadedModel, target: LoadedModel, datasets: Mapping[str, Sequence[ABItem]],
    source_layers: Sequence[int], target_layer: int, batch_size: int = 16,
    system: str | None = None, progress: Progress = False, read: str = "answer_letter",
) -> tuple[Moments, dict[str, Any]]:
    """Moments of ± paired differences over every dataset, and a record of what went in.

    A callable `progress` sees one count for the whole job: per dataset, the source's batches
    then the target's.
    """
    if not datasets or not any(datasets.values()):
        raise SteerbridgeError("No anchor items: give at least one A/B dataset with items, "
                               "e.g. --anchor caution.")
    dx = source.hidden_size * len(source_layers)
    m = Moments.zeros(dx, target.hidden_size, "cpu")  # answer states come back on the CPU
    record: dict[str, Any] = {}
    parts = 2 * len(datasets)
    part = 0
    for name, items in datasets.items():
        xs = paired_differences(source, items, source_layers, batch_size, system,
                                _share(progress, part, parts), read)
        ys = paired_differences(target, items, [target_layer], batch_size, system,
                                _share(progress, part + 1, parts), read)
        part += 2
        if not (torch.isfinite(xs).all() and torch.isfinite(ys).all()):
            raise SteerbridgeError(f"Anchor states of {name!r} are not finite; try "
                                   "dtype='float32'.")
        m = m + symmetric_moments(xs, ys)
        record[name] = {"items": len(items), "dataset_fingerprint": dataset_fingerprint(items),
                        "read": read}
    return m, record


def _share(progress: Progress, part: int, parts: int) -> Progress:
    """A callable `progress` rescaled so that call `part` of `parts` equal-sized calls fills
    its own slice of one count (in thousandths); anything else passes through."""
    if not callable(progress):
        return progress
    whole: ProgressFn = progress

    def advance(done: int, total: int) -> None:
        whole(round(1000 * (part + done / max(total, 1))), 1000 * parts)

    return advance


def symmetric_moments(dx: torch.Tensor, dy: torch.Tensor) -> Moments:
    """Moments of the difference rows ``(dx, dy)`` and their negatives: zero mean, so a fit
    with an intercept learns only ``W`` from them."""
    return Moments.from_data(torch.cat([dx, -dx]), torch.cat([dy, -dy]))


def weighted(anchors: Moments, corpus_count: int, weight: float) -> Moments:
    """`anchors` rescaled so that their total weight is ``weight × corpus_count`` rows."""
    if not math.isfinite(weight) or weight < 0:
        raise SteerbridgeError(f"Anchor weight must be a finite number ≥ 0, got {weight}.")
    if anchors.count == 0:
        raise SteerbridgeError("The anchor moments are empty.")
    k = weight * corpus_count / anchors.count
    return Moments(anchors.n * k, anchors.sx * k, anchors.sy * k, anchors.sxx * k,
                   anchors.sxy * k, anchors.syy * k)


def saw_dataset(provenance: Mapping[str, Any], name: str, fingerprint: str) -> str | None:
    """The anchor under which a bridge saw this dataset (same name or fingerprint), if any.

    A vector from a behaviour the bridge was anchored on is not a held-out test of transfer.
    """
    for anchor, rec in (provenance.get("anchors", {}).get("datasets", {}) or {}).items():
        if (name and anchor == name) or rec.get("dataset_fingerprint") == fingerprint:
            return str(anchor)
    return None


def pooled(per_dataset: Mapping[str, Moments], without: str | None = None) -> Moments:
    """The anchor moments of every dataset but `without` (leave-one-behaviour-out: the bridge
    a behaviour is tested through never saw that behaviour's answers, RESULTS.md §6)."""
    others = [m for name, m in per_dataset.items() if name != without]
    if not others:
        raise SteerbridgeError("No anchor dataset" + (f" besides {without!r}" if without else "")
                               + ": give at least one other behaviour to anchor on.")
    total = others[0]
    for m in others[1:]:
        total = total + m
    return total
