"""Collapsed conditions: steered so hard that the model no longer reads its input.

Pushed far enough (an alpha of 1e30, or a broken vector), a model's next-token distribution
stops depending on the question: it goes flat (the answer tokens get the uniform share
``2 / vocab`` of the probability) or freezes into the same output for every item. Scored as
usual, such a condition looks perfect: every item's p is 0.5 under the native and the
transferred vector alike, so retention and correlation read 1.00. Here a condition at an
alpha is *collapsed* when, over the test items,

- its answer mass is within `UNIFORM_FACTOR` of the uniform share while the unsteered model
  put at least `ANSWERING_FACTOR` times that share on the answers, or
- its logit differences are the same for every item: their spread is below `FROZEN_SHARE` of
  the unsteered model's spread.

Collapsed alphas are reported (``collapsed`` in a behaviour's results) and left out of every
metric (`mask`), like alphas with non-finite logits. `ppl_collapsed` flags side-effect
perplexities near the vocabulary size, i.e. no better than guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from steerbridge.models.loading import LoadedModel

SCORES = ("p", "ld", "lo", "mass")  # every per-item score an A/B sweep records (`evaluation.ab`)
UNIFORM_FACTOR = 1.5
ANSWERING_FACTOR = 3.0
FROZEN_SHARE = 1e-3
PPL_SHARE = 0.5


def vocab_size(lm: LoadedModel) -> int:
    """The size of `lm`'s output distribution."""
    head = lm.model.get_output_embeddings()
    weight = getattr(head, "weight", None)
    if weight is not None:
        return int(weight.shape[0])
    return int(lm.model.config.vocab_size)


def _row_collapsed(mass: np.ndarray, ld: np.ndarray, base_mass: np.ndarray,
                   base_ld: np.ndarray, uniform: float) -> bool:
    ok = np.isfinite(mass) & np.isfinite(ld)
    if not ok.any():
        return False  # non-finite: reported as a NaN alpha already
    m, m0 = float(np.mean(mass[ok])), float(np.nanmean(base_mass))
    if m <= UNIFORM_FACTOR * uniform and m0 >= ANSWERING_FACTOR * uniform:
        return True
    spread0 = float(np.nanstd(base_ld))
    return int(ok.sum()) >= 2 and spread0 > 0 and float(np.std(ld[ok])) <= FROZEN_SHARE * spread0


def find_collapse(conditions: dict[str, dict[str, Any]], alphas: Sequence[float],
                  vocab: int) -> dict[str, list[float]]:
    """``{condition: [collapsed alphas]}`` for every steered condition with any."""
    uniform = 2.0 / vocab
    out: dict[str, list[float]] = {}
    for name, c in conditions.items():
        if name in ("none", "source_none"):
            continue
        base = conditions.get("source_none" if name == "source" else "none")
        if base is None:
            continue
        mass, ld = np.asarray(c["mass"], np.float64), np.asarray(c["ld"], np.float64)
        hit = [float(a) for i, a in enumerate(alphas)
               if _row_collapsed(mass[i], ld[i], np.asarray(base["mass"], np.float64),
                                 np.asarray(base["ld"], np.float64), uniform)]
        if hit:
            out[name] = hit
    return out


def mask(conditions: dict[str, dict[str, Any]], alphas: Sequence[float],
         collapsed: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """A copy of `conditions` with its scores (p, ld, mass, and lo where present) set to NaN
    at the collapsed alphas."""
    if not collapsed:
        return conditions
    out = dict(conditions)
    for name, hit in collapsed.items():
        rows = [i for i, a in enumerate(alphas) if float(a) in hit]
        c = dict(conditions[name])
        for k in SCORES:
            if k not in c:
                continue
            arr = np.array(c[k], dtype=np.float64, copy=True)
            arr[rows] = np.nan
            c[k] = arr
        out[name] = c
    return out


def describe(collapsed: dict[str, list[float]]) -> str:
    """One sentence for warnings and the report."""
    parts = [f"{name} at alpha {', '.join(f'{a:g}' for a in hit)}"
             for name, hit in collapsed.items()]
    return ("outputs collapsed (answer mass at the uniform share, or the same output for every "
            f"item) for {'; '.join(parts)}: those alphas are not scored. Use smaller alphas.")


def ppl_collapsed(ppl: float, none_ppl: float, vocab: int) -> bool:
    """A perplexity near the vocabulary size (guessing), where the unsteered model was not."""
    return bool(np.isfinite(none_ppl) and none_ppl < PPL_SHARE * vocab
                and not (np.isfinite(ppl) and ppl < PPL_SHARE * vocab))
