"""Experiment configuration: a TOML file validated by pydantic.

Unknown keys and wrong types are rejected with a message naming the key (``bridge.method``,
``behaviours.0.name``...); so are values no run could use (generate and test the same file,
split settings without ``data``). Each stage's cache key is `steerbridge.run.keys.stage_hash`.

A minimal config::

    [models]
    source = "qwen2.5-coder-0.5b"
    target = "qwen2.5-coder-1.5b"

    [bridge]
    source_layer = 12
    target_layer = 15

    [[behaviours]]
    name = "my-task"
    data = "my-task.jsonl"    # one model-written-evals file, split into generate / test

Left out, everything takes the best measured setting (the demo's, RESULTS.md §7e–§7i):
answers scored as texts, vectors carried by the answer-matched gain, α ±0.2 ±0.4. A config
that scores letters on any behaviour (``scoring = "letter"``) and names no method is carried
by the state bridge, the gain needing answer texts.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from steerbridge.bridge.builtin_corpus import BUILTIN_CORPUS, BUILTIN_NAMES, is_builtin
from steerbridge.bridge.corpus import DEFAULT_MAX_TOKENS, DEFAULT_WINDOW
from steerbridge.bridge.fits import METHODS as BRIDGE_METHODS
from steerbridge.cachekeys import content_key
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation.metrics import odd_pairs
from steerbridge.models.devices import check_device_name
from steerbridge.models.dtypes import DTYPES
from steerbridge.run.behaviour_config import SAME_FILE, BehaviourConfig
from steerbridge.run.transfer_config import TransferConfig, with_default_method
from steerbridge.safeio import read_text
from steerbridge.vectors.aggregators import METHODS as VECTOR_METHODS
from steerbridge.vectors.datasets import builtin_names
from steerbridge.vectors.readout import READ_POSITIONS
from steerbridge.vectors.steering import Positions


def _one_of(value: str, allowed: Iterable[str]) -> str:
    """Validate `value` against a table of the library (the one source of allowed names)."""
    names = list(allowed)
    if value not in names:
        raise ValueError(f"unknown value {value!r}; use one of {', '.join(names)}")
    return value


DEFAULT_READ = next(iter(READ_POSITIONS))  # answer_letter: CAA's read position
DEFAULT_ALPHAS = (-0.4, -0.2, 0.2, 0.4)  # the demo's: text scores stay meaningful at 0.4


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class ModelsConfig(_Strict):
    """Source (small) and target (large) model: alias, HF directory, .gguf file or cached id."""

    source: str
    target: str
    dtype: str = Field(
        default="auto", description="auto: bfloat16 on GPUs and where the CPU has bf16 matrix "
        "units (AVX512-BF16/AMX), else float32 (bf16 is ~6x slower than fp32 on AVX2-only CPUs)")
    device: str = Field(default="auto", description="auto (CUDA when present, else cpu), cpu, "
                        "cuda, cuda:N or mps; not part of any stage's cache key")
    device_map: Literal["auto"] | None = Field(
        default=None, description="'auto': spread the target over every GPU (accelerate)")

    @field_validator("dtype")
    @classmethod
    def _dtype(cls, v: str) -> str:
        return _one_of(v, ["auto", *DTYPES])

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        return check_device_name(v)


class BridgeConfig(_Strict):
    """Which layers to pair and how to fit the affine map."""

    source_layer: int = Field(ge=0)
    target_layer: int = Field(ge=0)
    method: str = Field(default="ridge", description=f"one of {', '.join(BRIDGE_METHODS)}")
    corpus: list[str] = Field(default_factory=lambda: [BUILTIN_CORPUS],
                              description=f"{', '.join(BUILTIN_NAMES)} and/or .txt/.jsonl paths")
    max_tokens: int = Field(default=DEFAULT_MAX_TOKENS, gt=0)
    window: int = Field(default=DEFAULT_WINDOW, gt=1)
    screen_pairs: bool = Field(default=False, description="also screen layer pairs (heatmap)")
    screen_tokens: int = Field(default=4_000, gt=0)

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        return _one_of(v, BRIDGE_METHODS)


class VectorsConfig(_Strict):
    """How steering vectors are extracted (on the source and, natively, on the target)."""

    method: str = Field(default="mean_diff", description=f"one of {', '.join(VECTOR_METHODS)}")
    system_prompt: str | None = Field(default=None, description="None keeps the template's own")
    read: str = Field(
        default=DEFAULT_READ,
        description="answer_letter (CAA) or answer_text: the end of the chosen line, which "
                    "contrasts what the answers say (steers free text better; RESULTS.md §2)")

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        return _one_of(v, VECTOR_METHODS)

    @field_validator("read")
    @classmethod
    def _read(cls, v: str) -> str:
        return _one_of(v, READ_POSITIONS)


class EvaluationConfig(_Strict):
    """The A/B sweep, controls, side effects and open-ended generations."""

    alphas: list[float] = Field(default_factory=lambda: list(DEFAULT_ALPHAS), min_length=1)
    random_seeds: list[int] = Field(default_factory=lambda: [0, 1, 2])
    ceiling_seeds: list[int] = Field(default_factory=list, description="random directions at "
                                     "native's norm: is 'transfers' within reach of any method")
    bias_variant: bool = Field(default=True, description="also evaluate the paper's W·v + b")
    source_reference: bool = Field(default=True, description="source steered by its own vector")
    positions: Positions = Field(default="all", description="where the target (and the source, "
                                 "and the gain fit) is steered: all, prompt, or generated (each "
                                 "answer's tokens and the position predicting the first)")
    batch_size: int = Field(default=8, gt=0)
    n_boot: int = Field(default=1000, ge=0)
    side_effects_tokens: int = Field(default=1024, ge=0)
    generations: int = Field(default=3, ge=0, description="open-ended prompts per behaviour")
    generation_tokens: int = Field(default=40, gt=0)
    generation_alpha: float | None = Field(default=None,
                                           description="None: the alpha of largest native shift")

    @field_validator("alphas")
    @classmethod
    def _finite(cls, v: list[float]) -> list[float]:
        bad = [a for a in v if not math.isfinite(a)]
        if bad:
            raise ValueError(f"alphas must be finite numbers, got {bad}")
        if 0 in v:
            raise ValueError("alpha 0 is the unsteered condition, measured in every run; "
                             "remove it")
        if not odd_pairs(v):
            raise ValueError("alphas need at least one ±a pair, e.g. [-0.4, -0.2, 0.2, 0.4]: "
                             "odd retention, which the verdict needs, is the part of the change "
                             "that flips with alpha's sign")
        return sorted(set(v))

    @field_validator("generation_alpha")
    @classmethod
    def _finite_one(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("must be a finite number (or left out: the best native alpha)")
        return v


class RunConfig(_Strict):
    """Where results go."""

    dir: Path = Path("runs/default")


class Config(_Strict):
    """A whole experiment."""

    models: ModelsConfig
    bridge: BridgeConfig
    vectors: VectorsConfig = VectorsConfig()
    behaviours: list[BehaviourConfig] = Field(min_length=1)
    evaluation: EvaluationConfig = EvaluationConfig()
    transfer: TransferConfig = TransferConfig()
    run: RunConfig = RunConfig()

    @model_validator(mode="before")
    @classmethod
    def _default_method(cls, data: Any) -> Any:
        return with_default_method(data)

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        names = [b.name for b in self.behaviours]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"behaviour names must be unique; repeated: {', '.join(dup)}")
        letters = [b.name for b in self.behaviours if b.scoring != "text"]
        if "gain" in self.transfer.uses and letters:
            raise ValueError(f"[transfer] uses the 'gain' method, which compares the models on "
                             f"each question's two answer texts, but {', '.join(letters)} "
                             "score(s) letters: set scoring = \"text\" on those behaviours or "
                             "choose another method")
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _format_errors(err: ValidationError, where: str) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key")
        elif isinstance(e.get("input"), dict):  # a rule across keys: the message names them
            lines.append(f"  {key}: {e['msg'].removeprefix('Value error, ')}")
        else:
            lines.append(f"  {key}: {e['msg'].removeprefix('Value error, ')} "
                         f"(got {e.get('input')!r})")
    return f"Invalid config {where}:\n" + "\n".join(lines)


def from_dict(data: dict[str, Any], where: str = "") -> Config:
    """Validate a dict (e.g. parsed TOML); raise `SteerbridgeError` naming every bad key."""
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise SteerbridgeError(_format_errors(err, where)) from None


def load(path: str | Path) -> Config:
    """Read and validate a TOML config. Relative paths inside (data, corpus, run dir) are
    relative to the file."""
    p = Path(path).expanduser()
    text = read_text(p, "Config file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SteerbridgeError(f"Config file {p} is not valid TOML: {err}. Fix that line (see "
                               "src/steerbridge/configs/demo.toml for an example).") from None
    cfg = from_dict(data, str(p))
    return _resolve_paths(cfg, p.parent)


def _resolve_paths(cfg: Config, base: Path) -> Config:
    def fix(x: Path | None) -> Path | None:
        return x if x is None or x.is_absolute() else (base / x).resolve()

    behaviours = [b.model_copy(update={"generate": fix(b.generate), "test": fix(b.test),
                                       "data": fix(b.data), "open_ended": fix(b.open_ended)})
                  for b in cfg.behaviours]
    for b in behaviours:
        if b.generate is not None and b.generate == b.test:
            raise SteerbridgeError(f"Invalid config {base}: behaviours {b.name!r}: "
                                   + SAME_FILE.format(path=b.generate))
    corpus = [c if is_builtin(c) or Path(c).is_absolute() else str((base / c).resolve())
              for c in cfg.bridge.corpus]
    run = cfg.run.model_copy(update={"dir": fix(cfg.run.dir)})
    a = cfg.transfer.anchors
    named = [s if s in builtin_names() or Path(s).is_absolute() else str((base / s).resolve())
             for s in a.datasets]
    transfer = cfg.transfer.model_copy(update={"anchors": a.model_copy(update={"datasets": named})})
    return cfg.model_copy(update={"behaviours": behaviours, "run": run, "transfer": transfer,
                                  "bridge": cfg.bridge.model_copy(update={"corpus": corpus})})


def with_method(cfg: Config, method: str | None) -> Config:
    """`cfg` with ``[transfer] method`` replaced (validated like a config file's)."""
    if method is None:
        return cfg
    d = cfg.to_dict()
    d["transfer"]["method"] = method
    return from_dict(d, "(--method)")


def loads(text: str) -> Config:
    """Validate TOML text (paths stay as written)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SteerbridgeError(f"Config is not valid TOML: {err}") from None
    return from_dict(data, "(text)")


def demo_config(quick: bool = False) -> Config:
    """The shipped demo config (`steerbridge demo`), or its quick variant."""
    name = "demo-quick.toml" if quick else "demo.toml"
    text = resources.files("steerbridge").joinpath("configs", name).read_text(encoding="utf-8")
    return loads(text)


def digest(obj: dict[str, Any]) -> str:
    """A 16-hex-digit content key of a settings dict (`steerbridge.cachekeys.content_key`)."""
    return content_key(**obj)


def models_key(cfg: Config) -> dict[str, Any]:
    """The models section minus where they run (device, device_map): what results depend on."""
    return {k: v for k, v in cfg.to_dict()["models"].items()
            if k not in ("device", "device_map")}
