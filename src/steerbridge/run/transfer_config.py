"""The config's ``[transfer]`` section: which label-free method carries each behaviour's vector
into the target, with the effect-matched fit's and the distillation's settings.

Defaults and allowed values come from the library's tables (`steerbridge.bridge.methods.METHODS`,
`steerbridge.bridge.effect_bridge.EffectSettings`, `steerbridge.bridge.distill.DistillSettings`),
so the config cannot drift from what the library accepts. Switching the pipeline's default
method is the one line `DEFAULT_METHOD` (the answer-matched gain, the best measured on text
answers, RESULTS.md §7e); a config that scores letters and names no method gets
`LETTER_METHOD`, since the gain compares answer texts.

    [transfer]
    method = "effect"            # state | effect | blend | distilled | gain | select
    random_source_seeds = [0]    # random source vectors pushed through the same method
    [transfer.effect]
    windows = 64
    per_position = true
    [transfer.gain]              # method = "gain": text-scored behaviours only
    alpha = 0.4
    [transfer.select]            # method = "select": the label-free choice among candidates
    candidates = ["state", "effect", "blend"]   # state is always one; distilled on request
    alpha = 0.2
    [transfer.anchors]           # each behaviour's bridge anchored on the others' answers
    datasets = ["positive-tone", "formal-register", "caution", "factual-correction"]

``select`` (`steerbridge.bridge.select.select_by_effect`) makes every candidate, scores each
by how closely its ±alpha effect on the target matches the source's own change on the
behaviour's unlabelled generate-split questions and neutral text, and keeps the winner; its
random-source controls go through the same choice. ``distilled`` is optimised against the very
teacher the score uses (an in-sample edge), so it is a candidate only when listed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steerbridge.bridge.answer_gain import GainSettings
from steerbridge.bridge.distill import DistillSettings
from steerbridge.bridge.effect_bridge import EffectSettings
from steerbridge.bridge.methods import METHODS, NEEDS_EFFECT
from steerbridge.bridge.select import DEFAULT_CANDIDATES, check_candidates

DEFAULT_METHOD = "gain"
LETTER_METHOD = "state"
PIPELINE_METHODS: dict[str, str] = {
    **METHODS, "select": "the candidate whose effect on the target best matches the source's "
    "own change (label-free; see [transfer.select])"}
_E, _D, _G = EffectSettings(), DistillSettings(), GainSettings()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class EffectConfig(_Strict):
    """Gradient-pair collection for the effect-matched bridge (λ: the library's grid)."""

    windows: int = Field(default=_E.windows, ge=0, description="corpus windows probed")
    window: int = Field(default=_E.window, gt=1, description="tokens per corpus window")
    draws: int = Field(default=_E.draws, gt=0, description="probe draws per window")
    per_position: bool = Field(default=_E.per_position,
                               description="one gradient pair per token position")
    prompts_per_behaviour: int = Field(default=_E.prompts_per_behaviour, ge=0,
                                       description="unlabelled generate-split questions each")
    batch_size: int = Field(default=_E.batch_size, gt=0)
    seed: int = _E.seed

    def settings(self) -> EffectSettings:
        return EffectSettings(**self.model_dump())


class DistillConfig(_Strict):
    """The distilled method's optimisation (`steerbridge.bridge.distill.DistillSettings`)."""

    alpha: float = Field(default=_D.alpha, gt=0)
    steps: int = Field(default=_D.steps, gt=0)
    lr: float = Field(default=_D.lr, gt=0)
    penalty: float = Field(default=_D.penalty, ge=0)
    max_prompts: int = Field(default=_D.max_prompts, ge=0)
    max_neutral: int = Field(default=_D.max_neutral, ge=0)
    neutral_tokens: int = Field(default=_D.neutral_tokens, gt=1)

    def settings(self) -> DistillSettings:
        return DistillSettings(**self.model_dump())


class GainConfig(_Strict):
    """The answer-matched gain (`steerbridge.bridge.answer_gain.GainSettings`)."""

    alpha: float = Field(default=_G.alpha, gt=0, description="the ±push both models are "
                         "compared at")
    max_prompts: int = Field(default=_G.max_prompts, gt=0,
                             description="unlabelled generate-split questions")
    batch_size: int = Field(default=_G.batch_size, gt=0)
    rounds: int = Field(default=_G.rounds, ge=0, description="refits around the last gain")
    max_gain: float = Field(default=_G.max_gain, gt=0)

    def settings(self) -> GainSettings:
        return GainSettings(**self.model_dump())


class SelectConfig(_Strict):
    """``method = "select"``: the candidates and how they are scored
    (`steerbridge.bridge.select.select_by_effect`)."""

    candidates: list[str] = Field(default_factory=lambda: list(DEFAULT_CANDIDATES),
                                  description=f"any of {', '.join(METHODS)}; state always")
    alpha: float = Field(default=0.2, gt=0, description="the ±push each candidate is scored at")
    max_prompts: int = Field(default=16, ge=0, description="unlabelled generate-split questions")
    max_neutral: int = Field(default=2, ge=0, description="neutral corpus windows")

    @field_validator("candidates")
    @classmethod
    def _candidates(cls, v: list[str]) -> list[str]:
        return list(check_candidates(v))

    @model_validator(mode="after")
    def _probes(self) -> SelectConfig:
        if self.max_prompts == 0 and self.max_neutral == 0:
            raise ValueError("max_prompts and max_neutral are both 0: the selection needs "
                             "unlabelled questions or neutral text to score on")
        return self


class AnchorsConfig(_Strict):
    """Anchor each behaviour's bridge on other A/B datasets' paired answer differences
    (`steerbridge.run.anchor_stage`); empty `datasets`: the corpus bridge for every behaviour."""

    datasets: list[str] = Field(default_factory=list, description="built-in behaviour names, "
                                "CAA .json or evals .jsonl files, or folders of them (a CAA "
                                "folder gives its generate files); a behaviour is never anchored "
                                "on a dataset that shares a question with it")
    items: int = Field(default=150, gt=0, description="items read from each dataset")
    weight: float = Field(default=1.0, ge=0, allow_inf_nan=False,
                          description="the anchors' total weight relative to the corpus tokens")


class TransferConfig(_Strict):
    """How a source vector becomes a target vector, and its random-source control."""

    method: str = Field(default=DEFAULT_METHOD,
                        description=f"one of {', '.join(PIPELINE_METHODS)}")
    random_source_seeds: list[int] = Field(
        default_factory=lambda: [0], description="random source vectors of the source vector's "
        "norm, pushed through the same method and evaluated beside the random target directions")
    blend_weight: float = Field(default=0.5, ge=0, le=1, description="effect share in blend")
    effect: EffectConfig = EffectConfig()
    distill: DistillConfig = DistillConfig()
    gain: GainConfig = GainConfig()
    select: SelectConfig = SelectConfig()
    anchors: AnchorsConfig = AnchorsConfig()

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        if v not in PIPELINE_METHODS:
            raise ValueError(f"unknown value {v!r}; use one of {', '.join(PIPELINE_METHODS)}")
        return v

    @property
    def uses(self) -> tuple[str, ...]:
        """The library methods this config runs: the select candidates, or the method."""
        return tuple(self.select.candidates) if self.method == "select" else (self.method,)

    @property
    def needs_effect(self) -> bool:
        return any(m in NEEDS_EFFECT for m in self.uses)

    def key_part(self) -> dict[str, Any]:
        """What a behaviour's transferred vector and its controls depend on."""
        part: dict[str, Any] = {"method": self.method, "random_source": self.random_source_seeds}
        if self.needs_effect:
            part["effect"] = self.effect.model_dump()
        if "blend" in self.uses:
            part["blend_weight"] = self.blend_weight
        if "distilled" in self.uses:
            part["distill"] = self.distill.model_dump()
        if "gain" in self.uses:
            part["gain"] = self.gain.model_dump()
        if self.method == "select":
            part["select"] = self.select.model_dump()
        if self.anchors.datasets:  # only when set: keys of unanchored runs stay as they were
            part["anchors"] = self.anchors.model_dump()
        return part


def with_default_method(config: Any) -> Any:
    """A raw config (dict) that names no ``[transfer] method`` given its default: the gain when
    every behaviour scores texts (``scoring`` left out means text), else the state bridge."""
    if not isinstance(config, dict):
        return config
    transfer = config.get("transfer", {})
    if isinstance(transfer, TransferConfig):
        transfer = transfer.model_dump(exclude_unset=True)
    behaviours = config.get("behaviours")
    if not isinstance(transfer, dict) or "method" in transfer or not isinstance(behaviours, list):
        return config
    scorings = [getattr(b, "scoring", None) if not isinstance(b, dict) else
                b.get("scoring", "text") for b in behaviours]
    method = DEFAULT_METHOD if all(s == "text" for s in scorings) else LETTER_METHOD
    return {**config, "transfer": {**transfer, "method": method}}
