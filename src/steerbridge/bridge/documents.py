"""Text a bridge is fitted on: `Document` (plain text or a chat) and `Corpus` (a named list).

Both carry content fingerprints, so every fitted bridge traces back to the exact text it saw.
Where documents come from is `steerbridge.bridge.corpus` (files, Hugging Face datasets) and
`steerbridge.bridge.builtin_corpus` (the built-in text).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Document:
    """One unit of text: plain `text`, or chat `messages` as ((role, content), ...)."""

    text: str = ""
    messages: tuple[tuple[str, str], ...] = ()
    add_generation_prompt: bool = False

    @property
    def source(self) -> str:
        return "chat" if self.messages else "plain"

    def to_json(self) -> dict[str, Any]:
        if self.messages:
            return {"messages": [list(m) for m in self.messages], "gen": self.add_generation_prompt}
        return {"text": self.text}


@dataclass
class Corpus:
    """A named list of documents with a content fingerprint."""

    name: str
    documents: list[Document]

    @cached_property
    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for doc in self.documents:
            h.update(json.dumps(doc.to_json(), sort_keys=True).encode())
        return h.hexdigest()[:16]

    def __add__(self, other: Corpus) -> Corpus:
        return Corpus(f"{self.name}+{other.name}", self.documents + other.documents)


def paragraphs(text: str, min_chars: int = 80) -> list[str]:
    """Blank-line-separated blocks of `text`, whitespace collapsed, at least `min_chars` long."""
    parts = [" ".join(p.split()) for p in text.split("\n\n")]
    return [p for p in parts if len(p) >= min_chars]
