"""One vector in llama.cpp and in transformers: A/B shifts, greedy tone, and the layer probe.

`evaluate` runs the A/B sweep and greedy generations in llama.cpp alone (what
``steerbridge llamacpp eval`` prints). `compare` runs the same items, alphas and prompts in
transformers too and measures the agreement (`llamacpp_ab.parity`, `llamacpp_ab.tone_parity`).
`layer_probe` is the one-layer experiment behind the layer convention: a direction added at
llama.cpp's ``direction.k`` moves the logits as transformers' layer ``k`` (and not ``k ± 1``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from steerbridge.evaluation import ab, freetext, llamacpp_ab, metrics
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.llamacpp import LlamaCppModel
from steerbridge.vectors.prompts import build_prompts
from steerbridge.vectors.steering import steer
from steerbridge.vectors.vector import SteeringVector

NAME = "vector"


def _json(res: dict[str, Any]) -> dict[str, Any]:
    return {c: {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in d.items()}
            for c, d in res.items()}


def _summary(res: dict[str, Any], alphas: Sequence[float]) -> list[dict[str, float]]:
    rows = [{"alpha": 0.0, "mean_ld": float(np.mean(res["none"]["ld"])),
             "mean_p": float(np.mean(res["none"]["p"])),
             "mean_mass": float(np.mean(res["none"]["mass"]))}]
    for ai, a in enumerate(alphas):
        rows.append({"alpha": float(a), "mean_ld": float(np.mean(res[NAME]["ld"][ai])),
                     "mean_p": float(np.mean(res[NAME]["p"][ai])),
                     "mean_mass": float(np.mean(res[NAME]["mass"][ai]))})
    return rows


def evaluate(cpp: LlamaCppModel, tokenizer: Any, items: Sequence[ABItem], vector: SteeringVector,
             alphas: Sequence[float], open_prompts: Sequence[str] = (),
             gen_alpha: float | None = None, max_new_tokens: int = 40,
             system: str | None = None) -> dict[str, Any]:
    """A/B sweep and (if `open_prompts`) greedy generations in llama.cpp, with VADER tone."""
    prompts = build_prompts(tokenizer, items, system=system).prompts
    t0 = time.perf_counter()
    res = llamacpp_ab.sweep(cpp, prompts, {NAME: vector}, alphas)
    out: dict[str, Any] = {
        "model": cpp.name, "n_items": len(prompts), "alphas": [float(a) for a in alphas],
        "items": [p.item.source for p in prompts], "conditions": _json(res),
        "summary": _summary(res, alphas), "ab_seconds": time.perf_counter() - t0,
    }
    if open_prompts:
        ga = float(gen_alpha if gen_alpha is not None else alphas[0])
        t0 = time.perf_counter()
        gens = llamacpp_ab.generations(cpp, tokenizer, open_prompts, {NAME: vector}, ga,
                                       max_new_tokens, system)
        out["generations"] = gens
        out["tone"] = freetext.vader_tone(gens)
        out["gen_seconds"] = time.perf_counter() - t0
    return out


def compare(hf: LoadedModel, cpp: LlamaCppModel, items: Sequence[ABItem], vector: SteeringVector,
            alphas: Sequence[float], open_prompts: Sequence[str] = (),
            gen_alpha: float | None = None, max_new_tokens: int = 40,
            system: str | None = None, batch_size: int = 8) -> dict[str, Any]:
    """`evaluate` in llama.cpp and the same in transformers, with the parity figures."""
    prompts = ab.prepare(hf, items, system)
    t0 = time.perf_counter()
    res_h = ab.sweep(hf, prompts, {NAME: vector}, alphas, batch_size=batch_size)
    t_h = time.perf_counter() - t0
    t0 = time.perf_counter()
    res_c = llamacpp_ab.sweep(cpp, prompts, {NAME: vector}, alphas)
    t_c = time.perf_counter() - t0
    par = llamacpp_ab.parity(res_h, res_c, NAME, alphas)
    out: dict[str, Any] = {
        "model_hf": hf.name, "model_llamacpp": cpp.name, "n_items": len(prompts),
        "items": [p.item.source for p in prompts], "alphas": [float(a) for a in alphas],
        "hf": _json(res_h), "llamacpp": _json(res_c),
        "summary_hf": _summary(res_h, alphas), "summary_llamacpp": _summary(res_c, alphas),
        "parity": par, "rule_failures": llamacpp_ab.passes(par),
        "seconds": {"ab_hf": t_h, "ab_llamacpp": t_c},
    }
    if open_prompts:
        ga = float(gen_alpha if gen_alpha is not None else alphas[0])
        t0 = time.perf_counter()
        gh = freetext.generations(hf, list(open_prompts), {NAME: vector}, ga, max_new_tokens,
                                  system)
        out["seconds"]["gen_hf"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        gc = llamacpp_ab.generations(cpp, hf.tokenizer, open_prompts, {NAME: vector}, ga,
                                     max_new_tokens, system)
        out["seconds"]["gen_llamacpp"] = time.perf_counter() - t0
        th, tc = freetext.vader_tone(gh), freetext.vader_tone(gc)
        out["generations"] = {"hf": gh, "llamacpp": gc, "tone_hf": th, "tone_llamacpp": tc,
                              "tone_parity": llamacpp_ab.tone_parity(th, tc, NAME)}
    return out


# -------------------------------------------------------------------------- layer probe


@torch.inference_mode()
def _hf_last(hf: LoadedModel, ids: Sequence[int]) -> np.ndarray:
    x = torch.tensor([list(ids)], device=hf.device)
    return hf.model(input_ids=x, use_cache=False).logits[0, -1].double().cpu().numpy()


def layer_probe(hf: LoadedModel, cpp: LlamaCppModel, prompt_ids: Sequence[Sequence[int]],
                layer: int, alpha: float, scale: float, offsets: Sequence[int] = (-1, 0, 1),
                seed: int = 0) -> dict[str, Any]:
    """Which transformers layer does llama.cpp's ``direction.<layer>`` steer?

    A random unit direction ``r`` (seed `seed`) is added as ``alpha * scale * r`` at llama.cpp's
    ``direction.<layer>`` and, separately, at transformers layer ``layer + o`` for each offset
    ``o``. Returns, per offset, the Pearson r over the vocabulary (all prompts pooled) between
    the two logit changes, and their RMS; the best offset is the layer correspondence.
    """
    g = torch.Generator().manual_seed(seed)
    r = torch.randn(cpp.hidden_size, generator=g, dtype=torch.float64)
    r = (r / r.norm()).float()

    def vec(k: int) -> SteeringVector:
        return SteeringVector({k: r.clone()}, {k: float(scale)}, hf.name, hf.fingerprint,
                              hf.hidden_size, "random-probe", "none")

    base_c = [cpp.last_logits(i) for i in prompt_ids]
    with cpp.steered(vec(layer), alpha):
        d_c = np.concatenate([cpp.last_logits(i) - b for i, b in zip(prompt_ids, base_c,
                                                                      strict=True)])
    base_h = [_hf_last(hf, i) for i in prompt_ids]
    rows = []
    for o in offsets:
        k = layer + o
        if not 0 <= k < hf.num_layers:
            continue
        with steer(hf, vec(k), alpha, check_model=False):
            d_h = np.concatenate([_hf_last(hf, i) - b for i, b in zip(prompt_ids, base_h,
                                                                       strict=True)])
        rows.append({"hf_layer": k, "offset": o, "r": metrics.pearson(d_c, d_h),
                     "rms_hf": float(np.sqrt(np.mean(d_h ** 2))),
                     "rms_llamacpp": float(np.sqrt(np.mean(d_c ** 2))),
                     "rms_diff": float(np.sqrt(np.mean((d_c - d_h) ** 2)))})
    best = max(rows, key=lambda row: row["r"])
    return {"llamacpp_direction": layer, "alpha": float(alpha), "scale": float(scale),
            "n_prompts": len(prompt_ids), "rows": rows, "best_hf_layer": best["hf_layer"]}


def save_json(path: str | Path, obj: Any) -> Path:
    """Write `obj` as indented JSON atomically (temporary file, then rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=1, default=float))
    os.replace(tmp, p)
    return p
