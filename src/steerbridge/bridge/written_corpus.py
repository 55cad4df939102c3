"""The written part of the built-in corpus: prose, dialogue and A/B questions, as plain text and
as chat.

Three files in ``steerbridge/data/corpus`` were written for steerbridge (nothing in them is
copied from elsewhere). Blocks are separated by blank lines; lines starting with ``#`` are
comments.

- ``prose.txt``: paragraphs of narrative and essay in several registers. A block whose first
  line starts with ``> `` is a request and the paragraph after it the answer: a chat item.
  Every other block is plain text.
- ``dialogue.txt``: conversations, one ``Name: words`` line per turn. Even-numbered blocks
  become chats (the first speaker is the user, the second the assistant; a chat that ends on the
  user's turn ends at the assistant's header, ``add_generation_prompt``); odd-numbered blocks
  stay plain text, speaker names and all.
- ``questions.txt``: two-option questions in the A/B style of the behaviour datasets (question
  lines, ``(A) ...``, ``(B) ...`` and an optional ``Answer: ...`` line). Three in four become
  chats (the user asks the question with ``Choices:``; the assistant gives the answer, or the
  chat ends at the assistant's header where there is none); every fourth stays plain text.

`written_corpus` keeps the files' order within each kind and interleaves the three kinds, so
any prefix of the documents holds some of each. Deterministic: no randomness at all.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

from steerbridge.bridge.documents import Corpus, Document
from steerbridge.errors import SteerbridgeError

WRITTEN_NAME = "builtin-text"
"""The name `load_corpus` knows the written part by."""
WRITTEN_FILES: tuple[str, ...] = ("prose.txt", "dialogue.txt", "questions.txt")
"""The written corpus files under ``steerbridge/data/corpus``, in reading order."""


def _read(name: str) -> str:
    return str(resources.files("steerbridge").joinpath("data", "corpus", name)
               .read_text(encoding="utf-8"))


def written_digest() -> str:
    """Hash of the written files' bytes (what a run key needs to notice an edited corpus)."""
    h = hashlib.sha256()
    for name in (*WRITTEN_FILES, "chat_prompts.txt"):
        h.update(name.encode() + b"\0" + _read(name).encode("utf-8"))
    return h.hexdigest()[:16]


def blocks(text: str) -> list[list[str]]:
    """Blank-line-separated blocks of non-comment lines, each line stripped."""
    out: list[list[str]] = []
    cur: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            continue
        if not line:
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append(line)
    if cur:
        out.append(cur)
    return out


def prose_documents(text: str) -> list[Document]:
    """Plain paragraphs, and request + answer chats where a block starts with ``> ``."""
    docs: list[Document] = []
    for block in blocks(text):
        if block[0].startswith(">"):
            if len(block) < 2:
                raise SteerbridgeError(f"prose block {block[0]!r} has a request but no answer.")
            request = block[0].lstrip(">").strip()
            docs.append(Document(messages=(("user", request), ("assistant", " ".join(block[1:])))))
        else:
            docs.append(Document(text=" ".join(block)))
    return docs


def _turns(block: list[str]) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for line in block:
        name, sep, words = line.partition(":")
        if not sep or not name or len(name) > 30 or not words.strip():
            raise SteerbridgeError(f"dialogue line {line!r} is not 'Name: words'.")
        turns.append((name.strip(), words.strip()))
    return turns


def dialogue_documents(text: str) -> list[Document]:
    """Even blocks as user/assistant chats, odd blocks as plain ``Name: words`` text."""
    docs: list[Document] = []
    for i, block in enumerate(blocks(text)):
        turns = _turns(block)
        if i % 2:
            docs.append(Document(text="\n".join(f"{n}: {w}" for n, w in turns)))
            continue
        first = turns[0][0]
        msgs: list[tuple[str, str]] = []
        for name, words in turns:
            role = "user" if name == first else "assistant"
            if msgs and msgs[-1][0] == role:
                msgs[-1] = (role, f"{msgs[-1][1]} {words}")
            else:
                msgs.append((role, words))
        docs.append(Document(messages=tuple(msgs), add_generation_prompt=msgs[-1][0] == "user"))
    return docs


def _question(block: list[str]) -> tuple[str, str, str, str]:
    """(question, option A, option B, answer or "") of one block."""
    opts = {ln[:3]: ln[3:].strip() for ln in block if ln[:3] in ("(A)", "(B)")}
    answer = next((ln.partition(":")[2].strip() for ln in block if ln.startswith("Answer:")), "")
    question = " ".join(ln for ln in block if ln[:3] not in ("(A)", "(B)")
                        and not ln.startswith("Answer:"))
    if set(opts) != {"(A)", "(B)"} or not question:
        raise SteerbridgeError(f"question block {block[0]!r} needs question text, an (A) line "
                               "and a (B) line.")
    return question, opts["(A)"], opts["(B)"], answer


def question_documents(text: str) -> list[Document]:
    """A/B questions: three in four as chats, every fourth as plain text."""
    docs: list[Document] = []
    for i, block in enumerate(blocks(text)):
        q, a, b, answer = _question(block)
        asked = f"{q}\n\nChoices:\n (A) {a}\n (B) {b}"
        if i % 4 == 3:
            docs.append(Document(text=f"Question: {asked}" + (f"\nAnswer: {answer}" if answer
                                                              else "")))
        elif answer:
            docs.append(Document(messages=(("user", asked), ("assistant", answer))))
        else:
            docs.append(Document(messages=(("user", asked),), add_generation_prompt=True))
    return docs


def interleave(*lists: list[Document]) -> list[Document]:
    """Round-robin over `lists` (one from each in turn until all run out)."""
    out: list[Document] = []
    for i in range(max((len(x) for x in lists), default=0)):
        out += [x[i] for x in lists if i < len(x)]
    return out


@lru_cache(maxsize=1)
def written_corpus() -> Corpus:
    """The written prose, dialogue and questions, interleaved (cached: treat as read-only)."""
    prose = prose_documents(_read("prose.txt"))
    dialogue = dialogue_documents(_read("dialogue.txt"))
    questions = question_documents(_read("questions.txt"))
    return Corpus(WRITTEN_NAME, interleave(prose, dialogue, questions))
