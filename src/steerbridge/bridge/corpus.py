"""Text sources turned into token windows, with fingerprints so results trace back to data.

Sources (`load_corpus`):

- ``"builtin"``: the built-in corpus, Python's own documentation and prose, dialogue and A/B
  questions written for steerbridge, as plain text and as chat; ``"builtin-docs"`` and
  ``"builtin-text"`` are its two parts alone (`steerbridge.bridge.builtin_corpus`),
- a ``.txt`` file (one plain document per blank-line-separated block),
- a ``.jsonl`` file (``{"text": ...}``, ``{"messages": [{"role", "content"}, ...]}`` or
  ``{"prompt": ..., "completion": ...}`` per line),
- ``"hf:NAME[:CONFIG[:SPLIT[:FIELD]]]"``: a Hugging Face dataset (needs ``datasets`` and either a
  local cache or network).

`tokenize` turns a corpus into `Windows` of at most `window` tokens. Each window records its
source (``plain`` / ``chat``) and how many leading tokens to leave out of fitting: position 0
(an attention sink) always, and for chat windows the chat-template header that every chat item
repeats (the longest token prefix common to all chat windows, e.g. Qwen's default system
prompt): those tokens carry extreme norms and would dominate any fit. `Windows` remember the
`window` and `max_tokens` they were cut with, so a caller handed windows can check them.
`check_tokenizers` refuses a model pair whose tokenizers would give different ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from steerbridge.bridge.builtin_corpus import (
    BUILTIN_CORPUS,
    BUILTIN_NAMES,
    builtin_corpus,
    is_builtin,
)
from steerbridge.bridge.documents import Corpus, Document, paragraphs
from steerbridge.errors import SteerbridgeError
from steerbridge.safeio import read_text

Split = Literal["train", "val", "test"]
DEFAULT_WINDOW = 128
"""Tokens per window unless said otherwise."""
DEFAULT_MAX_TOKENS = 200_000
"""Tokens fed to the models when fitting a bridge on a corpus spec unless said otherwise."""


@dataclass
class Windows:
    """Token windows ready for collection.

    ``skip[i]`` leading tokens of window ``i`` are left out of fitting (position 0, plus the
    repeated chat-template header for chat windows); ``source[i]`` is ``plain`` or ``chat``.
    """

    ids: list[list[int]]
    source: list[str]
    skip: list[int]
    fingerprint: str
    corpus_name: str = ""
    header_tokens: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    window: int | None = None  # the `tokenize` settings they were cut with (None: unknown)
    max_tokens: int | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_tokens(self) -> int:
        return sum(len(w) for w in self.ids)

    @property
    def n_fit_tokens(self) -> int:
        """Tokens left after dropping position 0 and the chat header (before outlier checks)."""
        return sum(max(0, len(w) - s) for w, s in zip(self.ids, self.skip, strict=True))

    def split_of(self, i: int) -> Split:
        """Deterministic 80/10/10 split by window index: train, val (choose λ), test (report)."""
        r = i % 10
        return "val" if r == 8 else "test" if r == 9 else "train"

    def subset(self, indices: Sequence[int]) -> Windows:
        return Windows(
            ids=[self.ids[i] for i in indices],
            source=[self.source[i] for i in indices],
            skip=[self.skip[i] for i in indices],
            fingerprint=self.fingerprint + f"/subset{_hash_ints(indices)}",
            corpus_name=self.corpus_name,
            header_tokens=self.header_tokens,
            window=self.window,
            max_tokens=self.max_tokens,
        )


def _hash_ints(values: Iterable[int]) -> str:
    return hashlib.sha256(",".join(map(str, values)).encode()).hexdigest()[:8]


# ----------------------------------------------------------------------------------------------
# Sources


def check_text(text: str, path: Path, what: str) -> str:
    """`text` unless it holds NUL bytes (a binary file that happens to decode as UTF-8)."""
    if "\x00" in text:
        raise SteerbridgeError(f"{what} {path} holds NUL bytes, so it is binary, not text: give "
                               "a UTF-8 text file.")
    return text


def _read_txt(path: Path) -> Corpus:
    text = check_text(read_text(path, "Corpus file"), path, "Corpus file")
    return Corpus(path.name, [Document(text=p) for p in paragraphs(text, 1)])


def _messages(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    ok = isinstance(raw, list) and raw and all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and "content" in m for m in raw)
    if not ok:
        raise SteerbridgeError(f"{where}: 'messages' must be a non-empty list of "
                               '{"role": ..., "content": ...} objects; fix or remove the line.')
    return tuple((str(m["role"]), str(m["content"])) for m in raw)


def _doc_from_record(rec: Any, where: str) -> Document:
    if not isinstance(rec, dict):
        raise SteerbridgeError(f"{where}: a record must be a JSON object with 'text', "
                               f"'messages' or 'prompt', got a {type(rec).__name__}.")
    if "messages" in rec:
        msgs = _messages(rec["messages"], where)
        return Document(messages=msgs, add_generation_prompt=msgs[-1][0] != "assistant")
    if "prompt" in rec:
        msgs = (("user", str(rec["prompt"])),)
        if rec.get("completion"):
            msgs += (("assistant", str(rec["completion"])),)
        return Document(messages=msgs, add_generation_prompt=len(msgs) == 1)
    if "text" in rec:
        return Document(text=str(rec["text"]))
    raise SteerbridgeError(
        f"{where}: a record needs a 'text', 'messages' or 'prompt' field; found {sorted(rec)}."
    )


def _read_jsonl(path: Path) -> Corpus:
    docs = []
    text = check_text(read_text(path, "Corpus file"), path, "Corpus file")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            raise SteerbridgeError(f"{path}:{n} is not valid JSON ({err.msg}, column "
                                   f"{err.colno}); fix or remove that line.") from None
        docs.append(_doc_from_record(rec, f"{path}:{n}"))
    return Corpus(path.name, docs)


def _read_hf(spec: str) -> Corpus:
    parts = spec.split(":")[1:]
    name, config, split, fld = (parts + [None] * 4)[:4]
    try:
        import datasets
    except ImportError as err:
        raise SteerbridgeError(
            "Hugging Face datasets are not installed: pip install 'steerbridge[datasets]'."
        ) from err
    try:
        ds = datasets.load_dataset(name, config, split=split or "train")
    except Exception as err:  # noqa: BLE001 - offline, missing, gated: one clear message
        raise SteerbridgeError(
            f"Cannot load dataset {name!r} ({err}). It must be cached locally or reachable online."
        ) from err
    docs = [_doc_from_record({"text": r[fld]} if fld else r, spec) for r in ds]
    return Corpus(spec, docs)


def load_corpus(spec: str | Path | Corpus | Sequence[str | Path] = BUILTIN_CORPUS) -> Corpus:
    """A corpus from ``"builtin"`` (or another of `BUILTIN_NAMES`), a .txt / .md / .jsonl
    path, ``"hf:..."``, or several of them. A file that is missing, a folder, empty, binary or
    not UTF-8 is refused with a message that says what to do."""
    if isinstance(spec, Corpus):
        return spec
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise SteerbridgeError(f"No corpus given: pass {BUILTIN_CORPUS!r}, a file, or hf:NAME.")
        parts = [load_corpus(s) for s in spec]
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out
    s = str(spec)
    if is_builtin(s):
        return builtin_corpus(s)
    if s.startswith("hf:"):
        return _read_hf(s)
    path = Path(s).expanduser()
    if path.is_dir():
        raise SteerbridgeError(f"Corpus {s!r} is a folder: give the .txt or .jsonl files in it "
                               "(several --corpus options, or a list in the config).")
    if not path.is_file():
        raise SteerbridgeError(
            f"Corpus {s!r} is neither a built-in corpus ({', '.join(BUILTIN_NAMES)}), an "
            "hf:NAME dataset, nor an existing file."
        )
    if path.suffix == ".jsonl":
        corpus = _read_jsonl(path)
    elif path.suffix in (".txt", ".md", ""):
        corpus = _read_txt(path)
    else:
        raise SteerbridgeError(f"Unknown corpus file type {path.suffix!r}: use .txt or .jsonl.")
    if not corpus.documents:
        raise SteerbridgeError(f"Corpus file {path} holds no text.")
    return corpus


# ----------------------------------------------------------------------------------------------
# Tokenization


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """Hash of the vocabulary (token -> id) and chat template."""
    h = hashlib.sha256()
    vocab = tokenizer.get_vocab()
    h.update(json.dumps(sorted(vocab.items(), key=lambda kv: kv[1])).encode())
    h.update(str(getattr(tokenizer, "chat_template", "") or "").encode())
    return h.hexdigest()[:16]


PROBE_TEXT = (
    "The quick brown fox, 3.14159 and naïve café — def f(x): return x**2  # 日本語 😀\n"
    "<|im_start|>user\nHello?<|im_end|>"
)


def check_tokenizers(a: Any, b: Any, name_a: str = "source", name_b: str = "target") -> None:
    """Refuse two tokenizers that would give different ids, naming the first differing token."""
    va, vb = a.get_vocab(), b.get_vocab()
    if va != vb:
        ia = {i: t for t, i in va.items()}
        ib = {i: t for t, i in vb.items()}
        for i in sorted(set(ia) | set(ib)):
            if ia.get(i) != ib.get(i):
                raise SteerbridgeError(
                    f"The tokenizers of {name_a} and {name_b} disagree: token id {i} is "
                    f"{ia.get(i)!r} in {name_a} but {ib.get(i)!r} in {name_b} (vocab sizes "
                    f"{len(va)} and {len(vb)}). A bridge needs the very same token ids in both "
                    "models; pick a pair that shares a tokenizer."
                )
    ta, tb = a.encode(PROBE_TEXT), b.encode(PROBE_TEXT)
    if ta != tb:
        k = next((i for i, (x, y) in enumerate(zip(ta, tb, strict=False)) if x != y),
                 min(len(ta), len(tb)))
        raise SteerbridgeError(
            f"The tokenizers of {name_a} and {name_b} share a vocabulary but split text "
            f"differently: at token {k} of a probe text {name_a} gives "
            f"{a.convert_ids_to_tokens(ta[k:k + 1])} and {name_b} gives "
            f"{b.convert_ids_to_tokens(tb[k:k + 1])}."
        )


def _render(doc: Document, tokenizer: Any) -> list[int]:
    if not doc.messages:
        return list(tokenizer.encode(doc.text, add_special_tokens=False))
    if not getattr(tokenizer, "chat_template", None):
        raise SteerbridgeError(
            "The corpus has chat documents but the tokenizer has no chat template."
        )
    msgs = [{"role": r, "content": c} for r, c in doc.messages]
    text = tokenizer.apply_chat_template(
        msgs, tokenize=False, add_generation_prompt=doc.add_generation_prompt
    )
    return list(tokenizer.encode(text, add_special_tokens=False))


def common_prefix_length(seqs: Sequence[Sequence[int]]) -> int:
    """Length of the longest token prefix shared by all `seqs` (0 for fewer than two)."""
    if len(seqs) < 2:
        return 0
    n = min(len(s) for s in seqs)
    first = seqs[0]
    for k in range(n):
        t = first[k]
        if any(s[k] != t for s in seqs[1:]):
            return k
    return n


def tokenize(
    corpus: Corpus,
    tokenizer: Any,
    window: int = DEFAULT_WINDOW,
    max_tokens: int | None = None,
    min_window: int = 8,
    drop_chat_header: bool = True,
) -> Windows:
    """Cut `corpus` into windows of at most `window` tokens, up to `max_tokens` tokens in all.

    Plain documents are joined (blank line between) into one stream cut into full windows;
    every chat document is one window (truncated to `window`). Windows keep the corpus order,
    which for the default corpus alternates plain and chat.
    """
    if window < 2:
        raise SteerbridgeError(f"window={window} is too short: use at least 2 tokens.")
    budget = max_tokens if max_tokens is not None else float("inf")
    sep = list(tokenizer.encode("\n\n", add_special_tokens=False))
    ids: list[list[int]] = []
    source: list[str] = []
    stream: list[int] = []
    total = 0

    def emit(w: list[int], src: str) -> None:
        nonlocal total
        ids.append(w)
        source.append(src)
        total += len(w)

    for doc in corpus.documents:
        if total >= budget:
            break
        toks = _render(doc, tokenizer)
        if doc.messages:
            if len(toks) >= min_window:
                emit(toks[:window], "chat")
            continue
        stream.extend(toks + sep)
        while len(stream) >= window and total < budget:
            emit(stream[:window], "plain")
            stream = stream[window:]
    if len(stream) >= min_window and total < budget:
        emit(stream[:window], "plain")
    if not ids:
        raise SteerbridgeError(
            f"Corpus {corpus.name!r} is empty or too short: it gave no window of at least "
            f"{min_window} tokens."
        )
    chat = [w for w, s in zip(ids, source, strict=True) if s == "chat"]
    header = common_prefix_length(chat) if drop_chat_header else 0
    header = min(header, window // 2)
    skip = [max(1, header) if s == "chat" else 1 for s in source]
    fp = hashlib.sha256(
        f"{corpus.fingerprint}|{tokenizer_fingerprint(tokenizer)}|{window}|{max_tokens}|"
        f"{min_window}|{drop_chat_header}".encode()
    ).hexdigest()[:16]
    return Windows(ids=ids, source=source, skip=skip, fingerprint=fp, corpus_name=corpus.name,
                   header_tokens=header,
                   info={"plain_windows": source.count("plain"), "chat_windows": len(chat)},
                   window=window, max_tokens=max_tokens)
