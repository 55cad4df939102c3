"""How well a fitted bridge predicts the target's states on other text: out-of-distribution R².

A bridge's held-out figures (``bridge.metrics["test"]``) come from test windows of the corpus it
was fitted on. `score_text` runs both models over windows of any text and scores the bridge
there with the same token rules as the fit: position 0 and a repeated chat header left out
(`steerbridge.bridge.corpus.tokenize`), outlier-norm tokens dropped per batch
(`steerbridge.bridge.collection.pair_batches`), and the same metrics
(`steerbridge.bridge.scoring.score`). Scored on the fit corpus's own windows with
``split="test"``, it gives back the in-distribution figure; on a novel, scripture or a list of
fortunes, it says how far the map carries.

`text_corpus` reads a text file as plain paragraphs (a ``.jsonl`` file as `load_corpus` reads
it) and refuses a missing, empty or binary file with a message that says what to do.
`ood_report` puts the in-distribution and the out-of-distribution figures side by side.

The bridge file does not store the training mean of the target states, so the centred cosine
here is centred on the scored text's own mean (``centred_cosine_own``); R², cosine and relative
error need no mean and compare directly with the fit's figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.collection import pair_batches
from steerbridge.bridge.corpus import (
    DEFAULT_WINDOW,
    Windows,
    check_text,
    check_tokenizers,
    load_corpus,
    tokenize,
)
from steerbridge.bridge.documents import Corpus, Document, paragraphs
from steerbridge.bridge.scoring import score
from steerbridge.errors import SteerbridgeError
from steerbridge.models.batching import plan_batches
from steerbridge.models.loading import LoadedModel
from steerbridge.progress import Progress, progress_context
from steerbridge.safeio import decode, read_bytes

DEFAULT_OOD_TOKENS = 20_000
"""Tokens of each text scored unless said otherwise (enough for a stable R²)."""
KEYS = ("r2", "cosine", "rel_error", "n")
"""The figures `ood_report` sets side by side."""

_SPLITS = {"train": 0, "val": 1, "test": 2}


def text_corpus(path: str | Path) -> Corpus:
    """A text file as a corpus: one plain document per blank-line-separated block (a ``.jsonl``
    file is read as `load_corpus` reads it). Refuses a missing file, a folder, an empty file,
    a binary or pickle file and text that is not UTF-8, saying which and what to do."""
    p = Path(path).expanduser()
    data = read_bytes(p, "Text file")  # missing file, folder, permissions
    if not data.strip():
        raise SteerbridgeError(f"Text file {p} is empty: give a file with some prose in it.")
    text = check_text(decode(data, p, "Text file"), p, "Text file")  # pickle, bytes, NULs
    if p.suffix == ".jsonl":
        return load_corpus(p)
    docs = [Document(text=t) for t in paragraphs(text, 1)]
    if not docs:
        raise SteerbridgeError(f"Text file {p} holds no text.")
    return Corpus(p.name, docs)


def text_windows(path: str | Path | Corpus, tokenizer: Any, window: int = DEFAULT_WINDOW,
                 max_tokens: int | None = DEFAULT_OOD_TOKENS) -> Windows:
    """The first `max_tokens` tokens of a text file (or a ready corpus) as windows."""
    corpus = path if isinstance(path, Corpus) else text_corpus(path)
    return tokenize(corpus, tokenizer, window=window, max_tokens=max_tokens)


def score_text(
    bridge: Bridge,
    source: LoadedModel,
    target: LoadedModel,
    windows: Windows,
    split: str | None = None,
    batch_size: int = 8,
    outlier_factor: float = 5.0,
    batch_tokens: int | None = None,
    progress: Progress = False,
) -> dict[str, Any]:
    """Score `bridge` on `windows`: both models run once, the bridge predicts the target's
    states from the source's at the fit tokens, `score` compares (per plain / chat too).

    `split` ``None`` scores every window; ``"test"`` (or ``"train"``, ``"val"``) only that split
    of `Windows.split_of`, e.g. to recompute a bridge's held-out figure on its own corpus.
    Returns the metrics plus ``dropped`` (tokens left out in the batches run), ``corpus``,
    ``tokens`` and ``windows``.
    """
    if split is not None and split not in _SPLITS:
        raise SteerbridgeError(f"split={split!r}: use None, 'train', 'val' or 'test'.")
    check_tokenizers(source.tokenizer, target.tokenizer, source.name, target.name)
    bridge.check_model("source", source)
    bridge.check_model("target", target)
    d_in = source.hidden_size * len(bridge.source_layers)
    if (bridge.d_source, bridge.d_target) != (d_in, target.hidden_size):
        raise SteerbridgeError(
            f"The bridge maps {bridge.d_source} → {bridge.d_target} dimensions, but these models "
            f"give {d_in} → {target.hidden_size}: it was fitted for another pair.")
    pair = (tuple(bridge.source_layers), bridge.target_layer)
    xs: list[torch.Tensor] = []
    ys: list[torch.Tensor] = []
    gs: list[torch.Tensor] = []
    dropped = {"position_0": 0, "chat_header": 0, "outlier": 0}
    n_batches = len(plan_batches([len(w) for w in windows.ids], batch_size, batch_tokens))
    with progress_context(progress, n_batches, f"scoring on {windows.corpus_name}") as advance:
        for pb in pair_batches(source, target, windows, [pair], batch_size, outlier_factor,
                               batch_tokens=batch_tokens):
            x, y, keep = pb.rows(pair)
            sel = keep if split is None else keep & (pb.split == _SPLITS[split])
            xs.append(x[sel].cpu())
            ys.append(y[sel].cpu())
            gs.append(pb.is_chat[sel].cpu())
            dropped["position_0"] += pb.n_first
            dropped["chat_header"] += pb.n_header
            dropped["outlier"] += int((~keep).sum())
            advance(pb.index + 1, n_batches)
    x, y = torch.cat(xs), torch.cat(ys)
    if x.shape[0] < 2:
        raise SteerbridgeError(f"Text {windows.corpus_name!r} left {x.shape[0]} tokens to score "
                               "after the token rules: give a longer text or more tokens.")
    groups = torch.cat(gs)
    metrics = score(bridge.W, bridge.b, x, y, y.double().mean(0), groups)
    metrics["centred_cosine_own"] = metrics.pop("centred_cosine")
    for k in [k for k in metrics if k.startswith("centred_cosine_") and k != "centred_cosine_own"]:
        metrics[k.replace("centred_cosine_", "centred_cosine_own_")] = metrics.pop(k)
    return {**metrics, "dropped": dropped, "corpus": windows.corpus_name,
            "tokens": windows.n_tokens, "windows": len(windows)}


def score_texts(bridge: Bridge, source: LoadedModel, target: LoadedModel,
                paths: Sequence[str | Path], window: int = DEFAULT_WINDOW,
                max_tokens: int | None = DEFAULT_OOD_TOKENS, **options: Any
                ) -> dict[str, dict[str, Any]]:
    """{file name: `score_text` of its first `max_tokens` tokens} for each text file; all files
    are read (and refused) before any model runs. `options` go to `score_text`."""
    corpora = [text_corpus(p) for p in paths]
    out: dict[str, dict[str, Any]] = {}
    for path, corpus in zip(paths, corpora, strict=True):
        name = corpus.name if corpus.name not in out else str(path)
        windows = text_windows(corpus, source.tokenizer, window, max_tokens)
        out[name] = score_text(bridge, source, target, windows, **options)
    return out


def _finite(v: Any) -> Any:
    """NaN and infinities as None (JSON has no NaN), nested values too."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v


def ood_report(bridge: Bridge, scores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The bridge's in-distribution held-out figures beside each text's, JSON-ready.

    ``rows`` is the side-by-side table: first the fit corpus's test windows (from the bridge's
    metrics), then each text, with `KEYS` and ``r2_drop`` (in-distribution R² minus the
    text's).
    """
    test = bridge.metrics.get("test", {}) or {}
    corpus = bridge.provenance.get("corpus", "fit corpus")
    ind_r2 = test.get("r2")
    rows = [{"text": f"{corpus} (held-out test windows)", "kind": "in-distribution",
             **{k: test.get(k) for k in KEYS}, "r2_drop": 0.0}]
    for name, m in scores.items():
        rows.append({"text": name, "kind": "out-of-distribution", **{k: m.get(k) for k in KEYS},
                     "r2_drop": ind_r2 - m["r2"] if isinstance(ind_r2, float) else None})
    return _finite({
        "format": "steerbridge.ood", "source": bridge.source_name, "target": bridge.target_name,
        "source_layers": bridge.source_layers, "target_layer": bridge.target_layer,
        "method": bridge.method, "fit_corpus": corpus,
        "fit_corpus_tokens": bridge.provenance.get("corpus_tokens"),
        "in_distribution": test, "out_of_distribution": scores, "rows": rows,
    })
