"""A/B evaluation and greedy generation in llama.cpp, and their agreement with transformers.

`sweep` and `generations` return the shapes of `evaluation.ab.sweep` and `ab.generations`, so
the same metrics and `ab.vader_tone` apply. Prompts are tokenised by the HF tokenizer of the
same model (`ab.prepare`), so both engines read identical token ids.

`parity` compares one vector in both engines item by item: the change in the A/B logit
difference ``ld = logit(matching) - logit(non-matching)`` that steering causes
(``shift = ld(alpha) - ld(none)``), its correlation and mean, and how much of the steered gap
between the engines the unsteered gap (Q4_K_M in llama.cpp vs the dequantised float model in
transformers) already explains.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from steerbridge.evaluation import metrics
from steerbridge.vectors.llamacpp import LlamaCppModel
from steerbridge.vectors.prompts import ABPrompt, chat_prompt
from steerbridge.vectors.vector import SteeringVector

Progress = Callable[[int], None]


def scores(logits: np.ndarray, prompt: ABPrompt) -> dict[str, float]:
    """``p``, ``ld``, ``mass`` of one prompt from its answer-position logits [vocab]."""
    lg = logits.astype(np.float64)
    m, n = lg[prompt.matching_ids[0]], lg[prompt.non_matching_ids[0]]
    top = float(lg.max())
    logz = top + math.log(float(np.exp(lg - top).sum()))
    ld = m - n
    return {"p": 1.0 / (1.0 + math.exp(-ld)), "ld": ld,
            "mass": math.exp(m - logz) + math.exp(n - logz)}


def sweep(model: LlamaCppModel, prompts: Sequence[ABPrompt], vectors: dict[str, SteeringVector],
          alphas: Sequence[float], progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    """Score `prompts` unsteered (``none``) and under each vector at each alpha in llama.cpp.

    Same result layout as `evaluation.ab.sweep` (``{"none": {"p","ld","mass": [n]}, name:
    {"p","ld","mass": [n_alpha][n]}}``), plus ``seconds`` of llama.cpp time.
    """
    n, na = len(prompts), len(alphas)
    res: dict[str, dict[str, Any]] = {"none": {k: np.full(n, np.nan) for k in ("p", "ld", "mass")}}
    t0 = time.perf_counter()
    for i, p in enumerate(prompts):
        for k, v in scores(model.last_logits(p.prompt_ids), p).items():
            res["none"][k][i] = v
    for name, vec in vectors.items():
        res[name] = {k: np.full((na, n), np.nan) for k in ("p", "ld", "mass")}
        for ai, alpha in enumerate(alphas):
            with model.steered(vec, alpha):
                for i, p in enumerate(prompts):
                    for k, v in scores(model.last_logits(p.prompt_ids), p).items():
                        res[name][k][ai, i] = v
                    if progress:
                        progress(1)
        bad = ~np.isfinite(res[name]["p"]).all(axis=1)
        res[name]["nan_alphas"] = [float(alphas[int(i)]) for i in np.nonzero(bad)[0]]
    res["none"]["seconds"] = time.perf_counter() - t0
    return res


def generations(model: LlamaCppModel, tokenizer: Any, prompts: Sequence[str],
                vectors: dict[str, SteeringVector], alpha: float, max_new_tokens: int = 40,
                system: str | None = None) -> dict[str, Any]:
    """Greedy continuations in llama.cpp, unsteered and under each vector at `alpha`.

    Same layout as `evaluation.ab.generations` (so `ab.vader_tone` scores it).
    """
    ids = [tokenizer.encode(chat_prompt(tokenizer, p, system), add_special_tokens=False)
           for p in prompts]

    def run(vec: SteeringVector | None) -> list[str]:
        with model.steered(vec, alpha if vec is not None else 0.0):
            outs = [model.greedy(i, max_new_tokens) for i in ids]
        return [tokenizer.decode(o, skip_special_tokens=True).strip() for o in outs]

    outs: dict[str, list[str]] = {"none": run(None)}
    for name, vec in vectors.items():
        outs[name] = run(vec)
    conds = list(outs)
    samples = [{"prompt": p, "outputs": {c: outs[c][i] for c in conds}}
               for i, p in enumerate(prompts)]
    return {"alpha": float(alpha), "max_new_tokens": max_new_tokens, "conditions": conds,
            "samples": samples}


# ------------------------------------------------------------------------------- parity


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def parity(hf: dict[str, Any], cpp: dict[str, Any], name: str,
           alphas: Sequence[float]) -> dict[str, Any]:
    """Agreement of the two engines' A/B results for vector `name` (sweep outputs).

    ``baseline``: unsteered ``ld`` in llama.cpp vs transformers (the quantisation gap).
    Per alpha: per-item ``shift`` correlation, mean shifts and their ratio (llama.cpp /
    transformers), the RMS of the steered gap ``gap = ld_cpp - ld_hf`` and of the shift gap,
    and two readings of how much of the steered gap quantisation explains:
    ``explained_size = ms(gap_none) / ms(gap)`` (how large the unsteered gap already is; 1 =
    steering adds no disagreement on average) and ``explained_per_item = 1 - ms(gap -
    gap_none) / ms(gap)`` (how well each item's unsteered gap predicts its steered gap).
    """
    ld0_h, ld0_c = np.asarray(hf["none"]["ld"]), np.asarray(cpp["none"]["ld"])
    gap0 = ld0_c - ld0_h
    out: dict[str, Any] = {
        "n_items": int(ld0_h.size),
        "baseline": {"r_ld": metrics.pearson(ld0_h, ld0_c), "rms_gap": _rms(gap0),
                     "mean_gap": float(gap0.mean()), "rms_ld_hf": _rms(ld0_h - ld0_h.mean()),
                     "same_choice": float(np.mean(np.sign(ld0_h) == np.sign(ld0_c)))},
        "per_alpha": [],
    }
    for ai, alpha in enumerate(alphas):
        ld_h = np.asarray(hf[name]["ld"][ai])
        ld_c = np.asarray(cpp[name]["ld"][ai])
        sh_h, sh_c = ld_h - ld0_h, ld_c - ld0_c
        gap = ld_c - ld_h
        ms_gap = float(np.mean(np.square(gap)))
        mh, mc = float(sh_h.mean()), float(sh_c.mean())
        out["per_alpha"].append({
            "alpha": float(alpha),
            "r_shift": metrics.pearson(sh_h, sh_c),
            "mean_shift_hf": mh,
            "mean_shift_llamacpp": mc,
            "ratio": mc / mh if mh else math.nan,
            "same_sign": bool(np.sign(mh) == np.sign(mc)),
            "r_ld": metrics.pearson(ld_h, ld_c),
            "rms_gap": math.sqrt(ms_gap),
            "rms_shift_hf": _rms(sh_h),
            "rms_shift_gap": _rms(sh_c - sh_h),
            "explained_size": float(np.mean(np.square(gap0))) / ms_gap if ms_gap else 1.0,
            "explained_per_item": (1.0 - float(np.mean(np.square(gap - gap0))) / ms_gap
                                   if ms_gap else 1.0),
        })
    return out


def passes(par: dict[str, Any], min_r: float = 0.9, tol: float = 0.25) -> list[str]:
    """Failures of the issue-14 rule (empty list = pass): r_shift >= `min_r`, same sign,
    mean shift within `tol` relative, at every alpha."""
    bad = []
    for row in par["per_alpha"]:
        a = row["alpha"]
        if not row["r_shift"] >= min_r:
            bad.append(f"alpha {a:+}: per-item shift r = {row['r_shift']:.3f} < {min_r}")
        if not row["same_sign"]:
            bad.append(f"alpha {a:+}: mean shifts of opposite sign")
        if not abs(row["ratio"] - 1.0) <= tol:
            bad.append(f"alpha {a:+}: mean shift ratio {row['ratio']:.3f} outside 1 ± {tol}")
    return bad


def tone_parity(tone_hf: dict[str, Any], tone_cpp: dict[str, Any], name: str) -> dict[str, Any]:
    """VADER shifts of the greedy continuations in both engines (`ab.vader_tone` outputs)."""
    sh, sc = tone_hf["shift"][name], tone_cpp["shift"][name]
    ph = np.asarray(tone_hf["per_sample"][name]) - np.asarray(tone_hf["per_sample"]["none"])
    pc = np.asarray(tone_cpp["per_sample"][name]) - np.asarray(tone_cpp["per_sample"]["none"])
    return {"shift_hf": sh, "shift_llamacpp": sc, "same_sign": bool(np.sign(sh) == np.sign(sc)),
            "per_prompt_hf": ph.tolist(), "per_prompt_llamacpp": pc.tolist(),
            "moved_same_way": int(np.sum(np.sign(ph) == np.sign(pc)))}
