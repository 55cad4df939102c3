"""An affine map between two models' hidden states: ``h_T[lt](x) ≈ W · h_S[ls](x) + b``.

`Bridge` carries ``W`` [d_t, d_s] and ``b`` [d_t] with their provenance (models, fingerprints,
layers, corpus, method, held-out metrics) and saves to one safetensors file (never pickle).
`Bridge.fit` fits it from `Moments` or raw rows with a method of `steerbridge.bridge.fits` and
scores it on held-out rows (`steerbridge.bridge.scoring`); calling it maps source states;
`Bridge.transfer` carries a steering vector across. Fitting from two models and a corpus is
`steerbridge.bridge.fitting.fit_bridge`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import Tensor

from steerbridge.bridge.bridge_file import FORMAT_VERSION, read_bridge_file
from steerbridge.bridge.fits import (
    DEFAULT_LAMBDAS,
    METHODS,
    fit_lowrank,
    fit_procrustes,
    fit_ridge,
    fit_sgd,
)
from steerbridge.bridge.moments import Moments
from steerbridge.bridge.pairstats import PairStats
from steerbridge.bridge.scoring import baselines, score
from steerbridge.bridge.transfer import transfer
from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.safeio import atomic_write, verify_safetensors
from steerbridge.vectors.vector import SteeringVector

__all__ = ["FORMAT_VERSION", "Bridge"]


@dataclass
class Bridge:
    """``h_T[target_layer] ≈ W · concat(h_S[l] for l in source_layers) + b``.

    Layer l = output of decoder block l (HF ``hidden_states[l + 1]``).
    """

    W: Tensor  # [d_t, d_s * len(source_layers)]
    b: Tensor  # [d_t]
    source_layers: list[int]
    target_layer: int
    source_name: str = ""
    target_name: str = ""
    source_fingerprint: str = ""
    target_fingerprint: str = ""
    method: str = "ridge"
    target_scale: float | None = None  # median token norm of the target layer (steering units)
    metrics: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def source_layer(self) -> int:
        """The source layer of a one-to-one bridge."""
        if len(self.source_layers) != 1:
            raise SteerbridgeError(
                f"This bridge maps several source layers {self.source_layers}; use source_layers."
            )
        return self.source_layers[0]

    @property
    def d_source(self) -> int:
        return int(self.W.shape[1])

    @property
    def d_target(self) -> int:
        return int(self.W.shape[0])

    def __call__(self, h: Tensor) -> Tensor:
        """Map source hidden states ``[..., d_s]`` to predicted target states ``[..., d_t]``
        (on `h`'s device and in its dtype, wherever the bridge's tensors are)."""
        w = self.W.to(device=h.device, dtype=h.dtype)
        return h @ w.T + self.b.to(device=h.device, dtype=h.dtype)

    def transfer(self, vector: SteeringVector, with_bias: bool = False,
                 target_scale: float | None = None) -> SteeringVector:
        """Carry a steering vector across the bridge (see `steerbridge.bridge.transfer.transfer`).

        The target layer's scale is the one stored at fit time unless `target_scale` is given.
        """
        return transfer(self, vector, with_bias=with_bias, target_scale=target_scale)

    # -- fitting ---------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        train: Moments | tuple[Tensor, Tensor],
        val: Moments | None = None,
        method: str = "ridge",
        *,
        test: tuple[Tensor, Tensor] | tuple[Tensor, Tensor, Tensor] | None = None,
        source_layers: Sequence[int] = (0,),
        target_layer: int = 0,
        lam: float | None = None,
        lambdas: Sequence[float] = DEFAULT_LAMBDAS,
        rank: int | None = None,
        sgd_options: dict[str, Any] | None = None,
        device: torch.device | str | None = None,
    ) -> Bridge:
        """Fit a bridge from `Moments` (or raw ``(X, Y)`` rows) with `method`.

        `val` picks ridge's λ; `test` rows ``(X, Y[, groups])`` give the held-out metrics (with
        the mean-predictor and random-map baselines). Provenance is filled in by `fit_bridge`.
        The solve and the scores run on `device` (default: where the train moments, or rows,
        are); the bridge keeps ``W`` and ``b`` on the CPU (`__call__` moves them to the states).
        """
        if method not in METHODS:
            raise SteerbridgeError(f"Unknown method {method!r}: use one of {', '.join(METHODS)}.")
        rows: tuple[Tensor, Tensor] | None = None
        if isinstance(train, tuple):
            rows = (train[0], train[1])
            moments = Moments.from_data(*rows)
        else:
            moments = train
        dev = torch.device(device) if device is not None else moments.device
        moments = moments.to(dev)
        val = val.to(dev) if val is not None else None
        if moments.count == 0:
            raise SteerbridgeError("No training tokens: the corpus is empty or all were dropped.")
        if method == "ridge":
            w, b, info = fit_ridge(moments, val, lambdas, lam)
        elif method == "procrustes":
            w, b, info = fit_procrustes(moments)
        elif method == "lowrank":
            if rank is None:
                raise SteerbridgeError("method='lowrank' needs a rank, e.g. rank=64.")
            w, b, info = fit_lowrank(moments, rank, val, lam)
        else:
            if rows is None:
                raise SteerbridgeError(
                    "method='sgd' needs raw rows: Bridge.fit((X, Y), method='sgd'); Moments "
                    "suffice only for the closed-form methods."
                )
            w, b, info = fit_sgd(*rows, **{"device": dev, **(sgd_options or {})})
            w, b = w.to(dev), b.to(dev)
        metrics: dict[str, Any] = {"n_train": moments.count, **{k: v for k, v in info.items()}}
        if val is not None and val.count > 0:
            metrics["val_r2"] = val.r2(w, b)
            metrics["n_val"] = val.count
        if test is not None and test[0].shape[0] > 0:
            groups = test[2] if len(test) == 3 else None
            _, my = moments.means()
            metrics["test"] = score(w, b, test[0], test[1], my, groups)
            metrics["baselines"] = baselines(w, moments, test[0], test[1])
        return cls(W=w.float().cpu(), b=b.float().cpu(), source_layers=list(source_layers),
                   target_layer=target_layer, method=method, metrics=metrics,
                   settings={"lam": lam, "rank": rank, **(sgd_options or {})})

    @classmethod
    def fit_stats(cls, stats: PairStats, method: str = "ridge", **kw: Any) -> Bridge:
        """Fit from a `PairStats` (train + val Moments, raw test rows)."""
        bridge = cls.fit(stats.train, stats.val, method,
                         test=(stats.test_x, stats.test_y, stats.test_source),
                         source_layers=list(stats.pair[0]), target_layer=stats.pair[1], **kw)
        bridge.metrics["dropped"] = dict(stats.dropped)
        return bridge

    # -- files -----------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        return {
            "format": "steerbridge.bridge", "format_version": FORMAT_VERSION,
            "source_name": self.source_name, "target_name": self.target_name,
            "source_fingerprint": self.source_fingerprint,
            "target_fingerprint": self.target_fingerprint,
            "d_source": self.d_source, "d_target": self.d_target,
            "source_layers": self.source_layers, "target_layer": self.target_layer,
            "method": self.method, "target_scale": self.target_scale,
            "settings": self.settings, "metrics": self.metrics,
            "provenance": self.provenance,
        }

    def save(self, path: str | Path, force: bool = False) -> Path:
        """Write one .safetensors file: tensors W, b and JSON metadata (never pickle).

        Atomic (`steerbridge.safeio`); a file of another kind at `path` is kept unless `force`.
        """
        meta = {"steerbridge": json.dumps(self.metadata(), default=_json_default)}
        tensors = {"W": self.W.float().cpu().contiguous(), "b": self.b.float().cpu().contiguous()}
        return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), meta), kind="bridge",
                            force=force, verify=verify_safetensors)

    @classmethod
    def load(
        cls,
        path: str | Path,
        source: LoadedModel | None = None,
        target: LoadedModel | None = None,
    ) -> Bridge:
        """Read a bridge; with `source` / `target`, refuse one made for other models. Every
        tensor, shape and metadata field is checked (`steerbridge.bridge.bridge_file`)."""
        bridge = cls(**read_bridge_file(path))
        for role, lm in (("source", source), ("target", target)):
            if lm is not None:
                bridge.check_model(role, lm)
        return bridge

    def check_model(self, role: str, lm: LoadedModel) -> None:
        """Raise unless `lm` is the model this bridge was fitted on as `role`."""
        want_fp = self.source_fingerprint if role == "source" else self.target_fingerprint
        want_name = self.source_name if role == "source" else self.target_name
        if want_fp and lm.fingerprint != want_fp:
            raise SteerbridgeError(
                f"This bridge was fitted with {role} model {want_name!r} (fingerprint {want_fp}) "
                f"but was given {lm.name!r} (fingerprint {lm.fingerprint}). Load the right "
                "model or fit a new bridge for this pair."
            )
        layers = self.source_layers if role == "source" else [self.target_layer]
        for layer in layers:
            lm.check_layer(layer)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Tensor):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    return str(obj)
