"""The effect-matched map as a normal bridge file, from two models, a state-bridge prior and
unlabelled probe text.

`probe_batches` turns corpus windows and unlabelled questions into probe batches;
`fit_effect_bridge` collects gradient-pair moments (`bridge.effect`), fits ``W_eff`` with the
state bridge's ``W₀`` as prior and returns a `Bridge` (``b = 0``: the relation goes through 0)
that `steerbridge transfer` and every other tool read unchanged. Gradient moments save to one
safetensors file (`save_gradients` / `load_gradients`) so a pipeline can reuse them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.corpus import Windows
from steerbridge.bridge.effect import (
    EffectFit,
    GradientMoments,
    collect_gradient_moments,
    fit_effect_map,
)
from steerbridge.bridge.moments import Moments
from steerbridge.bridge.probes import ProbeBatch, prompt_batch, windows_batch
from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, progress_context
from steerbridge.safeio import atomic_write, verify_safetensors

METHOD = "effect"
_PARTS = ("a.", "b.", "v.")


@dataclass(frozen=True)
class EffectSettings:
    """How gradient pairs are collected (λ is chosen by `fit_effect_map` from its own grid)."""

    windows: int = 64  # corpus windows (the corpus's end: least overlap with the state fit)
    window: int = 48  # tokens per corpus window
    draws: int = 4  # probe draws per window
    per_position: bool = True  # one pair per token position (T pairs per window and draw)
    prompts_per_behaviour: int = 32  # unlabelled generate-split questions per behaviour
    batch_size: int = 8
    seed: int = 0


def probe_batches(tokenizer: Any, windows: Windows, prompts: Sequence[str],
                  s: EffectSettings) -> list[ProbeBatch]:
    """The last `s.windows` corpus windows and then `prompts`, in batches of `s.batch_size`."""
    order = list(range(len(windows.ids)))[::-1][: s.windows]
    bs = s.batch_size
    out = [windows_batch(tokenizer, [windows.ids[i] for i in order[j:j + bs]],
                         [windows.skip[i] for i in order[j:j + bs]], s.window)
           for j in range(0, len(order), bs)]
    out += [prompt_batch(tokenizer, list(prompts[j:j + bs])) for j in range(0, len(prompts), bs)]
    if not out:
        raise SteerbridgeError("No probe text for the effect-matched fit: give corpus windows or "
                               "unlabelled prompts.")
    return out


def collect(source: LoadedModel, target: LoadedModel, prior: Bridge,
            batches: Sequence[ProbeBatch], s: EffectSettings,
            progress: Progress = None) -> GradientMoments:
    """Gradient-pair moments between the prior's layers (`progress`: `steerbridge.progress`,
    counted in probe texts)."""
    if len(prior.source_layers) != 1:
        raise SteerbridgeError(f"The effect-matched fit maps one source layer; the prior bridge "
                               f"reads {prior.source_layers}.")
    prior.check_model("source", source)
    prior.check_model("target", target)
    total = sum(int(b.ids.shape[0]) for b in batches)
    with progress_context(progress, total, "probe gradients (both models)") as advance:
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            advance(done[0], total)

        return collect_gradient_moments(source, target, prior.source_layers[0],
                                        prior.target_layer, batches, s.draws, seed=s.seed,
                                        progress=tick, per_position=s.per_position)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def as_bridge(fit: EffectFit, prior: Bridge, settings: EffectSettings) -> Bridge:
    """`fit` as a bridge file's content: ``W_eff``, ``b = 0``, the fit's metrics."""
    metrics = {"lam_rel": fit.lam_rel,
               "val_r2_by_lam": {f"{k:g}": _finite(v) for k, v in fit.val_r2.items()},
               "val_r2": _finite(fit.val_r2.get(fit.lam_rel, math.nan)),
               "prior_val_r2": _finite(fit.prior_r2), "split_half_cos": _finite(fit.split_half_cos),
               "pairs": fit.info.get("pairs"), "windows": fit.info.get("windows"),
               "train_pairs": fit.info.get("train_pairs"), "val_pairs": fit.info.get("val_pairs"),
               "determined": fit.info.get("determined")}
    return Bridge(W=fit.W.float().cpu(), b=torch.zeros(fit.W.shape[0]),
                  source_layers=list(prior.source_layers), target_layer=prior.target_layer,
                  source_name=prior.source_name, target_name=prior.target_name,
                  source_fingerprint=prior.source_fingerprint,
                  target_fingerprint=prior.target_fingerprint, method=METHOD,
                  target_scale=prior.target_scale, metrics=metrics, settings=asdict(settings),
                  provenance={"prior": {"method": prior.method, "metrics": prior.metrics.get(
                      "test", {})}, "label_free": True})


def fit_effect_bridge(source: LoadedModel, target: LoadedModel, prior: Bridge,
                      batches: Sequence[ProbeBatch], s: EffectSettings | None = None,
                      progress: Progress = None, moments: GradientMoments | None = None) -> Bridge:
    """Collect (unless `moments` are given) and fit the effect-matched bridge."""
    s = s or EffectSettings()
    gm = moments if moments is not None else collect(source, target, prior, batches, s, progress)
    return as_bridge(fit_effect_map(gm, prior=prior.W.double()), prior, s)


def save_gradients(gm: GradientMoments, path: str | Path) -> Path:
    """One safetensors file: the three parts' sums and the collection's info (atomic)."""
    tensors = {**gm.half_a.tensors("a."), **gm.half_b.tensors("b."), **gm.val.tensors("v.")}
    meta = {"steerbridge": json.dumps({"kind": "gradient-moments", **gm.info})}
    return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), meta),
                        kind=("moments", "safetensors"), verify=verify_safetensors)


def load_gradients(path: str | Path) -> GradientMoments:
    """Read `save_gradients`' file back (`SteerbridgeError` on a foreign or truncated file)."""
    try:
        with safe_open(str(path), "pt") as f:
            info = json.loads((f.metadata() or {})["steerbridge"])
            t = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except Exception as err:  # noqa: BLE001 - any unreadable file gets one clear message
        raise SteerbridgeError(f"{path} is not a readable gradient-moments file "
                               f"({type(err).__name__}: {err}).") from None
    if not isinstance(info, dict) or info.pop("kind", None) != "gradient-moments":
        raise SteerbridgeError(f"{path} is not a gradient-moments file.")
    a, b, v = (Moments.from_tensors(t, p) for p in _PARTS)
    return GradientMoments(a, b, v, info=info)
