"""Cache keys of the pipeline's stages: the content of every input, never a path or an alias.

A stage's artifact is reused only while everything it was computed from is unchanged, so each
key hashes (`steerbridge.cachekeys.content_key`):

- the models by their weight fingerprints and the dtype they run in (a model replaced under
  the same alias or folder gets new keys, so the stage runs afresh; a model folder moved
  elsewhere keeps its keys), or the config's model names when no model is loaded;
- every input file by its bytes: corpus files, generate / test / data / open-ended files (a
  file edited in place gets a new key; a folder of data moved elsewhere keeps its keys), the
  built-in behaviours and corpus by their packaged content;
- exactly the settings the stage reads, so a changed evaluation setting reuses the bridge and
  the vectors.

``bridge``: models and the bridge section. ``vectors``: models, both layers, the vectors
section and the behaviour's data. ``evaluation``: all of these plus the bridge key, the
evaluation section, the transfer method's settings (and the effect-matched bridge's key when
the method uses it), the anchor datasets by content when ``[transfer.anchors]`` is set, and the
behaviour's evaluation settings (open-ended prompts, tone).
``source`` (the source model's own sweep): the evaluation's key without the transfer parts, so
switching methods reuses it. The effect-matched bridge's key (`steerbridge.run.effect_stage`)
hashes the probe text itself.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from steerbridge.bridge.builtin_corpus import builtin_digest, is_builtin
from steerbridge.cachekeys import content_key, file_digest
from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.run.config import BehaviourConfig, Config, models_key
from steerbridge.vectors.dataset_folders import expand_all
from steerbridge.vectors.datasets import builtin_names

Stage = Literal["bridge", "vectors", "evaluation", "source"]
ModelIds = tuple[str, str, str]
"""(source fingerprint, target fingerprint, dtype): the models as the keys see them."""
DATA_VERSION = 2
"""Bumped when the way items are read changes (version 2: de-duplicated splits, answer
prefixes and instructions)."""


def _digest(path: Path | None) -> str | None:
    """The content digest of an input file, or a clear error if it is gone."""
    if path is None:
        return None
    p = Path(path).expanduser()
    if p.is_dir():
        raise SteerbridgeError(f"{p} is a folder, not a file: give the file inside it.")
    if not p.is_file():
        raise SteerbridgeError(f"Input file {p} does not exist: check the path (relative paths "
                               "in a config are relative to the config file).")
    return file_digest(p)


@lru_cache(maxsize=64)
def _builtin_digest(name: str) -> str:
    """The packaged content of a built-in behaviour (all its files, by name and bytes)."""
    root = resources.files("steerbridge").joinpath("data", "behaviours", name)
    h = hashlib.sha256()
    if root.is_dir():
        for f in sorted(root.iterdir(), key=lambda x: x.name):
            if f.is_file():
                h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def corpus_part(specs: list[str]) -> list[str | None]:
    """Each corpus entry by content: a built-in corpus by name and the hash of its packaged
    text files (its code ships with steerbridge), an ``hf:`` name as given, a file by its
    bytes."""
    out: list[str | None] = []
    for spec in specs:
        if is_builtin(spec):
            out.append(builtin_digest(spec))
        elif spec.startswith("hf:"):
            out.append(spec)
        else:
            out.append(_digest(Path(spec)))
    return out


def model_ids(source: LoadedModel, target: LoadedModel) -> ModelIds:
    """The loaded models' fingerprints and the dtype they run in."""
    return source.fingerprint, target.fingerprint, str(target.dtype).replace("torch.", "")


def models_part(cfg: Config, models: ModelIds | None) -> dict[str, Any]:
    """The models by fingerprint and dtype; the config's names when none are loaded."""
    if models is None:
        return {"names": models_key(cfg)}
    return {"source": models[0], "target": models[1], "dtype": models[2]}


def behaviour_data_part(beh: BehaviourConfig, test: bool = False) -> dict[str, Any]:
    """What decides a behaviour's generate items (with `test`: its test items too): file
    contents and the settings that read them."""
    part = {
        "version": DATA_VERSION,
        "builtin": _builtin_digest(beh.builtin) if beh.builtin is not None else None,
        "data": _digest(beh.data), "generate": _digest(beh.generate),
        "split": [beh.test_fraction, beh.split_seed] if beh.data is not None else None,
        "multi_choice": beh.multi_choice, "answer_instruction": beh.answer_instruction,
        "answer_prefix": beh.answer_prefix, "system_prompt": beh.system_prompt,
        "max_generate": beh.max_generate,
    }
    if beh.scoring != "letter":  # only when set: keys of letter runs stay as they were
        part["scoring"] = beh.scoring
    if test:
        part.update(test=_digest(beh.test), max_test=beh.max_test)
    return part


def anchors_part(cfg: Config) -> dict[str, Any] | None:
    """``[transfer.anchors]`` by content: each dataset's packaged files or bytes, and the
    settings; None when no anchors are set."""
    a = cfg.transfer.anchors
    if not a.datasets:
        return None
    return {"datasets": [_builtin_digest(s) if s in builtin_names() else _digest(Path(s))
                         for s in expand_all(a.datasets)], "items": a.items, "weight": a.weight}


def _behaviour(cfg: Config, name: str) -> BehaviourConfig:
    for b in cfg.behaviours:
        if b.name == name:
            return b
    raise SteerbridgeError(f"No behaviour {name!r} in the config.")


def stage_hash(cfg: Config, stage: Stage, behaviour: str | None = None,
               models: ModelIds | None = None, effect: str | None = None) -> str:
    """The key of one stage's artifacts (see the module docstring); `effect` is the key of the
    effect-matched bridge an evaluation's transfer method uses."""
    d = cfg.to_dict()
    bridge = {**d["bridge"], "corpus": corpus_part(cfg.bridge.corpus)}
    parts: dict[str, Any] = {"models": models_part(cfg, models)}
    if stage == "bridge":
        parts["bridge"] = bridge
        return content_key(**parts)
    parts["layers"] = [cfg.bridge.source_layer, cfg.bridge.target_layer]
    parts["vectors"] = d["vectors"]
    beh = _behaviour(cfg, behaviour) if behaviour is not None else None
    if beh is not None:
        parts["data"] = behaviour_data_part(beh)
    if stage == "vectors":
        return content_key(**parts)
    parts["bridge"] = stage_hash(cfg, "bridge", models=models)
    ceiling = d["evaluation"].pop("ceiling_seeds")  # only where set: other keys stay as they were
    parts["evaluation"] = {**d["evaluation"], **({"ceiling_seeds": ceiling}
                                                 if ceiling and stage == "evaluation" else {})}
    if stage == "evaluation":
        parts["transfer"] = cfg.transfer.key_part()
        if effect is not None:
            parts["effect_bridge"] = effect
        if cfg.transfer.anchors.datasets:
            parts["anchors"] = anchors_part(cfg)
    if beh is not None:
        parts["data"] = behaviour_data_part(beh, test=True)
        parts["behaviour"] = {"open_ended": _digest(beh.open_ended), "tone": beh.tone}
    return content_key(**parts)
