"""An affine map between two models' hidden states: ``h_T[lt](x) ≈ W · h_S[ls](x) + b``.

`Bridge` carries ``W`` [d_t, d_s] and ``b`` [d_t] with their provenance (models, fingerprints,
layers, corpus, method, held-out metrics) and saves to one safetensors file. Fit methods:

- ``ridge`` (default): closed form with an unpenalised bias, from float64 `Moments`;
  λ = λ_rel x mean diagonal of the centred XᵀX, chosen on a held-out split from a grid.
- ``procrustes``: a scaled orthogonal map after centring. When d_s ≠ d_t, "orthogonal" means
  semi-orthogonal: with SVD ``Σ_yx = U S Vᵀ`` (k = min(d_s, d_t) singular vectors) the map is
  ``s · U Vᵀ``; for d_s < d_t it embeds the source isometrically into a d_s-dimensional
  subspace of the target (orthonormal columns), for d_s > d_t it projects (orthonormal rows).
  The single scale ``s = Σ S / tr(Σ_xx)`` absorbs the models' different norm scales.
- ``lowrank``: reduced-rank regression: the ridge map projected on the top-``rank``
  principal directions of its fitted values.
- ``sgd``: the paper's recipe (AdamW on MSE, lr 1e-4, batches of 32 x 512 tokens, 4 epochs) on
  raw rows, kept as a reference to compare against.

Metrics are computed on held-out tokens: R² (1 - SSE/SST over all dimensions), mean cosine,
centred cosine (both vectors minus the training mean of y: the mean alone already gives a raw
cosine near 0.5), relative error ``‖Ŷ - Y‖_F / ‖Y‖_F``, per token source (plain / chat), each
beside the mean predictor and a random map (Gaussian ``W`` with the fitted map's spread, bias
chosen so it predicts the training mean; see `baselines`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import Tensor

from steerbridge.bridge.moments import F64, Moments, PairStats
from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress

FORMAT_VERSION = 1
METHODS = ("ridge", "procrustes", "lowrank", "sgd")
DEFAULT_LAMBDAS: tuple[float, ...] = (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)


# ----------------------------------------------------------------------------------------------
# Closed-form fits from Moments. Each returns (W [d_y, d_x], b [d_y], info) in float64.


def _check_determined(m: Moments) -> None:
    if m.count <= m.dx:
        warnings.warn(
            f"Fitting a {m.dx}-dimensional source on only {m.count} tokens: the fit is "
            f"underdetermined (need more than {m.dx} tokens, ideally 10x that, "
            f"~{10 * m.dx:,}); ridge regularisation keeps it finite but expect poor held-out "
            "scores.",
            stacklevel=3,
        )


def fit_ridge(
    train: Moments,
    val: Moments | None = None,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    lam: float | None = None,
) -> tuple[Tensor, Tensor, dict[str, Any]]:
    """Ridge with bias. ``lam`` (relative) fixes λ; else the best of ``lambdas`` on `val`.

    Without `val` or `lam`, λ_rel = 1e-2 (the pilot's best). One eigendecomposition of the
    centred XᵀX serves every λ.
    """
    _check_determined(train)
    cxx, cxy = train.centred()
    mx, my = train.means()
    scale = float(torch.diagonal(cxx).mean())
    evals, q = torch.linalg.eigh(cxx)
    evals = evals.clamp(min=0)
    a = q.T @ cxy  # [d_x, d_y]
    tiny = 1e-12 * float(evals.max())

    def solve(rel: float) -> tuple[Tensor, Tensor]:
        lam_abs = rel * scale
        denom = evals + lam_abs
        inv = torch.where(denom > tiny, 1.0 / denom.clamp(min=tiny), torch.zeros_like(denom))
        w = (q @ (inv[:, None] * a)).T
        return w, my - w @ mx

    grid = [lam] if lam is not None else (list(lambdas) if val is not None else [1e-2])
    scores: dict[str, float] = {}
    best: tuple[float, float] | None = None
    for rel in grid:
        w, b = solve(rel)
        if val is not None and len(grid) > 1:
            r2 = val.r2(w, b)
            scores[f"{rel:g}"] = r2
            if best is None or r2 > best[1]:
                best = (rel, r2)
    chosen = best[0] if best is not None else grid[0]
    w, b = solve(chosen)
    info = {"lambda_rel": chosen, "lambda": chosen * scale, "val_r2_by_lambda": scores}
    return w, b, info


def fit_procrustes(train: Moments) -> tuple[Tensor, Tensor, dict[str, Any]]:
    """Scaled (semi-)orthogonal map after centring; see the module docstring for d_s ≠ d_t."""
    cxx, cxy = train.centred()
    mx, my = train.means()
    u, s, vh = torch.linalg.svd(cxy.T, full_matrices=False)  # [d_y, k], [k], [k, d_x]
    rot = u @ vh
    scale = float(s.sum() / torch.diagonal(cxx).sum())
    w = scale * rot
    return w, my - w @ mx, {"scale": scale, "k": int(s.numel())}


def fit_lowrank(
    train: Moments, rank: int, val: Moments | None = None, lam: float | None = None
) -> tuple[Tensor, Tensor, dict[str, Any]]:
    """Reduced-rank regression: ridge map projected on its top-`rank` fitted directions."""
    if not 0 < rank <= min(train.dx, train.dy):
        raise SteerbridgeError(
            f"rank={rank} is out of range: use 1..{min(train.dx, train.dy)} (the smaller hidden "
            "size)."
        )
    w, _, info = fit_ridge(train, val, lam=lam)
    cxx, _ = train.centred()
    fitted = w @ cxx @ w.T  # scatter of the fitted values [d_y, d_y]
    _, vecs = torch.linalg.eigh(fitted)
    p = vecs[:, -rank:]
    w_r = p @ (p.T @ w)
    mx, my = train.means()
    return w_r, my - w_r @ mx, {**info, "rank": rank}


# ----------------------------------------------------------------------------------------------
# The paper's gradient-descent recipe, on raw rows.


def fit_sgd(
    x: Tensor,
    y: Tensor,
    epochs: int = 4,
    lr: float = 1e-4,
    batch_tokens: int = 32 * 512,
    weight_decay: float = 0.01,
    seed: int = 0,
    callback: Callable[[int, float, Tensor, Tensor], bool | None] | None = None,
) -> tuple[Tensor, Tensor, dict[str, Any]]:
    """AdamW on MSE (float32), as in Bello et al.: a reference, not the default.

    ``callback(step, seconds, W, b)`` runs after every step; returning True stops early.
    """
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise SteerbridgeError("sgd needs the same, non-zero number of x and y rows.")
    gen = torch.Generator().manual_seed(seed)
    lin = torch.nn.Linear(x.shape[1], y.shape[1])
    with torch.no_grad():
        bound = 1 / math.sqrt(x.shape[1])
        lin.weight.uniform_(-bound, bound, generator=gen)
        lin.bias.zero_()
    opt = torch.optim.AdamW(lin.parameters(), lr=lr, weight_decay=weight_decay)
    x32, y32 = x.float(), y.float()
    t0 = time.perf_counter()
    step = 0
    losses: list[float] = []
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], batch_tokens):
            idx = perm[i : i + batch_tokens]
            loss = torch.nn.functional.mse_loss(lin(x32[idx]), y32[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            losses.append(float(loss.detach()))
            if callback is not None:
                stop = callback(step, time.perf_counter() - t0, lin.weight.detach(),
                                lin.bias.detach())
                if stop:
                    break
        else:
            continue
        break
    w, b = lin.weight.detach().to(F64), lin.bias.detach().to(F64)
    return w, b, {"epochs": epochs, "lr": lr, "batch_tokens": batch_tokens, "steps": step,
                  "final_loss": losses[-1] if losses else float("nan")}


# ----------------------------------------------------------------------------------------------
# Metrics


def _cos(a: Tensor, b: Tensor) -> Tensor:
    return torch.nn.functional.cosine_similarity(a, b, dim=-1, eps=1e-12)


def score(
    w: Tensor,
    b: Tensor,
    x: Tensor,
    y: Tensor,
    y_mean_train: Tensor,
    groups: Tensor | None = None,
    group_names: Sequence[str] = ("plain", "chat"),
) -> dict[str, float]:
    """Held-out metrics of the map on rows ``x``, ``y``; per group too when `groups` is given."""
    x64, y64 = x.to(F64), y.to(F64)
    pred = x64 @ w.to(F64).T + b.to(F64)
    mu = y_mean_train.to(F64)

    def block(sel: Tensor | None) -> dict[str, float]:
        p, t = (pred, y64) if sel is None else (pred[sel], y64[sel])
        if t.shape[0] == 0:
            return {}
        sse = float(((p - t) ** 2).sum())
        sst = float(((t - t.mean(0)) ** 2).sum())
        return {
            "r2": 1 - sse / sst if sst > 0 else float("nan"),
            "cosine": float(_cos(p, t).mean()),
            "centred_cosine": float(_cos(p - mu, t - mu).mean()),
            "rel_error": math.sqrt(sse / float((t**2).sum())),
            "mse": sse / t.numel(),
            "n": int(t.shape[0]),
        }

    out = block(None)
    if groups is not None:
        for g, name in enumerate(group_names):
            for k, v in block(groups == g).items():
                out[f"{k}_{name}"] = v
    return out


def baselines(
    w: Tensor, train: Moments, x: Tensor, y: Tensor, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Mean predictor (``ŷ = ȳ_train``) and a random map.

    The random map is a Gaussian matrix rescaled so that its predictions on the training tokens
    spread as much as the fitted map's (same ``tr(W Σ_xx Wᵀ)``), with the bias that makes it
    predict the training mean: a map of the right size pointing in random directions. (Matching
    the Frobenius norm of ``W`` instead is meaningless for many-to-one maps, whose weights on
    correlated layers cancel.)
    """
    mx, my = train.means()
    cxx, _ = train.centred()
    zero = torch.zeros_like(w, dtype=F64)
    mean_pred = score(zero, my, x, y, my)
    gen = torch.Generator().manual_seed(seed)
    rnd = torch.randn(w.shape, generator=gen, dtype=F64)
    w64 = w.to(F64)
    spread_fit = float((w64 @ cxx * w64).sum())
    spread_rnd = float((rnd @ cxx * rnd).sum())
    rnd *= math.sqrt(spread_fit / spread_rnd) if spread_rnd > 0 else 0.0
    random_map = score(rnd, my - rnd @ mx, x, y, my)
    keep = ("r2", "cosine", "centred_cosine", "rel_error")
    return {"mean_predictor": {k: mean_pred[k] for k in keep if k in mean_pred},
            "random_map": {k: random_map[k] for k in keep}}


# ----------------------------------------------------------------------------------------------
# The Bridge


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
        """Map source hidden states ``[..., d_s]`` to predicted target states ``[..., d_t]``."""
        w = self.W.to(h.dtype)
        return h @ w.T + self.b.to(h.dtype)

    def transfer(self, vector: Any, with_bias: bool = False,
                 target_scale: float | None = None) -> Any:
        """Carry a steering vector across the bridge (see `steerbridge.bridge.transfer.transfer`).

        The target layer's scale is the one stored at fit time unless `target_scale` is given.
        """
        from steerbridge.bridge.transfer import transfer

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
    ) -> Bridge:
        """Fit a bridge from `Moments` (or raw ``(X, Y)`` rows) with `method`.

        `val` picks ridge's λ; `test` rows ``(X, Y[, groups])`` give the held-out metrics (with
        the mean-predictor and random-map baselines). Provenance is filled in by `fit_bridge`.
        """
        if method not in METHODS:
            raise SteerbridgeError(f"Unknown method {method!r}: use one of {', '.join(METHODS)}.")
        rows: tuple[Tensor, Tensor] | None = None
        if isinstance(train, tuple):
            rows = (train[0], train[1])
            moments = Moments.from_data(*rows)
        else:
            moments = train
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
            w, b, info = fit_sgd(*rows, **(sgd_options or {}))
        metrics: dict[str, Any] = {"n_train": moments.count, **{k: v for k, v in info.items()}}
        if val is not None and val.count > 0:
            metrics["val_r2"] = val.r2(w, b)
            metrics["n_val"] = val.count
        if test is not None and test[0].shape[0] > 0:
            groups = test[2] if len(test) == 3 else None
            _, my = moments.means()
            metrics["test"] = score(w, b, test[0], test[1], my, groups)
            metrics["baselines"] = baselines(w, moments, test[0], test[1])
        return cls(W=w.float(), b=b.float(), source_layers=list(source_layers),
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

    def save(self, path: str | Path) -> Path:
        """Write one .safetensors file: tensors W, b and JSON metadata (never pickle)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({"W": self.W.float().contiguous(), "b": self.b.float().contiguous()},
                  str(path), {"steerbridge": json.dumps(self.metadata(), default=_json_default)})
        return path

    @classmethod
    def load(
        cls,
        path: str | Path,
        source: LoadedModel | None = None,
        target: LoadedModel | None = None,
    ) -> Bridge:
        """Read a bridge; with `source` / `target`, refuse one made for other models."""
        path = Path(path)
        if not path.is_file():
            raise SteerbridgeError(f"No bridge file at {path}.")
        try:
            with safe_open(str(path), "pt") as f:
                raw = (f.metadata() or {}).get("steerbridge")
                tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
        except Exception as err:  # noqa: BLE001 - any unreadable file gets one clear message
            raise SteerbridgeError(f"{path} is not a readable safetensors file: {err}") from err
        meta = json.loads(raw) if raw else {}
        if meta.get("format") != "steerbridge.bridge":
            raise SteerbridgeError(f"{path} is not a steerbridge bridge file.")
        if meta.get("format_version") != FORMAT_VERSION:
            raise SteerbridgeError(
                f"{path} has bridge format version {meta.get('format_version')}, this steerbridge "
                f"reads version {FORMAT_VERSION}: refit it with `steerbridge fit-bridge`."
            )
        bridge = cls(
            W=tensors["W"], b=tensors["b"], source_layers=list(meta["source_layers"]),
            target_layer=int(meta["target_layer"]), source_name=meta["source_name"],
            target_name=meta["target_name"], source_fingerprint=meta["source_fingerprint"],
            target_fingerprint=meta["target_fingerprint"], method=meta["method"],
            target_scale=meta.get("target_scale"), metrics=meta.get("metrics", {}),
            settings=meta.get("settings", {}),
            provenance=meta.get("provenance", {}),
        )
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


# ----------------------------------------------------------------------------------------------
# High level


def fit_bridge(
    source: LoadedModel,
    target: LoadedModel,
    corpus: Any = "default",
    source_layers: int | Sequence[int] = 12,
    target_layer: int = 14,
    method: str = "ridge",
    max_tokens: int | None = 200_000,
    cache_dir: str | Path | None = None,
    progress: Progress = True,
    window: int = 128,
    batch_size: int = 8,
    outlier_factor: float = 5.0,
    anchors: Mapping[str, Sequence[Any]] | None = None,
    anchor_weight: float = 1.0,
    anchor_read: str = "answer_letter",
    **fit_options: Any,
) -> Bridge:
    """Tokenize `corpus`, run both models once (cached), fit and score a bridge.

    `corpus` is anything `steerbridge.corpus.load_corpus` takes (``"default"``, a path, ...)
    or ready `Windows`. `max_tokens` caps the tokens fed to the models.
    `anchors` ({name: A/B items}) adds their paired answer-state differences to the fit with
    total weight `anchor_weight` × the corpus tokens (`steerbridge.anchors`), read at
    `anchor_read` (answer_letter or answer_text); the held-out metrics stay on corpus tokens.
    """
    from steerbridge.bridge.corpus import Windows, check_tokenizers, load_corpus, tokenize
    from steerbridge.bridge.moments import collect_pair_moments, collect_pair_rows

    check_tokenizers(source.tokenizer, target.tokenizer, source.name, target.name)
    layers = [source_layers] if isinstance(source_layers, int) else list(source_layers)
    for layer in layers:
        source.check_layer(layer)
    target.check_layer(target_layer)
    if isinstance(corpus, Windows):
        windows = corpus
    else:
        c = load_corpus(corpus)
        windows = tokenize(c, source.tokenizer, window=window, max_tokens=max_tokens)
    pair = (tuple(layers), target_layer)
    if anchors and method == "sgd":
        raise SteerbridgeError("Anchors need a closed-form method (ridge, procrustes or lowrank); "
                               "drop the anchors or choose another method.")
    if anchors and (not math.isfinite(anchor_weight) or anchor_weight < 0):
        raise SteerbridgeError(f"Anchor weight must be a finite number ≥ 0, got {anchor_weight}.")
    anchor_record: dict[str, Any] | None = None
    if method == "sgd":
        x, y = collect_pair_rows(source, target, windows, pair, "train", batch_size,
                                 outlier_factor, progress)
        stats = collect_pair_moments(source, target, windows, [pair], batch_size, outlier_factor,
                                     cache_dir=cache_dir, progress=progress)[pair]
        bridge = Bridge.fit((x, y), stats.val, "sgd",
                            test=(stats.test_x, stats.test_y, stats.test_source),
                            source_layers=layers, target_layer=target_layer, **fit_options)
        bridge.metrics["dropped"] = dict(stats.dropped)
    else:
        stats = collect_pair_moments(source, target, windows, [pair], batch_size, outlier_factor,
                                     cache_dir=cache_dir, progress=progress)[pair]
        if anchors:
            from steerbridge.bridge.anchors import anchor_moments, weighted

            am, datasets = anchor_moments(source, target, anchors, layers, target_layer,
                                          progress=progress is True, read=anchor_read)
            corpus_rows = stats.train.count
            stats = dataclasses.replace(
                stats, train=stats.train + weighted(am, corpus_rows, anchor_weight))
            anchor_record = {"datasets": datasets, "weight": anchor_weight,
                             "pairs": am.count // 2, "corpus_train_tokens": corpus_rows}
        bridge = Bridge.fit_stats(stats, method, **fit_options)
    describe(bridge, source, target, windows)
    if anchor_record is not None:
        bridge.provenance["anchors"] = anchor_record
    return bridge


def describe(bridge: Bridge, source: LoadedModel, target: LoadedModel, windows: Any,
             target_scale: float | None = None) -> None:
    """Fill in a bridge's provenance from its models and corpus windows, and store the target
    layer's scale (measured once on the fixed calibration text unless given), so that
    `Bridge.transfer` needs no model."""
    from steerbridge.vectors.vector import measure_scales

    if target_scale is None:
        target_scale = measure_scales(target, [bridge.target_layer])[bridge.target_layer]
    bridge.target_scale = float(target_scale)
    bridge.source_name, bridge.target_name = source.name, target.name
    bridge.source_fingerprint, bridge.target_fingerprint = source.fingerprint, target.fingerprint
    bridge.provenance = {
        "corpus": windows.corpus_name, "corpus_windows_fingerprint": windows.fingerprint,
        "corpus_tokens": windows.n_tokens, "windows": len(windows),
        "chat_header_tokens": windows.header_tokens,
        "layer_convention": "layer l = output of decoder block l = HF hidden_states[l+1]",
        "dtype": str(source.dtype).replace("torch.", ""),
    }
