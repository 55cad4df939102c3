"""The real 1.5B in llama.cpp (Q4_K_M) against transformers (dequantised float32): a control
vector steers both the same way. Marked ``llamacpp``: not in the default run; skipped when
llama-cpp-python, the installed 1.5B or its kept GGUF (`steerbridge llamacpp gguf
qwen2.5-coder-1.5b`) is absent. Takes several minutes on 2 CPU cores.

    pytest -m llamacpp tests/test_llamacpp.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.llamacpp

ALIAS = "qwen2.5-coder-1.5b"
LAYER = 14


def _skip_reason() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python absent: pip install 'steerbridge[llamacpp]'"
    from steerbridge.models import gguf_file, zoo

    if not zoo.is_installed(ALIAS):
        return f"{ALIAS} not installed: steerbridge models install {ALIAS}"
    if not gguf_file.gguf_path(ALIAS).is_file():
        return f"GGUF not kept: steerbridge llamacpp gguf {ALIAS}"
    return None


@pytest.fixture(scope="module")
def engines():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    import torch

    from steerbridge.models import gguf_file
    from steerbridge.models.loading import load
    from steerbridge.vectors.llamacpp import LlamaCppModel

    torch.set_num_threads(2)
    hf = load(ALIAS, dtype="float32")
    # one llama.cpp thread: on a shared 2-core machine two OpenMP threads run slower
    cpp = LlamaCppModel(gguf_file.gguf_path(ALIAS), name=ALIAS, n_threads=1)
    yield hf, cpp
    cpp.close()


@pytest.fixture(scope="module")
def vector(engines):
    """A positive-tone CAA vector extracted here on the 1.5B at layer 14 (40 items)."""
    from steerbridge.vectors import datasets
    from steerbridge.vectors.vector import extract

    hf, _ = engines
    gen, _ = datasets.builtin("positive-tone")
    return extract(hf, gen[::4], [LAYER], dataset_name="positive-tone")


@pytest.fixture(scope="module")
def comparison(engines, vector):
    from steerbridge.evaluation import llamacpp_compare as lc
    from steerbridge.vectors import datasets

    hf, cpp = engines
    _, test = datasets.builtin("positive-tone")
    prompts = datasets.builtin_open_prompts("positive-tone")[:4]
    return lc.compare(hf, cpp, test[:20], vector, [-0.2, 0.2], prompts, gen_alpha=-0.4,
                      max_new_tokens=32)


def test_direction_k_is_our_layer_k(engines, vector) -> None:
    """One-layer experiment: llama.cpp's direction.14 changes the logits as transformers'
    layer 14 does (output of block 14 = hidden_states[15]), clearly more than layer 13 or 15."""
    from steerbridge.evaluation.llamacpp_compare import layer_probe
    from steerbridge.vectors import datasets

    hf, cpp = engines
    _, test = datasets.builtin("positive-tone")
    ids = [hf.tokenizer.encode(datasets.chat_prompt(hf.tokenizer, it.question),
                               add_special_tokens=False) for it in test[:2]]
    probe = layer_probe(hf, cpp, ids, LAYER, 0.5, vector.scales[LAYER])
    r = {row["hf_layer"]: row["r"] for row in probe["rows"]}
    assert probe["best_hf_layer"] == LAYER, r
    assert r[LAYER] > 0.9 and r[LAYER] - max(r[LAYER - 1], r[LAYER + 1]) > 0.05, r


def test_file_route_equals_in_memory(engines, vector, tmp_path: Path) -> None:
    """save_gguf at alpha, applied as --control-vector does, gives the in-memory logits."""
    from steerbridge.vectors.export import save_gguf

    hf, cpp = engines
    ids = hf.tokenizer.encode("The weather today is", add_special_tokens=False)
    with cpp.steered(vector, 0.3):
        mem = cpp.last_logits(ids)
    p = save_gguf(vector, tmp_path / "v.gguf", alpha=0.3)
    with cpp.with_files([(p, 1.0)]):
        file = cpp.last_logits(ids)
    plain = cpp.last_logits(ids)
    np.testing.assert_array_equal(mem, file)
    assert np.abs(mem - plain).max() > 0.1  # the vector does something, and is cleared after


def test_ab_shift_agrees_with_transformers(comparison) -> None:
    par = comparison["parity"]
    assert par["baseline"]["r_ld"] > 0.9, par["baseline"]
    assert not comparison["rule_failures"], comparison["rule_failures"]
    for row in par["per_alpha"]:
        assert row["r_shift"] >= 0.9 and row["same_sign"] and abs(row["ratio"] - 1) <= 0.25


def test_greedy_tone_moves_the_same_way(comparison) -> None:
    tp = comparison["generations"]["tone_parity"]
    assert tp["shift_hf"] < 0 and tp["shift_llamacpp"] < 0, tp  # alpha -0.4 darkens both
    assert tp["same_sign"], tp
