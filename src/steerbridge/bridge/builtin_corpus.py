"""The built-in corpora: Python's documentation and text written for steerbridge, half as chat.

Three names (`BUILTIN_NAMES`), nothing downloaded:

- ``"builtin-docs"`` (`docs_corpus`): English prose that Python itself ships, derived at run
  time, so nothing is copied into this package: the ``pydoc_data`` topic pages and the
  docstrings of a fixed list of standard-library modules, cut into paragraphs and shuffled with
  a fixed seed. Half of the paragraphs stay plain text; the other half become chat
  conversations, each user message from ``data/corpus/chat_prompts.txt`` (written for
  steerbridge) followed by a documentation passage. This was the whole built-in corpus up to
  issue 11: bridges and test fixtures made before then are reproduced with this name.
- ``"builtin-text"`` (`steerbridge.bridge.written_corpus`): prose, dialogue and two-option
  questions in the style of the A/B behaviours, written for steerbridge, as plain text and chat.
- ``"builtin"`` (`default_corpus`): both, the written documents spread over the front of the
  documentation (one after every `WRITTEN_EVERY` documentation items until they run out), so a
  small token budget sees them too.

Chat documents are rendered later with the model's chat template. Steering happens in chat
format, so the map must see chat-formatted tokens; it happens on everyday questions, so the map
must see more than technical documentation (a bridge fitted on the documentation alone scored
R² 0.40 on Austen's prose against 0.67 held out on its own text).
"""

from __future__ import annotations

import importlib
import inspect
import random
import warnings
from functools import lru_cache
from importlib import resources
from pydoc_data import topics
from typing import Any

from steerbridge.bridge.documents import Corpus, Document, paragraphs
from steerbridge.bridge.written_corpus import WRITTEN_NAME, written_corpus, written_digest

BUILTIN_CORPUS = "builtin"
"""The name `load_corpus` knows the built-in corpus by (documentation and written text)."""
BUILTIN_DOCS = "builtin-docs"
"""The documentation part alone: the built-in corpus before issue 11."""
BUILTIN_TEXT = WRITTEN_NAME
"""The written part alone: prose, dialogue and A/B questions."""
BUILTIN_NAMES: tuple[str, ...] = (BUILTIN_CORPUS, BUILTIN_DOCS, BUILTIN_TEXT)
WRITTEN_EVERY = 3
"""In ``"builtin"``, one written document follows every this many documentation items."""

# Standard-library modules whose docstrings feed the built-in corpus (stable, English prose).
STDLIB_MODULES: tuple[str, ...] = (
    "abc", "argparse", "array", "ast", "asyncio", "base64", "bisect", "calendar", "cmd",
    "codecs", "collections", "concurrent.futures", "configparser", "contextlib", "copy", "csv",
    "dataclasses", "datetime", "decimal", "difflib", "doctest", "email.message", "enum",
    "fractions", "ftplib", "functools", "getopt", "gettext", "glob", "gzip", "hashlib", "heapq",
    "hmac", "html.parser", "http.client", "http.cookiejar", "imaplib", "inspect", "io",
    "ipaddress", "itertools", "json", "locale", "logging", "mailbox", "mimetypes",
    "multiprocessing", "numbers", "operator", "optparse", "os", "pathlib", "pdb", "pickle",
    "pprint", "queue", "random", "re", "sched", "secrets", "selectors", "shlex", "shutil",
    "smtplib", "socket", "sqlite3", "ssl", "statistics", "string", "struct", "subprocess",
    "tarfile", "tempfile", "textwrap", "threading", "timeit", "tokenize", "trace", "traceback",
    "turtle", "typing", "unittest", "urllib.parse", "urllib.request", "uuid", "warnings",
    "wave", "weakref", "xml.dom.minidom", "zipfile", "zoneinfo", "xml.etree.ElementTree",
    "email.utils", "http.server", "urllib.robotparser", "sysconfig", "pkgutil", "importlib",
    "runpy", "filecmp", "fnmatch", "linecache", "netrc", "plistlib", "poplib", "quopri",
    "reprlib", "signal", "socketserver", "stat", "symtable", "tabnanny", "tkinter", "token",
    "tomllib", "types", "unicodedata", "venv", "webbrowser", "wsgiref.util", "xmlrpc.client",
    "zipapp", "zipimport", "asyncio.streams", "asyncio.tasks", "collections.abc", "compileall",
    "contextvars", "graphlib", "json.decoder", "logging.handlers", "lzma", "bz2", "mmap",
    "pickletools", "platform", "py_compile", "pyclbr", "sqlite3.dbapi2",
)


def _pydoc_topics() -> list[str]:
    return [topics.topics[k] for k in sorted(topics.topics)]


def _stdlib_docstrings() -> list[str]:
    docs: list[str] = []
    seen: set[str] = set()
    for name in STDLIB_MODULES:
        try:
            mod = importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module missing on this Python is simply skipped
            continue
        objs: list[Any] = [mod]
        for attr in sorted(vars(mod)):
            if attr.startswith("_"):
                continue
            obj = getattr(mod, attr, None)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and getattr(
                obj, "__module__", None
            ) == mod.__name__:
                objs.append(obj)
                if inspect.isclass(obj):  # and the methods it defines itself
                    objs += [m for k, m in sorted(vars(obj).items())
                             if inspect.isfunction(m) and not k.startswith("_")]
        for obj in objs:
            with warnings.catch_warnings():  # typing.io & co. warn when their __doc__ is read
                warnings.simplefilter("ignore")
                doc = inspect.getdoc(obj)
            if doc and len(doc) >= 120 and doc not in seen:
                seen.add(doc)
                docs.append(doc)
    return docs


def _chat_prompts() -> list[str]:
    text = resources.files("steerbridge").joinpath("data/corpus/chat_prompts.txt").read_text()
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=2)
def docs_corpus(seed: int = 0) -> Corpus:
    """Python's own documentation, as plain text and as chat turns (``"builtin-docs"``).

    Documents alternate plain / chat so any prefix of the windows mixes both. A third of the
    chat items end at the assistant's turn (``add_generation_prompt``), the rest carry an
    assistant answer that paraphrases nothing: it is the next documentation passage.
    Cached per process: treat the returned corpus as read-only.
    """
    texts = _pydoc_topics() + _stdlib_docstrings()
    paras = [p for t in texts for p in paragraphs(t)]
    rng = random.Random(seed)
    rng.shuffle(paras)
    prompts = _chat_prompts()
    half = len(paras) // 2
    plain = [Document(text=p) for p in paras[:half]]
    chat: list[Document] = []
    rest = paras[half:]
    for i in range(0, len(rest) - 1, 2):
        user = f"{prompts[(i // 2) % len(prompts)]}\n\n{rest[i]}"
        if (i // 2) % 3 == 0:
            chat.append(Document(messages=(("user", user),), add_generation_prompt=True))
        else:
            chat.append(Document(messages=(("user", user), ("assistant", rest[i + 1]))))
    docs: list[Document] = []
    for i in range(max(len(plain), len(chat))):
        if i < len(plain):
            docs.append(plain[i])
        if i < len(chat):
            docs.append(chat[i])
    return Corpus(BUILTIN_DOCS, docs)


@lru_cache(maxsize=2)
def default_corpus(seed: int = 0) -> Corpus:
    """The built-in corpus (``"builtin"``): the written prose, dialogue and questions spread
    over the front of the documentation, one after every `WRITTEN_EVERY` documentation items.

    Deterministic (`seed` shuffles the documentation only). Cached per process: treat the
    returned corpus as read-only.
    """
    docs = docs_corpus(seed).documents
    written = written_corpus().documents
    out: list[Document] = []
    for i, doc in enumerate(docs):
        out.append(doc)
        k = i // WRITTEN_EVERY
        if i % WRITTEN_EVERY == WRITTEN_EVERY - 1 and k < len(written):
            out.append(written[k])
    out += written[len(docs) // WRITTEN_EVERY:]  # only if the documentation ran out first
    return Corpus(BUILTIN_CORPUS, out)


def is_builtin(spec: object) -> bool:
    """Whether a corpus spec names a built-in corpus (not a file)."""
    return isinstance(spec, str) and spec in BUILTIN_NAMES


def builtin_corpus(name: str) -> Corpus:
    """The built-in corpus called `name` (one of `BUILTIN_NAMES`)."""
    if name == BUILTIN_DOCS:
        return docs_corpus()
    if name == BUILTIN_TEXT:
        return written_corpus()
    if name == BUILTIN_CORPUS:
        return default_corpus()
    raise ValueError(f"{name!r} is not a built-in corpus: use one of {', '.join(BUILTIN_NAMES)}")


def builtin_digest(name: str) -> str:
    """What a run key records for a built-in corpus: its name and a hash of the text files
    packaged with steerbridge (the documentation itself comes with Python)."""
    return f"{name}@{written_digest()}"

