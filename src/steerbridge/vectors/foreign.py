"""Control vectors written by other tools (llama.cpp's cvector-generator, repeng's export).

Such a GGUF file holds ``direction.<k>`` tensors (1-D float32, ``k`` >= 1) and the keys
``controlvector.model_hint`` (an architecture such as ``qwen2`` or ``llama``) and
``controlvector.layer_count``, but no steerbridge metadata: no model fingerprint, no scales, no
lineage. `export.load_gguf` reads it as a `SteeringVector` of method ``imported`` and
fingerprint ``unknown``; `adopt` makes it a vector for a model the user names, after checking
the file's hint against the model's architecture and name, and its size against the hidden size.

Layer numbering: both tools and llama.cpp mean by ``direction.k`` the output of block ``k``
(0-based), steerbridge's layer ``k``.

Alpha semantics: a foreign tensor already is the push llama.cpp adds (``alpha * v_hat * scale``
with the tool's own alpha folded in). The imported vector takes each tensor as its direction and
the tensor's norm as the layer's scale, so ``alpha = 1`` reproduces the file exactly (what
``--control-vector FILE`` does), ``alpha = 0.5`` is ``--control-vector-scaled FILE:0.5``, and
alphas are *not* in units of the model's median token norm as for steerbridge's own vectors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.vector import SteeringVector

ALPHA_SEMANTICS = ("foreign control vector: each tensor is already the push llama.cpp adds; "
                   "scale = the tensor's norm, so alpha 1 reproduces the file (strength 1)")


@dataclass(frozen=True)
class ModelIdentity:
    """What a foreign vector is checked against: name, architecture, hidden size, layers."""

    name: str
    architecture: str
    hidden_size: int
    num_layers: int
    fingerprint: str

    @classmethod
    def of(cls, lm: LoadedModel) -> ModelIdentity:
        cfg: Any = lm.model.config
        get = getattr(cfg, "get_text_config", None)
        text = get() if callable(get) else cfg
        arch = str(getattr(text, "model_type", "") or getattr(cfg, "model_type", ""))
        return cls(lm.name, arch, lm.hidden_size, lm.num_layers, lm.fingerprint)


def is_foreign(vec: SteeringVector) -> bool:
    """True for a vector read from another tool's file (no steerbridge metadata)."""
    return vec.method == "imported" and vec.model_fingerprint == "unknown"


def file_hint(vec: SteeringVector) -> str:
    """The ``controlvector.model_hint`` the file carried (``unknown`` if none)."""
    return str(vec.info.get("model_hint", vec.model_name or "unknown"))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", text.lower())


def hint_matches(hint: str, model: ModelIdentity) -> bool:
    """Whether a file's model hint names `model`: its architecture or its name.

    ``qwen2`` matches architecture ``qwen2`` and name ``qwen2.5-coder-1.5b``; ``qwen2.5``
    (what steerbridge writes for that alias) matches too; ``llama`` does not.
    """
    h = _norm(hint)
    if not h or h == "unknown":
        return True
    arch, name = _norm(model.architecture), _norm(model.name.split("/")[-1])
    return bool(
        (arch and (h == arch or h.startswith(arch) or arch.startswith(h))) or h in name
    )


def adopt(vec: SteeringVector, model: ModelIdentity) -> SteeringVector:
    """The foreign `vec` as a vector for `model`, or a `SteerbridgeError` saying what is wrong."""
    if not is_foreign(vec):
        raise SteerbridgeError(f"{vec.model_name}'s vector carries steerbridge metadata; it is "
                               "not foreign. Load it with `export.load(path, model)`.")
    hint = file_hint(vec)
    if not hint_matches(hint, model):
        raise SteerbridgeError(
            f"This control vector's model hint is {hint!r} but {model.name} is a "
            f"{model.architecture!r} model. A control vector only steers the model family it "
            "was made for: pass the matching model (--model-hint), or a vector made for this one."
        )
    if vec.hidden_size != model.hidden_size:
        raise SteerbridgeError(
            f"This control vector has {vec.hidden_size} values per layer but {model.name} has "
            f"hidden size {model.hidden_size}: it was made for another model size. Pass the "
            "model it was made for (--model-hint)."
        )
    bad = [k for k in vec.layers if not 1 <= k < model.num_layers]
    if bad:
        raise SteerbridgeError(
            f"This control vector has layers {bad} but {model.name} has blocks "
            f"0..{model.num_layers - 1} (and llama.cpp steers 1..{model.num_layers - 1})."
        )
    return replace(
        vec,
        model_name=model.name,
        model_fingerprint=model.fingerprint,
        directions=dict(vec.directions),
        scales=dict(vec.scales),
        lineage=[*vec.lineage, f"adopted for {model.name} ({model.architecture}, hidden "
                 f"{model.hidden_size}); file hint {hint!r}"],
        info={**vec.info, "model_hint": hint, "alpha_semantics": ALPHA_SEMANTICS},
    )


def describe(vec: SteeringVector) -> list[tuple[int, float]]:
    """``(layer, norm of the tensor the file holds)`` per layer: the push at alpha 1."""
    return [(k, float(vec.directions[k].double().norm())) for k in vec.layers]


def identity_of(spec: str) -> ModelIdentity:
    """A model's identity without loading its weights: an alias or HF directory (config.json)
    or a ``.gguf`` model file (its metadata). The fingerprint is ``unknown``: enough to check
    and show a foreign vector, not to save it for that model (that needs the loaded model)."""
    import json
    from pathlib import Path

    from steerbridge.models import zoo

    p = Path(spec).expanduser()
    if spec in zoo.ZOO or p.is_dir():
        cfg_path = (zoo.model_path(spec) if spec in zoo.ZOO else p) / "config.json"
        if not cfg_path.is_file():
            raise SteerbridgeError(f"No config.json for {spec} at {cfg_path}; install the alias "
                                   "(`steerbridge models install`) or pass a model directory.")
        cfg = json.loads(cfg_path.read_text())
        cfg = cfg.get("text_config", cfg)
        return ModelIdentity(spec, str(cfg.get("model_type", "")), int(cfg["hidden_size"]),
                             int(cfg["num_hidden_layers"]), "unknown")
    if p.suffix == ".gguf" and p.is_file():
        import gguf

        reader = gguf.GGUFReader(str(p))

        def field(key: str) -> Any:
            f = reader.fields.get(key)
            return None if f is None else f.contents()

        arch = str(field("general.architecture") or "")
        size, blocks = field(f"{arch}.embedding_length"), field(f"{arch}.block_count")
        if size is None or blocks is None:
            raise SteerbridgeError(f"{p} has no {arch}.embedding_length / block_count: is it a "
                                   "model file?")
        return ModelIdentity(spec, arch, int(size), int(blocks), "unknown")
    raise SteerbridgeError(f"--model-hint {spec!r}: give an installed alias "
                           f"({', '.join(sorted(zoo.ZOO))}), a HF model directory or a .gguf "
                           "model file.")
