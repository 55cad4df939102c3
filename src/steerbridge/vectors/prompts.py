"""A/B items formatted for one model: its chat template, the assistant turn opened, the two
answer labels tokenized on their own.

`build_prompts` formats each question with the model's own chat template and opens the
assistant turn, so the next token is the answer. The answer label is tokenized on its own
(``"(A)"`` becomes the text ``"(A"``, a single token in the Qwen tokenizer) and appended, and
steering vectors read the hidden state at that answer token, as CAA does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from steerbridge.errors import SteerbridgeError
from steerbridge.vectors.datasets import ABItem, answer_text


@dataclass(frozen=True)
class ABPrompt:
    """An item formatted for one model: prompt tokens and the two answer-label token lists."""

    item: ABItem
    prompt: str
    prompt_ids: list[int]
    matching_ids: list[int]
    non_matching_ids: list[int]


@dataclass
class PromptSet:
    """Prompts built by `build_prompts`, with the count of items dropped and why."""

    prompts: list[ABPrompt]
    dropped: Counter[str] = field(default_factory=Counter)

    def __len__(self) -> int:
        return len(self.prompts)

    def __iter__(self) -> Iterator[ABPrompt]:
        return iter(self.prompts)


def chat_prompt(tokenizer: Any, user: str, system: str | None = None) -> str:
    """`user` in the tokenizer's chat template with the assistant turn opened.

    system=None keeps the template's default system prompt (Qwen inserts its own); a string
    replaces it. A tokenizer without a chat template gets ``"{user}\\n"``.
    """
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "user", "content": user}]
        if system is not None:
            messages.insert(0, {"role": "system", "content": system})
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(text)
    return f"{user}\n"


def label_text(answer: str, prefix: str = "") -> str:
    """The answer label appended to a prompt: `answer_text`, less an `answer_prefix` that the
    prompt already ends with (prefix ``"("``: ``"(A)"`` -> ``"A"``)."""
    text = answer_text(answer)
    return text[len(prefix):] if prefix and text.startswith(prefix) else text


def build_prompts(
    tokenizer: Any,
    items: Iterable[ABItem],
    system: str | None = None,
    max_tokens: int | None = None,
) -> PromptSet:
    """Format items with the chat template, assistant turn open (then the item's
    ``answer_prefix``), answer labels tokenized apart.

    Items are dropped (and counted) when the two answer labels tokenize identically or when
    the prompt plus answer exceeds `max_tokens`. Raises if nothing is left.
    """
    out = PromptSet(prompts=[])
    for item in items:
        prompt = chat_prompt(tokenizer, item.question, system) + item.answer_prefix
        ids = list(tokenizer.encode(prompt, add_special_tokens=False))
        m = list(tokenizer.encode(label_text(item.matching, item.answer_prefix),
                                  add_special_tokens=False))
        n = list(tokenizer.encode(label_text(item.non_matching, item.answer_prefix),
                                  add_special_tokens=False))
        if not m or not n or m == n:
            out.dropped["whose answers tokenize identically"] += 1
            continue
        if max_tokens is not None and len(ids) + max(len(m), len(n)) > max_tokens:
            out.dropped[f"longer than {max_tokens} tokens"] += 1
            continue
        out.prompts.append(ABPrompt(item, prompt, ids, m, n))
    if not out.prompts:
        why = ", ".join(f"{k}: {v}" for k, v in out.dropped.items()) or "no items given"
        raise SteerbridgeError(f"No A/B prompts left after filtering ({why}).")
    return out

