"""Corpus sources, windows, the chat-header rule and the tokenizer check."""

from __future__ import annotations

import json

import pytest

from steerbridge.bridge.builtin_corpus import default_corpus
from steerbridge.bridge.corpus import check_tokenizers, common_prefix_length, load_corpus, tokenize
from steerbridge.bridge.documents import Corpus, Document
from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_tokenizer


def test_default_corpus_mixes_plain_and_chat_and_is_stable():
    a, b = default_corpus(), default_corpus()
    assert a.fingerprint == b.fingerprint
    kinds = [d.source for d in a.documents[:10]]
    assert "plain" in kinds and "chat" in kinds
    assert sum(len(d.text) + sum(len(c) for _, c in d.messages) for d in a.documents) > 600_000


def test_tokenize_windows_budget_and_header():
    tok = tiny_tokenizer()
    w = tokenize(load_corpus("builtin"), tok, window=64, max_tokens=5000)
    assert all(len(ids) <= 64 for ids in w.ids)
    assert 5000 <= w.n_tokens < 5000 + 64
    chat = [i for i, s in enumerate(w.source) if s == "chat"]
    assert chat and w.header_tokens == common_prefix_length([w.ids[i] for i in chat])
    assert w.header_tokens >= 3  # "<|im_start|>user\n" at least
    assert all(w.skip[i] == w.header_tokens for i in chat)
    assert all(s == 1 for s, src in zip(w.skip, w.source, strict=True) if src == "plain")
    assert {w.split_of(i) for i in range(20)} == {"train", "val", "test"}
    w2 = tokenize(load_corpus("builtin"), tok, window=64, max_tokens=6000)
    assert w2.fingerprint != w.fingerprint  # token count is part of the identity


def test_txt_and_jsonl_sources(tmp_path):
    (tmp_path / "a.txt").write_text("First paragraph here.\n\nSecond one.\n")
    recs = [{"text": "plain words"}, {"messages": [{"role": "user", "content": "hi"}]},
            {"prompt": "Q?", "completion": "A."}]
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in recs))
    c = load_corpus([tmp_path / "a.txt", tmp_path / "b.jsonl"])
    assert [d.source for d in c.documents] == ["plain", "plain", "plain", "chat", "chat"]
    assert c.documents[3].add_generation_prompt and not c.documents[4].add_generation_prompt
    (tmp_path / "bad.jsonl").write_text('{"foo": 1}\n')
    with pytest.raises(SteerbridgeError, match="needs a 'text'"):
        load_corpus(tmp_path / "bad.jsonl")
    with pytest.raises(SteerbridgeError, match="neither"):
        load_corpus(tmp_path / "missing.txt")


def test_empty_or_too_short_corpus_is_refused(tmp_path):
    (tmp_path / "e.txt").write_text("")
    with pytest.raises(SteerbridgeError, match="holds no text"):
        load_corpus(tmp_path / "e.txt")
    with pytest.raises(SteerbridgeError, match="too short"):
        tokenize(Corpus("short", [Document(text="hi")]), tiny_tokenizer())


def test_mismatched_tokenizers_name_first_differing_token():
    from transformers import PreTrainedTokenizerFast

    a = tiny_tokenizer()
    raw = json.loads(a.backend_tokenizer.to_str())
    vocab = raw["model"]["vocab"]
    victim = next(t for t, i in vocab.items() if i == 100)
    vocab["ZZ"] = vocab.pop(victim)
    from tokenizers import Tokenizer

    b = PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(raw)))
    with pytest.raises(SteerbridgeError, match=r"token id 100 is .* in source but 'ZZ' in target"):
        check_tokenizers(a, b)
    check_tokenizers(a, tiny_tokenizer())  # same one: fine
