"""The run directory: where each stage's artifact lives, whose run it is, atomic writes.

Every cached artifact carries the content key of exactly what its stage reads
(`steerbridge.run.keys.stage_hash`), so a rerun with a changed evaluation setting reuses the
bridge and the vectors, and nothing made under other settings is ever picked up::

    RUN_DIR/
      run.json                     identity (the models) and the history of configs run here
      config.json                  the config of the latest run
      scales.json                  typical token norm per model and layer
      moments/                     hidden-state statistics (resumable)
      bridge-<key>.safetensors
      pairs-<key>.json             layer-pair screen (if asked)
      vectors/<behaviour>-<key>-{source,native}.safetensors
      vectors/<behaviour>-<key>-transferred.safetensors   the carried vector (the evaluation's key)
      vectors/<behaviour>-<key>-random-source-<seed>.safetensors   its random-source controls
      eval/<behaviour>-<key>.json, eval/<behaviour>-<key>-source.json
      results.json, report.html, report.md

A run directory made for other models is refused (start a new one with another ``run.dir``);
one whose models' weights changed under the same names runs every stage afresh (new keys).
Scripts that read finished (or unfinished) runs find their files here, not by parsing names.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation.results import nan_to_none
from steerbridge.run.config import Config, digest, models_key
from steerbridge.safeio import read_json as safe_read_json
from steerbridge.safeio import read_text, set_aside
from steerbridge.safeio import write_json as safe_write_json

RUN_FORMAT = "steerbridge.run"
Role = Literal["source", "native"]

_KEY = r"[0-9a-f]{16}"
_VECTOR = re.compile(rf"^(?P<name>.+)-(?P<key>{_KEY})-(?P<role>source|native)\.safetensors$")
_EVAL = re.compile(rf"^(?P<name>.+)-(?P<key>{_KEY})(?P<source>-source)?\.json$")


@dataclass(frozen=True)
class RunDir:
    """The paths of one run directory (nothing is created until a stage writes)."""

    path: Path

    @property
    def meta(self) -> Path:
        return self.path / "run.json"

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def scales(self) -> Path:
        return self.path / "scales.json"

    @property
    def moments(self) -> Path:
        return self.path / "moments"

    @property
    def results(self) -> Path:
        return self.path / "results.json"

    def bridge(self, key: str) -> Path:
        return self.path / f"bridge-{key}.safetensors"

    def effect_bridge(self, key: str) -> Path:
        return self.path / f"effect-bridge-{key}.safetensors"

    def gradients(self, key: str) -> Path:
        return self.path / "moments" / f"grads-{key}.safetensors"

    def pairs(self, key: str) -> Path:
        return self.path / f"pairs-{key}.json"

    def vector(self, behaviour: str, key: str, role: Role) -> Path:
        return self.path / "vectors" / f"{behaviour}-{key}-{role}.safetensors"

    def carried(self, behaviour: str, key: str, control: int | None = None) -> Path:
        """The transferred vector (or random-source control `control`) evaluated under `key`."""
        role = "transferred" if control is None else f"random-source-{control}"
        return self.path / "vectors" / f"{behaviour}-{key}-{role}.safetensors"

    def evaluation(self, behaviour: str, key: str, source: bool = False) -> Path:
        return self.path / "eval" / f"{behaviour}-{key}{'-source' if source else ''}.json"


def identity(cfg: Config) -> str:
    """What a run directory is bound to: the two models (as the config names them) and their
    dtype; not where they run (device), which changes no result."""
    return digest(models_key(cfg))


def _read_meta(rd: RunDir) -> dict[str, Any] | None:
    """run.json, or None when there is none; a corrupt one is set aside (warning)."""
    if not rd.meta.exists():
        return None
    try:
        meta = json.loads(read_text(rd.meta, "Run file"))
        if not isinstance(meta, dict) or not isinstance(meta.get("history", []), list):
            raise ValueError("not a run.json object")
    except (SteerbridgeError, ValueError) as err:
        set_aside(rd.meta, str(err))
        return {"format": RUN_FORMAT, "history": []}
    return meta


def _refuse(d: Path, meta: dict[str, Any], cfg: Config) -> SteerbridgeError:
    return SteerbridgeError(
        f"Run directory {d} belongs to another experiment: models {meta.get('models')} "
        f"(identity {meta.get('identity')}), but this config uses {cfg.to_dict()['models']} "
        f"(identity {identity(cfg)}). Nothing was changed; set [run] dir (or --run-dir) to a "
        "new directory.")


def check_run_dir(cfg: Config, run_dir: str | Path | None = None) -> Path:
    """Refuse, before any model loads, a directory that is not a steerbridge run (and not
    empty) or that belongs to other models by name with no fingerprints to compare."""
    d = Path(run_dir) if run_dir is not None else cfg.run.dir
    if d.exists() and not d.is_dir():
        raise SteerbridgeError(f"Run directory {d} is a file; choose a directory.")
    rd = RunDir(d)
    if not rd.meta.exists():
        ours = any(d.glob("run.json.corrupt-*")) if d.is_dir() else False  # set aside
        if d.is_dir() and any(d.iterdir()) and not ours:
            raise SteerbridgeError(f"{d} is not empty and is not a steerbridge run directory; "
                                   "choose a new or empty directory.")
        return d
    meta = _read_meta(rd) or {}
    if meta.get("format") != RUN_FORMAT:
        raise SteerbridgeError(f"{d} holds a run.json that is not a steerbridge run; choose "
                               "another run directory.")
    if "identity" in meta and meta["identity"] != identity(cfg) and "fingerprints" not in meta:
        raise _refuse(d, meta, cfg)
    return d


def open_run_dir(cfg: Config, run_dir: str | Path | None = None,
                 ids: tuple[str, str, str] | None = None) -> tuple[Path, list[str]]:
    """Create or reuse the run directory; refuse one that belongs to other models.

    `ids` are the loaded models' (source, target) fingerprints and dtype. A directory is
    reused when the config names the same models, or names others with the same fingerprints
    (a model folder moved). Where the weights behind the same names changed, the stages' keys
    change with them, so the stages run afresh. Returns the directory and notes about it.
    """
    d = check_run_dir(cfg, run_dir)
    d.mkdir(parents=True, exist_ok=True)
    rd = RunDir(d)
    ident = identity(cfg)
    fps = list(ids[:2]) if ids is not None else None
    notes: list[str] = []
    meta = _read_meta(rd)
    if meta is None or "identity" not in meta:
        meta = {"format": RUN_FORMAT, "identity": ident, "models": cfg.to_dict()["models"],
                "history": (meta or {}).get("history", [])}
    elif meta["identity"] != ident:
        if fps is None or meta.get("fingerprints") != fps:
            raise _refuse(d, meta, cfg)
        notes.append(f"{d}: the config names the models differently ({cfg.to_dict()['models']}) "
                     "but their weights are the ones this run used; reusing its stages.")
    elif fps is not None and meta.get("fingerprints") not in (None, fps):
        notes.append(f"{d}: the models' weights changed since the last run here (fingerprints "
                     f"{meta['fingerprints']} -> {fps}); every stage runs afresh.")
    if fps is not None and meta["identity"] == ident:
        meta["fingerprints"] = fps
    meta["history"].append({"config_hash": digest(cfg.to_dict()),
                            "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")})
    write_json(rd.meta, meta)
    write_json(rd.config, cfg.to_dict())
    return d, notes


def write_json(path: Path, obj: Any) -> None:
    """Write `obj` as JSON (NaN as null) atomically (`steerbridge.safeio`): a reader never sees
    half a file, and an interrupted run or a full disk leaves the old one."""
    safe_write_json(path, nan_to_none(obj), kind=("json", "results", "run"))


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object written by `write_json` (or any other); a clear error otherwise."""
    data = safe_read_json(path, "JSON file")
    if not isinstance(data, dict):
        raise SteerbridgeError(f"{path} holds a JSON {type(data).__name__}, not an object.")
    return data


# ------------------------------------------------------------------- reading a run


def _latest(found: dict[str, list[Path]]) -> dict[str, Path]:
    """Per behaviour, the most recently written of its files (several keys: several configs)."""
    return {name: max(paths, key=lambda p: (p.stat().st_mtime_ns, p.name))
            for name, paths in sorted(found.items())}


def find_vectors(run_dir: str | Path) -> dict[str, tuple[Path, Path]]:
    """``{behaviour: (source vector file, native vector file)}`` of a run, for the behaviours
    that have both (from the same config; the latest one where several configs ran)."""
    rd = RunDir(Path(run_dir))
    found: dict[str, list[Path]] = {}
    for p in (rd.path / "vectors").glob("*-source.safetensors"):
        m = _VECTOR.match(p.name)
        if m and rd.vector(m["name"], m["key"], "native").exists():
            found.setdefault(m["name"], []).append(p)
    return {name: (p, p.with_name(p.name.removesuffix("-source.safetensors")
                                  + "-native.safetensors"))
            for name, p in _latest(found).items()}


def find_evaluations(run_dir: str | Path) -> dict[str, Path]:
    """``{behaviour: eval JSON}`` of a run's finished target evaluations, also while the run is
    still going (each is written as soon as it is done; the latest one per behaviour)."""
    found: dict[str, list[Path]] = {}
    for p in (Path(run_dir) / "eval").glob("*.json"):
        m = _EVAL.match(p.name)
        if m and not m["source"]:
            found.setdefault(m["name"], []).append(p)
    return _latest(found)


def find_moments(run_dir: str | Path) -> list[Path]:
    """The run's cached moment files (``moments/moments-*.safetensors``), sorted by name."""
    return sorted((Path(run_dir) / "moments").glob("moments-*.safetensors"))
