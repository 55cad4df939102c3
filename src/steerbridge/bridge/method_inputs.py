"""What a transfer method may see, by construction: `TransferInputs`.

A transfer method receives the source model, the source vector, the bridge, the target model
(for its own unlabelled forward passes) and unlabelled text: corpus windows and the behaviour's
generate-split questions with their answers and labels stripped. It never receives the target's
native vector or the behaviour's labels: those exist only to evaluate, and this dataclass has no
field to carry them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from steerbridge.bridge.transfer import BridgeLike
from steerbridge.errors import SteerbridgeError
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.vector import SteeringVector

ALLOWED_FIELDS = ("source", "vector", "bridge", "target", "prompts", "answers", "neutral",
                  "other_prompts")


@dataclass(frozen=True)
class TransferInputs:
    """Everything a label-free transfer method may use (and nothing else).

    - `prompts`: the behaviour's generate-split questions, answers and labels stripped.
    - `answers`: optional, one tuple per prompt of its candidate answer texts (text-scored
      behaviours), sorted here so their order cannot say which one matches the behaviour.
    - `neutral`: plain text (corpus windows as strings).
    - `other_prompts`: other behaviours' unlabelled questions (probes at answer positions).
    """

    source: LoadedModel
    vector: SteeringVector
    bridge: BridgeLike
    target: LoadedModel
    prompts: tuple[str, ...] = ()
    answers: tuple[tuple[str, ...], ...] = ()
    neutral: tuple[str, ...] = ()
    other_prompts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.vector.model_fingerprint != self.source.fingerprint:
            raise SteerbridgeError(f"The vector was made on {self.vector.model_name}, not on the "
                                   f"source model {self.source.name}.")
        if self.bridge.target_fingerprint != self.target.fingerprint:
            raise SteerbridgeError(f"The bridge maps into {self.bridge.target_name}, not into "
                                   f"{self.target.name}.")
        for name in ("prompts", "neutral", "other_prompts"):
            if not all(isinstance(t, str) for t in getattr(self, name)):
                raise SteerbridgeError(f"TransferInputs.{name} must hold plain strings.")
        if self.answers:
            if len(self.answers) != len(self.prompts) or not all(
                    isinstance(a, tuple) and all(isinstance(t, str) for t in a)
                    for a in self.answers):
                raise SteerbridgeError("TransferInputs.answers must hold one tuple of answer "
                                       "strings per prompt.")
            # sorted: the order of a pair never tells which answer matches the behaviour
            object.__setattr__(self, "answers", tuple(tuple(sorted(a)) for a in self.answers))


def unlabelled_questions(items: Sequence[ABItem], split: str = "generate") -> tuple[str, ...]:
    """The questions of `items` with answers and labels dropped (choices stay in the text).

    `split` must be ``"generate"``: test items are never shown to a transfer method.
    """
    if split != "generate":
        raise SteerbridgeError(f"Transfer methods see only the generate split, not {split!r}.")
    return tuple(it.question for it in items)


def unlabelled_answers(items: Sequence[ABItem], split: str = "generate"
                       ) -> tuple[tuple[str, ...], ...]:
    """Each item's two answers as a sorted pair: which one matches is not kept.

    For text-scored items (`steerbridge.vectors.text_answers`) these are the answer texts a
    transfer method may probe the models on. `split` must be ``"generate"``.
    """
    unlabelled_questions(items, split)  # the same split check
    return tuple(tuple(sorted((it.matching, it.non_matching))) for it in items)
