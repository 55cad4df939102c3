"""Label-free transfer methods: the input rule, probe gradients, effect-matched fit, distilling."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch

from steerbridge.bridge import distill as distill_mod
from steerbridge.bridge import methods
from steerbridge.bridge.affine import Bridge
from steerbridge.bridge.effect import (
    GradientMoments,
    collect_gradient_moments,
    fit_effect_map,
    fit_on,
)
from steerbridge.bridge.method_inputs import ALLOWED_FIELDS, TransferInputs, unlabelled_questions
from steerbridge.bridge.moments import Moments
from steerbridge.bridge.probes import probe_gradients, prompt_batch, sample_probes, text_batch
from steerbridge.errors import SteerbridgeError
from steerbridge.models.tiny import tiny_model
from steerbridge.vectors.datasets import ABItem
from steerbridge.vectors.vector import SteeringVector

TEXTS = ["The quick brown fox jumps over the lazy dog.", "What a wonderful, kind gesture!",
         "A steering vector is a direction in the hidden states.", "This is terrible and sad.",
         "Answer the question with a single letter.", "def add(a, b): return a + b"]


def _vector(lm, layer: int, seed: int = 0, scale: float = 1.0) -> SteeringVector:
    d = torch.randn(lm.hidden_size, generator=torch.Generator().manual_seed(seed))
    return SteeringVector({layer: d}, {layer: scale}, lm.name, lm.fingerprint, lm.hidden_size,
                          "test", "none")


def _bridge(src, tgt, W, ls: int, lt: int) -> Bridge:
    return Bridge(W.float(), torch.zeros(W.shape[0]), [ls], lt, src.name, tgt.name,
                           src.fingerprint, tgt.fingerprint)


def test_inputs_carry_only_what_a_method_may_use():
    names = tuple(f.name for f in dataclasses.fields(TransferInputs))
    assert names == ALLOWED_FIELDS
    assert not any("native" in n or "label" in n or "test" in n for n in names)
    assert TransferInputs.__dataclass_params__.frozen  # type: ignore[attr-defined]
    for fn in (methods.state_bridge, methods.effect_matched, distill_mod.distilled):
        first = next(iter(inspect.signature(fn).parameters.values()))
        assert first.annotation in ("TransferInputs", TransferInputs)
    items = [ABItem("Q?\n\nChoices:\n (A) x\n (B) y", "(A)", "(B)")]
    assert unlabelled_questions(items) == ("Q?\n\nChoices:\n (A) x\n (B) y",)
    with pytest.raises(SteerbridgeError):
        unlabelled_questions(items, split="test")


def test_probe_gradients_match_finite_differences():
    lm = tiny_model("qwen2", 32, 4, seed=3, dtype=torch.float64)
    batch = text_batch(lm.tokenizer, TEXTS[:2], max_tokens=12)
    probes = sample_probes(lm, batch, draws=2, seed=1)
    g = probe_gradients(lm, 1, batch, probes)
    assert g.shape == (2, 2, 32)

    def ll(delta: torch.Tensor) -> float:
        def hook(_m, _a, out):
            h = out[0] if isinstance(out, tuple) else out
            return (h + delta, *out[1:]) if isinstance(out, tuple) else h + delta
        handle = lm.layers[1].register_forward_hook(hook)
        try:
            with torch.no_grad():
                lp = torch.log_softmax(lm.model(input_ids=batch.ids,
                                                attention_mask=batch.mask).logits, -1)
        finally:
            handle.remove()
        y = probes[0]
        return float((lp.gather(-1, y[..., None])[..., 0] * batch.probe)[0].sum())

    eps = 1e-3  # Qwen2 RMSNorm computes in float32: smaller steps drown in rounding
    for i in (0, 7, 31):
        e = torch.zeros(2, 1, 32, dtype=torch.float64)
        e[0, 0, i] = eps
        fd = (ll(e) - ll(-e)) / (2 * eps)
        assert abs(fd - float(g[0, 0, i])) < 1e-3 * max(1.0, abs(fd))


def test_prompt_batch_probes_the_answer_position_only():
    lm = tiny_model("qwen2", 32, 2, seed=0)
    b = prompt_batch(lm.tokenizer, ["Short?", "A much longer question here?"])
    assert b.probe.sum(1).tolist() == [1, 1]
    assert b.probe[0, b.mask[0].sum() - 1]


def test_planted_linear_relation_is_recovered_and_prior_dominates_at_large_lambda():
    g = torch.Generator().manual_seed(0)
    dt, ds, n = 12, 8, 600
    M = torch.randn(dt, ds, generator=g, dtype=torch.float64)
    parts = []
    for _ in range(3):
        gt = torch.randn(n, dt, generator=g, dtype=torch.float64)
        gs = gt @ M + 0.01 * torch.randn(n, ds, generator=g, dtype=torch.float64)
        parts.append(Moments.from_data(gt, gs))
    fit = fit_effect_map(GradientMoments(*parts))
    assert torch.allclose(fit.W.double(), M, atol=1e-2)
    assert fit.split_half_cos > 0.99 and max(fit.val_r2.values()) > 0.99
    prior = torch.randn(dt, ds, generator=g, dtype=torch.float64)
    assert torch.allclose(fit_on(parts[0], 1e6, prior), prior, atol=1e-3)


def test_identical_models_give_an_identity_like_map():
    lm = tiny_model("qwen2", 32, 3, seed=5)
    batches = [text_batch(lm.tokenizer, TEXTS, max_tokens=16) for _ in range(8)]
    gm = collect_gradient_moments(lm, lm, 1, 1, batches, draws=4)
    assert gm.info["pairs"] == 8 * len(TEXTS) * 4
    fit = fit_effect_map(gm)
    v = torch.randn(5, 32, generator=torch.Generator().manual_seed(1))
    cos = torch.nn.functional.cosine_similarity(v @ fit.W.T, v, dim=1)
    assert float(cos.mean()) > 0.8


def test_effect_matched_and_random_source_controls():
    s, t = tiny_model("qwen2", 32, 3, seed=0), tiny_model("qwen2", 48, 4, seed=1)
    W = torch.randn(48, 32, generator=torch.Generator().manual_seed(2))
    inputs = TransferInputs(s, _vector(s, 1), _bridge(s, t, W, 1, 2), t, neutral=tuple(TEXTS))
    gm = collect_gradient_moments(s, t, 1, 2, [text_batch(s.tokenizer, TEXTS, 12)], draws=2)
    fit = fit_effect_map(gm, prior=W)
    v = methods.effect_matched(inputs, fit)
    assert v.layers == [2] and v.model_fingerprint == t.fingerprint
    r = methods.random_source(inputs, seed=3)
    assert torch.isclose(r.vector.direction(1).norm(), inputs.vector.direction(1).norm())
    assert not torch.allclose(r.vector.direction(1), inputs.vector.direction(1))
    with pytest.raises(SteerbridgeError):
        TransferInputs(t, _vector(s, 1), _bridge(s, t, W, 1, 2), t)


def test_distillation_moves_a_rotated_start_back_toward_the_source_vector():
    lm = tiny_model("qwen2", 32, 3, seed=7)
    v = _vector(lm, 1, seed=0, scale=4.0)
    W = torch.eye(32)
    inputs = TransferInputs(lm, v, _bridge(lm, lm, W, 1, 1), lm,
                            prompts=("Would you like to help?", "Is the weather lovely?"),
                            neutral=tuple(TEXTS))
    noise = torch.randn(32, generator=torch.Generator().manual_seed(9))
    start_dir = v.unit(1) + 0.8 * noise / noise.norm()
    start = dataclasses.replace(v, directions={1: start_dir})
    settings = distill_mod.DistillSettings(alpha=1.0, steps=60, lr=0.05, penalty=0.0)
    out = distill_mod.distilled(inputs, start, settings)
    cos = torch.nn.functional.cosine_similarity
    before = float(cos(start.unit(1), v.unit(1), dim=0))
    after = float(cos(out.unit(1), v.unit(1), dim=0))
    assert after > before + 0.05
    assert out.info["distill"]["loss_last"] < out.info["distill"]["loss_first"]
    # a fixed point: starting at v itself (target = source, W = I) it stays there
    same = distill_mod.distilled(inputs, v, distill_mod.DistillSettings(alpha=1.0, steps=5))
    assert float(cos(same.unit(1), v.unit(1), dim=0)) > 0.95  # Adam steps ~lr even at a zero loss
    assert same.info["distill"]["loss_first"] < 1e-4


def test_analytic_head_matches_autograd_through_the_head():
    lm = tiny_model("qwen2", 32, 3, seed=4, dtype=torch.float64)
    batch = text_batch(lm.tokenizer, TEXTS[:3], max_tokens=10)
    probes = sample_probes(lm, batch, draws=3, seed=2)
    a = probe_gradients(lm, 1, batch, probes)
    b = probe_gradients(lm, 1, batch, probes, analytic_head=False)
    assert torch.allclose(a, b, rtol=1e-6, atol=1e-8)


def test_selection_rule_prefers_the_vector_that_reproduces_the_source_effect():
    from steerbridge.bridge.select import select

    lm = tiny_model("qwen2", 32, 3, seed=7)
    v = _vector(lm, 1, seed=0, scale=4.0)
    inputs = TransferInputs(lm, v, _bridge(lm, lm, torch.eye(32), 1, 1), lm,
                            prompts=("Would you like to help?", "Is it lovely?"),
                            neutral=tuple(TEXTS))
    others = {f"r{i}": _vector(lm, 1, seed=10 + i, scale=4.0) for i in range(3)}
    best, scores = select(inputs, {"v": v, **others}, alpha=1.0)
    assert best == "v" and scores["v"] < 1e-4
    assert set(inspect.signature(select).parameters) == {"inputs", "candidates", "alpha"}


def test_per_position_gradients_sum_to_the_window_gradient():
    lm = tiny_model("qwen2", 32, 4, seed=3, dtype=torch.float64)
    batch = text_batch(lm.tokenizer, ["Hi there.", TEXTS[2], TEXTS[0]], max_tokens=40)
    probes = sample_probes(lm, batch, draws=2, seed=1)
    whole = probe_gradients(lm, 1, batch, probes)
    each = probe_gradients(lm, 1, batch, probes, per_position=True)
    assert each.shape == (2, 3, batch.ids.shape[1], 32)
    assert torch.allclose(each.sum(2), whole, atol=1e-10)
    pad = ~batch.mask.bool()
    assert pad.any()
    assert float(each[:, pad].abs().max()) == 0.0  # padding moves nothing
    assert not batch.pair[:, 0].any() and batch.pair[batch.mask.bool() & batch.probe].all()


def test_prompt_pairs_skip_the_chat_header():
    lm = tiny_model("qwen2", 32, 3, seed=0)
    batch = prompt_batch(lm.tokenizer, ["Is the sky blue?", "Name a prime number below ten."])
    lengths = batch.mask.sum(1)
    header = int((~batch.pair[0]).nonzero().max()) + 1 if (~batch.pair[0]).any() else 0
    assert header >= 1 and bool(batch.pair[0, header:int(lengths[0])].all())
    assert not (batch.pair & ~batch.mask.bool()).any()


def test_per_position_pairs_are_counted_and_split_by_window():
    lm = tiny_model("qwen2", 32, 3, seed=5)
    batches = [text_batch(lm.tokenizer, TEXTS, max_tokens=8) for _ in range(5)]
    gm = collect_gradient_moments(lm, lm, 1, 1, batches, draws=2, per_position=True)
    expected = sum(int(b.pair.sum()) for b in batches) * 2
    assert gm.info["pairs"] == expected == gm.half_a.count + gm.half_b.count + gm.val.count
    assert gm.val.count > 0 and gm.half_a.count > 0 and gm.half_b.count > 0
    fit = fit_effect_map(gm)
    v = torch.randn(5, 32, generator=torch.Generator().manual_seed(1))
    cos = torch.nn.functional.cosine_similarity(v @ fit.W.T, v, dim=1)
    assert float(cos.mean()) > 0.8
