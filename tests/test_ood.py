"""The broadened built-in corpus (issue 11.4) and out-of-distribution scores of a bridge."""

from __future__ import annotations

import json
import math

import pytest

from steerbridge.bridge.builtin_corpus import (
    BUILTIN_NAMES,
    WRITTEN_EVERY,
    builtin_digest,
    default_corpus,
    docs_corpus,
)
from steerbridge.bridge.corpus import load_corpus, tokenize
from steerbridge.bridge.fitting import fit_bridge
from steerbridge.bridge.ood import ood_report, score_text, score_texts, text_corpus, text_windows
from steerbridge.bridge.written_corpus import (
    dialogue_documents,
    prose_documents,
    question_documents,
    written_corpus,
)
from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_pair, tiny_tokenizer
from steerbridge.run.keys import corpus_part

STORY = """The lighthouse keeper counted the ships every evening and wrote their names in a
book that nobody ever read.

When the storm came in October, she kept the lamp burning for three nights without sleep, and
on the fourth morning a fishing boat she had never seen before tied up at the harbour wall.

"You kept us alive," said the skipper, and she told him it was only her job, which was true,
and also not the whole truth.
"""


def test_written_parts_are_deterministic_and_varied():
    a = written_corpus()
    assert a.fingerprint == written_corpus.__wrapped__().fingerprint  # same text when rebuilt
    kinds = {d.source for d in a.documents}
    assert kinds == {"plain", "chat"}
    texts = [d.text + " ".join(c for _, c in d.messages) for d in a.documents]
    words = sum(len(t.split()) for t in texts)
    assert 6000 <= words <= 12000
    assert any("Choices:\n (A)" in t and "(B)" in t for t in texts)  # A/B questions
    assert any(d.messages and len(d.messages) >= 4 for d in a.documents)  # multi-turn dialogue
    assert any(d.text.count(":") >= 4 and "\n" in d.text for d in a.documents)  # plain dialogue
    assert any(d.add_generation_prompt for d in a.documents)  # chats ending at the answer
    assert any(d.text.startswith("Question:") for d in a.documents)  # A/B as plain text
    assert any(len(d.text) > 300 and "\n" not in d.text for d in a.documents)  # prose


def test_builtin_mixes_docs_and_written_text_and_keeps_docs_reachable():
    docs, full, text = (load_corpus(n) for n in ("builtin-docs", "builtin", "builtin-text"))
    assert set(BUILTIN_NAMES) == {"builtin", "builtin-docs", "builtin-text"}
    assert docs.fingerprint == docs_corpus().fingerprint and docs.name == "builtin-docs"
    assert full.fingerprint == default_corpus().fingerprint
    assert len(full.documents) == len(docs.documents) + len(text.documents)
    # every written document, in order, one after every WRITTEN_EVERY documentation items
    written = [d for d in full.documents if d in set(text.documents)]
    assert written == text.documents
    assert full.documents[WRITTEN_EVERY] == text.documents[0]
    assert full.documents[:WRITTEN_EVERY] == docs.documents[:WRITTEN_EVERY]
    # a small budget of the default corpus already sees prose and questions
    w = tokenize(full, tiny_tokenizer(), window=64, max_tokens=3000)
    assert w.info["plain_windows"] and w.info["chat_windows"]
    # run keys follow the packaged text, and built-in names never resolve as paths
    assert corpus_part(["builtin", "builtin-docs"]) == [builtin_digest("builtin"),
                                                        builtin_digest("builtin-docs")]


def test_config_takes_builtin_parts_and_user_files(tmp_path):
    from steerbridge.run import config as C

    (tmp_path / "mine.txt").write_text(STORY)
    text = ("[models]\nsource = 'a'\ntarget = 'b'\n[bridge]\nsource_layer = 1\n"
            "target_layer = 2\ncorpus = ['builtin-docs', 'builtin-text', 'mine.txt']\n"
            "[[behaviours]]\nname = 'x'\nbuiltin = 'positive-tone'\n")
    (tmp_path / "exp.toml").write_text(text)
    cfg = C.load(tmp_path / "exp.toml")
    assert cfg.bridge.corpus == ["builtin-docs", "builtin-text", str(tmp_path / "mine.txt")]
    assert len(load_corpus(cfg.bridge.corpus).documents) > len(docs_corpus().documents)


def test_written_file_formats_and_their_errors():
    prose = prose_documents("# c\nOne plain paragraph.\n\n> Ask me\nAn answer.\n")
    assert prose[0].text == "One plain paragraph."
    assert prose[1].messages == (("user", "Ask me"), ("assistant", "An answer."))
    talk = dialogue_documents("A: hi\nB: hello\nA: bye\n\nA: one\nB: two\n")
    assert talk[0].messages == (("user", "hi"), ("assistant", "hello"), ("user", "bye"))
    assert talk[0].add_generation_prompt and talk[1].text == "A: one\nB: two"
    qs = question_documents("Q one?\n(A) yes\n(B) no\nAnswer: (A) yes\n\nQ two?\n(A) a\n(B) b\n")
    assert qs[0].messages[1] == ("assistant", "(A) yes")
    assert qs[1].add_generation_prompt and qs[1].messages[0][1].endswith("(B) b")
    with pytest.raises(SteerbridgeError, match="'Name: words'"):
        dialogue_documents("just words with no speaker\n")
    with pytest.raises(SteerbridgeError, match=r"an \(A\) line"):
        question_documents("Q?\n(A) only one\n")


@pytest.fixture(scope="module")
def fitted():
    s, t = tiny_pair()
    w = tokenize(load_corpus("builtin"), s.tokenizer, window=32, max_tokens=3000)
    return s, t, w, fit_bridge(s, t, w, 2, 3, progress=False)


def test_ood_score_on_own_test_windows_is_the_in_distribution_figure(fitted):
    s, t, w, br = fitted
    again = score_text(br, s, t, w, split="test")
    test = br.metrics["test"]
    assert again["n"] == test["n"]
    for k in [k for k in test if not k.startswith("centred")]:  # r2, r2_plain, cosine, ...
        assert again[k] == pytest.approx(test[k], rel=1e-4, abs=1e-5), k
    assert again["dropped"]["position_0"] == len(w)


def test_ood_score_on_other_text_and_report(fitted, tmp_path):
    s, t, _, br = fitted
    (tmp_path / "story.txt").write_text(STORY)
    scores = score_texts(br, s, t, [tmp_path / "story.txt"], window=32, max_tokens=2000)
    m = scores["story.txt"]
    assert math.isfinite(m["r2"]) and math.isfinite(m["cosine"]) and m["n"] > 20
    assert "r2_plain" in m and "r2_chat" not in m  # a plain text has no chat windows
    rep = ood_report(br, scores)
    json.dumps(rep, allow_nan=False)
    assert [r["kind"] for r in rep["rows"]] == ["in-distribution", "out-of-distribution"]
    assert rep["rows"][1]["r2_drop"] == pytest.approx(br.metrics["test"]["r2"] - m["r2"])
    w = text_windows(tmp_path / "story.txt", s.tokenizer, window=16, max_tokens=40)
    assert w.n_tokens <= 40 + 16 and set(w.source) == {"plain"}


def test_text_files_that_are_not_text_are_refused_clearly(tmp_path):
    with pytest.raises(SteerbridgeError, match="does not exist"):
        text_corpus(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("  \n\n")
    with pytest.raises(SteerbridgeError, match="is empty"):
        text_corpus(tmp_path / "empty.txt")
    (tmp_path / "blob.txt").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SteerbridgeError, match="not text|not UTF-8"):
        text_corpus(tmp_path / "blob.txt")
    (tmp_path / "nul.txt").write_bytes(b"words\x00\x00\x00 and more words")
    with pytest.raises(SteerbridgeError, match="NUL bytes"):
        text_corpus(tmp_path / "nul.txt")
    (tmp_path / "latin.txt").write_bytes("caf\xe9 au lait, tr\xe8s bien".encode("latin-1"))
    with pytest.raises(SteerbridgeError, match="not UTF-8"):
        text_corpus(tmp_path / "latin.txt")
    with pytest.raises(SteerbridgeError, match="folder"):
        text_corpus(tmp_path)
    # user corpus files for fit-bridge --corpus get the same treatment
    with pytest.raises(SteerbridgeError, match="NUL bytes"):
        load_corpus(tmp_path / "nul.txt")
    with pytest.raises(SteerbridgeError, match="not UTF-8"):
        load_corpus(tmp_path / "latin.txt")


def test_cli_fit_bridge_ood_and_score_bridge(tmp_path):
    from typer.testing import CliRunner

    from steerbridge.cli import app

    for lm, name in zip(tiny_pair(), ("src", "tgt"), strict=True):
        lm.model.save_pretrained(tmp_path / name)
        lm.tokenizer.save_pretrained(tmp_path / name)
    (tmp_path / "story.txt").write_text(STORY)
    (tmp_path / "mine.txt").write_text(STORY.replace("lighthouse", "harbour"))
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01binary")
    common = ["--source", str(tmp_path / "src"), "--target", str(tmp_path / "tgt"),
              "--dtype", "float32", "--device", "cpu", "--window", "32"]
    bridge = tmp_path / "b.safetensors"
    runner = CliRunner()
    res = runner.invoke(app, ["fit-bridge", *common, "-s", "1", "-t", "2", "--max-tokens", "1200",
                              "--corpus", "builtin", "--corpus", str(tmp_path / "mine.txt"),
                              "--cache-dir", str(tmp_path / "cache"), "-o", str(bridge),
                              "--ood", str(tmp_path / "story.txt"), "--ood-tokens", "500"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    rep = json.loads((tmp_path / "b.ood.json").read_text())
    assert rep["fit_corpus"] == "builtin+mine.txt" and rep["settings"]["max_tokens"] == 500
    assert [r["text"] for r in rep["rows"]][1:] == ["story.txt"]
    assert "R² drop" in res.output and "out-of-distribution" in res.output
    out = tmp_path / "again.json"
    res = runner.invoke(app, ["score-bridge", str(bridge), "--text", str(tmp_path / "story.txt"),
                              "--text", str(tmp_path / "mine.txt"), "--max-tokens", "500",
                              "--window", "32", "--dtype", "float32", "--device", "cpu",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output + repr(res.exception)
    again = json.loads(out.read_text())
    assert again["out_of_distribution"]["story.txt"]["r2"] == pytest.approx(
        rep["out_of_distribution"]["story.txt"]["r2"])
    assert set(again["out_of_distribution"]) == {"story.txt", "mine.txt"}
    res = runner.invoke(app, ["score-bridge", str(bridge), "--text", str(tmp_path / "bad.txt")])
    assert isinstance(res.exception, SteerbridgeError) and "NUL bytes" in str(res.exception)
