"""One ``[[behaviours]]`` entry of a config: where its A/B items come from and how they are put
to the models (answer format, scoring, sizes). Validated like the rest of the config
(`steerbridge.run.config`), which re-exports `BehaviourConfig`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class BehaviourConfig(_Strict):
    """One behaviour: a built-in dataset, one task file split in two (``data``), or separate
    generate/test files, in the CAA JSON or model-written-evals JSONL schema."""

    name: str = Field(min_length=1)
    builtin: str | None = None
    data: Path | None = Field(default=None, description="one task file, split into disjoint "
                              "generate/test sets (questions de-duplicated, answers balanced)")
    test_fraction: float = Field(default=0.2, gt=0, lt=1, description="share of data for test")
    split_seed: int = 0
    generate: Path | None = None
    test: Path | None = None
    open_ended: Path | None = Field(default=None, description="JSON list of questions")
    multi_choice: Literal["keep", "drop"] = Field(
        default="keep", description="items listing more than two choices: keep or drop")
    answer_instruction: str | None = Field(
        default=None, description="a line appended to every question, e.g. 'Answer Yes or No.'")
    answer_prefix: str = Field(default="", description="opens the answer, e.g. '(' so the "
                               "next token is the letter")
    system_prompt: str | None = Field(default=None,
                                      description="this behaviour's system line (else vectors')")
    scoring: Literal["letter", "text"] = Field(
        default="text", description="text (the default: the 0.5B's own vectors move its "
        "answers as texts, not as letters, RESULTS.md §7c): the question without its choices, "
        "each answer scored as the text the model would say; letter: the A/B letter's "
        "probability")
    tone: Literal["vader"] | None = Field(default=None,
                                          description="score generations' sentiment")
    max_generate: int | None = Field(default=None, gt=0)
    max_test: int | None = Field(default=None, gt=0)

    @field_validator("name")
    @classmethod
    def _file_safe(cls, v: str) -> str:
        if any(c in v for c in "/\\\0") or v.startswith(".") or not v.isprintable() \
                or len(v) > 100:
            raise ValueError(f"{v!r} cannot name files: use up to 100 printable characters, no "
                             "slash or backslash, not starting with a dot")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> BehaviourConfig:
        files = self.generate is not None or self.test is not None
        given = sum([self.builtin is not None, self.data is not None, files])
        if given > 1:
            raise ValueError("give one of builtin = NAME, data = FILE (split in two), or "
                             "generate = FILE and test = FILE")
        if given == 0 or (files and (self.generate is None or self.test is None)):
            raise ValueError("needs builtin = NAME, data = FILE (split into generate and test), "
                             "or both generate = PATH and test = PATH")
        if self.data is None and (self.test_fraction, self.split_seed) != (0.2, 0):
            raise ValueError("test_fraction and split_seed apply only with data = FILE")
        if files and self.generate == self.test:
            raise ValueError(SAME_FILE.format(path=self.generate))
        return self


SAME_FILE = ("generate and test are the same file ({path}): the test would score the items "
              "the vector was built from. Use data = \"{path}\" instead (split into disjoint "
              "generate / test sets by test_fraction and split_seed), or give a separate test "
              "file.")
