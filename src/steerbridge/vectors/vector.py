"""Steering vectors: extraction from A/B items, transfer through a bridge, save / load.

Layer convention: layer ``l`` is the output of decoder block ``l`` (0-based), i.e. HF
``hidden_states[l + 1]``.

A `SteeringVector` keeps, per layer, the raw direction as extracted (its norm is meaningful:
CAA vectors are a few percent of a typical hidden state) and the layer's typical token norm
(``scales[l]``: the median L2 norm of that layer's hidden states over a fixed calibration text,
position 0 left out). Steering adds ``alpha * v_hat * scale``, so one ``alpha`` is a comparable
push in any model and layer (`steerbridge.steering`).

Extraction methods are plain callables ``(pos [N, d], neg [N, d]) -> [d]`` over the hidden
states at the matching and non-matching answer tokens (`mean_diff`, `pca_diff`,
`logistic_probe`); register more in `METHODS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

from steerbridge.errors import SteerbridgeError
from steerbridge.models import hidden_states as activations
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.datasets import ABItem, ABPrompt, build_prompts, builtin, builtin_names

FORMAT = "steerbridge.steering_vector"
FORMAT_VERSION = 1
READ_POSITION = "answer_token"
"""Where `extract` reads by default: the answer-label token (e.g. ``(A``) appended after the
opened assistant turn of the chat template."""
READ_POSITIONS = {
    "answer_letter": READ_POSITION,  # CAA: the answer letter after the opened assistant turn
    "answer_text": "answer_text_end",  # the last token of the chosen line, "(A) That's…"
}

Aggregator = Callable[[Tensor, Tensor], Tensor]


# ------------------------------------------------------------------------------ methods


def mean_diff(pos: Tensor, neg: Tensor) -> Tensor:
    """CAA: mean of the matching states minus mean of the non-matching states."""
    _check_pair(pos, neg)
    return pos.double().mean(0).sub(neg.double().mean(0)).float()


def pca_diff(pos: Tensor, neg: Tensor) -> Tensor:
    """First principal direction of the paired differences ``pos - neg`` (uncentred).

    The sign is chosen to agree with the mean difference, and the length is the mean
    difference's projection on it, so norms are comparable with `mean_diff`.
    """
    _check_pair(pos, neg)
    d = pos.double() - neg.double()
    _, _, vh = torch.linalg.svd(d, full_matrices=False)
    u = vh[0]
    proj = float(d.mean(0) @ u)
    return (u * proj).float()  # the sign of proj flips u to agree with the mean difference


def logistic_probe(pos: Tensor, neg: Tensor, l2: float = 1e-2, steps: int = 200) -> Tensor:
    """Weight direction of an L2-regularised logistic regression separating pos from neg.

    Features are standardised for the fit; the weight is mapped back to raw coordinates
    (``w / std``), then given the length of the mean difference's projection on it.
    """
    _check_pair(pos, neg)
    x = torch.cat([pos, neg]).double()
    y = torch.cat([torch.ones(len(pos)), torch.zeros(len(neg))]).double()
    mu, sd = x.mean(0), x.std(0).clamp_min(1e-8)
    z = (x - mu) / sd
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z @ w + b, y)
        loss = loss + l2 * (w @ w)
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    u = (w.detach() / sd)
    u = u / u.norm().clamp_min(1e-12)
    proj = float((pos.double().mean(0) - neg.double().mean(0)) @ u)
    return (u * proj).float()


METHODS: dict[str, Aggregator] = {
    "mean_diff": mean_diff,
    "pca_diff": pca_diff,
    "logistic_probe": logistic_probe,
}


def _check_pair(pos: Tensor, neg: Tensor) -> None:
    if pos.dim() != 2 or pos.shape != neg.shape or pos.shape[0] == 0:
        raise SteerbridgeError(f"Extraction needs two [N, d] tensors of equal shape, N >= 1; got "
                               f"{tuple(pos.shape)} and {tuple(neg.shape)}.")


# ------------------------------------------------------------------------- the vector


@dataclass
class SteeringVector:
    """One direction per layer, the layer's typical token norm, and where it came from."""

    directions: dict[int, Tensor]
    scales: dict[int, float]
    model_name: str
    model_fingerprint: str
    hidden_size: int
    method: str
    dataset_fingerprint: str
    read_position: str = READ_POSITION
    lineage: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if set(self.directions) != set(self.scales):
            raise SteerbridgeError(f"directions cover layers {sorted(self.directions)} but scales "
                                   f"cover {sorted(self.scales)}; give one scale per layer.")
        for layer, v in self.directions.items():
            if v.shape != (self.hidden_size,):
                raise SteerbridgeError(f"Direction at layer {layer} has shape {tuple(v.shape)}; "
                                       f"expected ({self.hidden_size},).")

    @property
    def layers(self) -> list[int]:
        return sorted(self.directions)

    def direction(self, layer: int) -> Tensor:
        """The raw direction at `layer`; a clear error if the vector has no such layer."""
        if layer not in self.directions:
            raise SteerbridgeError(f"This vector has no layer {layer}; it has layers "
                                   f"{self.layers}. Extract at that layer or pick one of these.")
        return self.directions[layer]

    def unit(self, layer: int) -> Tensor:
        """The unit direction v_hat at `layer`."""
        v = self.direction(layer)
        n = v.norm()
        if not torch.isfinite(n) or n == 0:
            raise SteerbridgeError(f"Direction at layer {layer} has norm {float(n)}; it cannot be "
                                   "normalised (were the two answers' states identical?).")
        return v / n

    def relative_norm(self, layer: int) -> float:
        """‖v‖ / scale: the native size of the direction in units of a typical token norm."""
        return float(self.direction(layer).norm()) / self.scales[layer]

    def check_model(self, lm: LoadedModel) -> None:
        """Refuse a model with another hidden size or fingerprint, naming both."""
        if lm.hidden_size != self.hidden_size:
            raise SteerbridgeError(
                f"Vector from {self.model_name} has hidden size {self.hidden_size} but "
                f"{lm.name} has {lm.hidden_size}. Transfer it through a bridge first."
            )
        if lm.fingerprint != self.model_fingerprint:
            raise SteerbridgeError(
                f"Vector was made for {self.model_name} (fingerprint {self.model_fingerprint}) "
                f"but the model is {lm.name} (fingerprint {lm.fingerprint}). Use a vector "
                "extracted on this model, or transfer it through a bridge."
            )

    def select(self, layers: Sequence[int]) -> SteeringVector:
        """A copy restricted to `layers`."""
        return replace(self, directions={lay: self.direction(lay) for lay in layers},
                       scales={lay: self.scales[lay] for lay in layers}, lineage=list(self.lineage))

    # --------------------------------------------------------------------- persistence

    def metadata(self) -> dict[str, str]:
        """The JSON-able metadata stored next to the tensors."""
        return {
            "format": FORMAT,
            "format_version": str(FORMAT_VERSION),
            "model_name": self.model_name,
            "model_fingerprint": self.model_fingerprint,
            "hidden_size": str(self.hidden_size),
            "method": self.method,
            "dataset_fingerprint": self.dataset_fingerprint,
            "read_position": self.read_position,
            "scales": json.dumps({str(k): v for k, v in self.scales.items()}),
            "lineage": json.dumps(self.lineage),
            "info": json.dumps(self.info),
        }

    @classmethod
    def from_metadata(cls, meta: dict[str, str], directions: dict[int, Tensor],
                      where: str) -> SteeringVector:
        if meta.get("format") != FORMAT:
            raise SteerbridgeError(f"{where} is not a steerbridge steering vector (format "
                                   f"{meta.get('format')!r}). Bridges load with bridge.load.")
        try:
            scales = {int(k): float(v) for k, v in json.loads(meta["scales"]).items()}
            return cls(
                directions=directions,
                scales=scales,
                model_name=meta["model_name"],
                model_fingerprint=meta["model_fingerprint"],
                hidden_size=int(meta["hidden_size"]),
                method=meta["method"],
                dataset_fingerprint=meta["dataset_fingerprint"],
                read_position=meta["read_position"],
                lineage=list(json.loads(meta["lineage"])),
                info=dict(json.loads(meta.get("info", "{}"))),
            )
        except (KeyError, ValueError) as err:
            raise SteerbridgeError(f"{where}: metadata is incomplete or corrupt ({err}).") from err

    def save(self, path: str | Path) -> Path:
        """Write ``.safetensors``: one float32 tensor ``direction.<layer>`` per layer + metadata."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tensors = {f"direction.{k}": v.detach().float().contiguous().cpu()
                   for k, v in self.directions.items()}
        save_file(tensors, str(p), metadata=self.metadata())
        return p

    @classmethod
    def load(cls, path: str | Path, model: LoadedModel | None = None) -> SteeringVector:
        """Read a vector saved by `save`; with `model`, refuse one made for another model."""
        from safetensors import safe_open

        p = Path(path)
        if not p.is_file():
            raise SteerbridgeError(f"Steering vector file {p} does not exist.")
        try:
            with safe_open(str(p), framework="pt") as f:
                meta = dict(f.metadata() or {})
            tensors = load_file(str(p))
        except Exception as err:  # safetensors raises its own error types
            raise SteerbridgeError(f"{p} is not a readable safetensors file ({err}).") from err
        directions = {int(k.split(".", 1)[1]): t for k, t in tensors.items()
                      if k.startswith("direction.")}
        vec = cls.from_metadata(meta, directions, str(p))
        if model is not None:
            vec.check_model(model)
        return vec


# ------------------------------------------------------------------------------ scales


def calibration_texts(n: int = 30) -> list[str]:
    """The fixed plain text on which layer scales are measured: questions of the built-ins.

    Plain text (no chat template) so that template tokens with outlier norms do not enter;
    the same text for every model, so scales are comparable across models.
    """
    texts: list[str] = []
    names = builtin_names()
    per = max(1, n // len(names))
    for name in names:
        gen, _ = builtin(name)
        picked = gen[:: max(1, len(gen) // per)][:per]
        texts += [it.question.split("\n\nChoices:")[0] for it in picked]
    return texts


def measure_scales(lm: LoadedModel, layers: Sequence[int], texts: Sequence[str] | None = None,
                   batch_size: int = 16) -> dict[int, float]:
    """Median L2 norm of the hidden states at `layers` over `texts` (position 0 left out)."""
    texts = list(texts) if texts is not None else calibration_texts()
    windows = [lm.tokenizer.encode(t, add_special_tokens=False) for t in texts]
    windows = [w for w in windows if len(w) > 1]
    if not windows:
        raise SteerbridgeError("No calibration text with at least two tokens to measure scales.")
    got = activations.collect(lm, windows, layers, positions="all", batch_size=batch_size,
                              progress=False)
    return {layer: float(h.norm(dim=-1).median()) for layer, h in got.states.items()}


# -------------------------------------------------------------------------- extraction


def answer_states(
    lm: LoadedModel, prompts: Sequence[ABPrompt], layers: Sequence[int],
    batch_size: int = 16, progress: bool = False,
) -> tuple[dict[int, Tensor], dict[int, Tensor]]:
    """States at the matching and non-matching answer tokens: ``({l: [N,d]}, {l: [N,d]})``.

    The state is read at the answer label's last token, with the label appended to the prompt.
    When every label is one token (A/B letters), each prompt runs once with a KV cache and
    the two labels then run as one token each on that cache (about half the work of two full
    forwards; same states, tested); otherwise each prompt runs twice, once per label.
    """
    if all(len(p.matching_ids) == 1 and len(p.non_matching_ids) == 1 for p in prompts):
        return _answer_states_shared_prefix(lm, prompts, layers, batch_size, progress)
    return _answer_states_appended(lm, prompts, layers, batch_size, progress)


def _answer_states_appended(
    lm: LoadedModel, prompts: Sequence[ABPrompt], layers: Sequence[int], batch_size: int,
    progress: bool,
) -> tuple[dict[int, Tensor], dict[int, Tensor]]:
    """`answer_states` for any labels: each prompt runs twice, once with each label appended."""
    windows: list[list[int]] = []
    for p in prompts:
        windows.append(p.prompt_ids + p.matching_ids)
        windows.append(p.prompt_ids + p.non_matching_ids)
    got = activations.collect(lm, windows, layers, positions="last", batch_size=batch_size,
                              padding_side="left", progress=progress)
    if got.n_tokens != len(windows):
        raise SteerbridgeError(f"Expected {len(windows)} answer states, got {got.n_tokens}.")
    pos = {layer: h[0::2] for layer, h in got.states.items()}
    neg = {layer: h[1::2] for layer, h in got.states.items()}
    return pos, neg


@torch.inference_mode()
def _answer_states_shared_prefix(
    lm: LoadedModel, prompts: Sequence[ABPrompt], layers: Sequence[int], batch_size: int,
    progress: bool,
) -> tuple[dict[int, Tensor], dict[int, Tensor]]:
    """`answer_states` for one-token labels: the prompt once, then each label on its cache."""
    from transformers import DynamicCache

    wanted = activations.check_layers(lm, layers)
    pad = lm.tokenizer.pad_token_id
    pad = 0 if pad is None else int(pad)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i].prompt_ids))
    pos: dict[int, Tensor] = {layer: torch.zeros(len(prompts), lm.hidden_size)
                              for layer in wanted}
    neg = {layer: t.clone() for layer, t in pos.items()}
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    with activations.progress_context(progress, len(batches), f"answers {lm.name}") as advance:
        for done, idx in enumerate(batches, 1):
            ids, mask = activations.pad_batch([prompts[i].prompt_ids for i in idx], pad, "left")
            cache = DynamicCache()
            activations.hidden_states_at(lm, ids, mask, wanted, cache=cache)
            mask1 = torch.cat([mask, torch.ones(len(idx), 1, dtype=mask.dtype)], dim=1)
            for out, attr in ((pos, "matching_ids"), (neg, "non_matching_ids")):
                label = torch.tensor([[getattr(prompts[i], attr)[0]] for i in idx])
                got = activations.hidden_states_at(lm, label, mask1, wanted,
                                                   positions=torch.zeros(len(idx)), cache=cache)
                cache.crop(-1)  # drop the label again (negative: a count, in every version)
                activations.check_finite(got, f"answer batch {done} of {lm.name}")
                for layer, h in got.items():
                    out[layer][idx] = h.cpu()
            advance(done, len(batches))
    return pos, neg


def items_for_read(items: Sequence[ABItem], read: str) -> tuple[list[ABItem], str]:
    """The items as `answer_states` must see them to read at `read`, and its lineage name.

    ``answer_text`` turns each answer label into its whole choice line; ``answer_letter``
    keeps the items as they are.
    """
    if read not in READ_POSITIONS:
        raise SteerbridgeError(f"Unknown read position {read!r}: use "
                               f"{' or '.join(READ_POSITIONS)}.")
    if read == "answer_text":
        from steerbridge.vectors.datasets import with_choice_text

        return with_choice_text(items), READ_POSITIONS[read]
    return list(items), READ_POSITIONS[read]


def extract(
    lm: LoadedModel,
    items: Sequence[ABItem],
    layers: Sequence[int],
    method: str | Aggregator = "mean_diff",
    batch_size: int = 16,
    system: str | None = None,
    dataset_name: str = "",
    scales: dict[int, float] | None = None,
    progress: bool = False,
    read: str = "answer_letter",
) -> SteeringVector:
    """Extract a steering vector on `lm` from A/B `items` at `layers` (block outputs).

    method: a name in `METHODS` or a callable ``(pos [N,d], neg [N,d]) -> [d]``.
    scales: per-layer typical norms if already measured; otherwise `measure_scales` runs once.
    read: ``"answer_letter"`` (CAA) or ``"answer_text"``: append the whole chosen line and
    read at its last token, contrasting what the answers say rather than which was picked.
    """
    fn, method_name = _method(method)
    wanted = activations.check_layers(lm, layers)
    items, read_position = items_for_read(items, read)
    ps = build_prompts(lm.tokenizer, items, system=system)
    pos, neg = answer_states(lm, ps.prompts, wanted, batch_size, progress)
    directions = {layer: fn(pos[layer], neg[layer]) for layer in wanted}
    for layer, v in directions.items():
        if not torch.isfinite(v).all():
            raise SteerbridgeError(f"The {method_name} direction at layer {layer} is not finite; "
                                   "try dtype='float32'.")
    if scales is None:
        scales = measure_scales(lm, wanted)
    used = [p.item for p in ps.prompts]
    from steerbridge.vectors.datasets import dataset_fingerprint

    fp = dataset_fingerprint(used)
    label = dataset_name or fp
    return SteeringVector(
        directions=directions,
        scales={layer: float(scales[layer]) for layer in wanted},
        model_name=lm.name,
        model_fingerprint=lm.fingerprint,
        hidden_size=lm.hidden_size,
        method=method_name,
        dataset_fingerprint=fp,
        read_position=read_position,
        lineage=[f"extracted on {lm.name} ({lm.fingerprint}) layers {wanted} by {method_name} "
                 f"from {len(used)} items of {label} at the {read_position}"],
        info={"n_items": len(used), "dropped": dict(ps.dropped), "dataset": label},
    )


def _method(method: str | Aggregator) -> tuple[Aggregator, str]:
    if callable(method):
        return method, getattr(method, "__name__", "custom")
    if method not in METHODS:
        raise SteerbridgeError(f"Unknown extraction method {method!r}; use one of "
                               f"{', '.join(METHODS)} or pass a callable (pos, neg) -> direction.")
    return METHODS[method], method


# -------------------------------------------------------------------------- controls


def random_like(vector: SteeringVector, seed: int = 0) -> SteeringVector:
    """A random Gaussian direction per layer with the same norm (and scale) as `vector`."""
    g = torch.Generator().manual_seed(seed)
    directions = {}
    for layer in vector.layers:
        r = torch.randn(vector.hidden_size, generator=g, dtype=torch.float64)
        directions[layer] = (r / r.norm() * float(vector.direction(layer).double().norm())).float()
    return replace(vector, directions=directions, scales=dict(vector.scales), method="random",
                   lineage=[*vector.lineage, f"replaced by a random direction of equal norm "
                            f"(seed {seed})"], info={**vector.info, "random_seed": seed})
