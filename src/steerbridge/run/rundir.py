"""The run directory: where each stage's artifact lives, whose run it is, atomic writes.

Every cached artifact carries the key of exactly the settings its stage reads
(`config.stage_hash`), so a rerun with a changed evaluation setting reuses the bridge and the
vectors, and nothing made under other settings is ever picked up::

    RUN_DIR/
      run.json                     identity (the models) and the history of configs run here
      config.json                  the config of the latest run
      scales.json                  typical token norm per model and layer
      moments/                     hidden-state statistics (resumable)
      bridge-<key>.safetensors
      pairs-<key>.json             layer-pair screen (if asked)
      vectors/<behaviour>-<key>-{source,native}.safetensors
      eval/<behaviour>-<key>.json, eval/<behaviour>-<key>-source.json
      results.json, report.html, report.md

A run directory made for other models is refused (start a new one with another ``run.dir``).
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

    def pairs(self, key: str) -> Path:
        return self.path / f"pairs-{key}.json"

    def vector(self, behaviour: str, key: str, role: Role) -> Path:
        return self.path / "vectors" / f"{behaviour}-{key}-{role}.safetensors"

    def evaluation(self, behaviour: str, key: str, source: bool = False) -> Path:
        return self.path / "eval" / f"{behaviour}-{key}{'-source' if source else ''}.json"


def identity(cfg: Config) -> str:
    """What a run directory is bound to: the two models and their dtype."""
    return digest(models_key(cfg))


def open_run_dir(cfg: Config, run_dir: str | Path | None = None) -> Path:
    """Create or reuse the run directory; refuse one that belongs to other models."""
    d = Path(run_dir) if run_dir is not None else cfg.run.dir
    d.mkdir(parents=True, exist_ok=True)
    rd = RunDir(d)
    ident = identity(cfg)
    if rd.meta.exists():
        meta = json.loads(rd.meta.read_text(encoding="utf-8"))
        if meta.get("format") != RUN_FORMAT:
            raise SteerbridgeError(f"{d} holds a run.json that is not a steerbridge run; choose "
                                   "another run directory.")
        if meta.get("identity") != ident:
            raise SteerbridgeError(
                f"Run directory {d} belongs to another experiment: models "
                f"{meta.get('models')} (identity {meta.get('identity')}), but this config uses "
                f"{cfg.to_dict()['models']} (identity {ident}). Nothing was changed; set "
                "[run] dir (or --run-dir) to a new directory."
            )
    else:
        if any(d.iterdir()):
            raise SteerbridgeError(f"{d} is not empty and is not a steerbridge run directory; "
                                   "choose a new or empty directory.")
        meta = {"format": RUN_FORMAT, "identity": ident, "models": cfg.to_dict()["models"],
                "history": []}
    meta["history"].append({"config_hash": digest(cfg.to_dict()),
                            "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")})
    rd.meta.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    rd.config.write_text(json.dumps(cfg.to_dict(), indent=1), encoding="utf-8")
    return d


def write_json(path: Path, obj: Any) -> None:
    """Write `obj` as JSON (NaN as null) through a temporary file, so a reader never sees half
    a file and an interrupted run leaves the old one."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(nan_to_none(obj), indent=1, allow_nan=False), encoding="utf-8")
    tmp.replace(path)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object written by `write_json` (or any other)."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


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
