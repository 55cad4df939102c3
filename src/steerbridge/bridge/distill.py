"""Distilled vector: a target direction that reproduces the source's *change* under steering.

Start at a mapped vector ``u₀`` (``W·v``). The teacher on an unlabelled input ``x`` is the
target's own distribution tilted by the source's change,

    q_±(·|x) ∝ p_T(·|x) · exp(log p_S(·|x, ±α v) − log p_S(·|x)),

and the student is the target steered by ``±α · s_T · e^γ (û₀ + r)``. We minimise
``KL(q_± ‖ p_student)`` averaged over both signs and the probed positions (the answer position
of the behaviour's unlabelled prompts, or every token of each candidate answer after it for
text-scored behaviours; every position of neutral text) plus ``μ‖r‖²`` (the
penalty toward ``W·v``), with Adam over ``r`` (d_T) and the log-gain ``γ``. Only the target's
blocks after the steered layer run per step (prefix replay). Label-free by construction: it
receives `TransferInputs`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor

from steerbridge.bridge.method_inputs import TransferInputs
from steerbridge.bridge.probes import ProbeBatch, answer_batch, prompt_batch, text_batch
from steerbridge.errors import SteerbridgeError
from steerbridge.models.batching import position_ids_from_mask
from steerbridge.models.loading import LoadedModel
from steerbridge.models.replay import capture, replay_prefix
from steerbridge.vectors.steering import steer
from steerbridge.vectors.vector import SteeringVector


@dataclass(frozen=True)
class DistillSettings:
    alpha: float = 0.2
    steps: int = 40
    lr: float = 0.05
    penalty: float = 0.1
    max_prompts: int = 24
    max_neutral: int = 4
    neutral_tokens: int = 32


def logp_at_probes(lm: LoadedModel, batch: ProbeBatch) -> Tensor:
    """Log-probabilities [P, V] at the batch's probed positions (logits only from the first
    probed column on: a vocabulary-wide row per position is the largest tensor here)."""
    ids, mask = batch.ids.to(lm.device), batch.mask.to(lm.device)
    cols = batch.probe.any(0).nonzero()
    keep = ids.shape[1] - int(cols.min()) if len(cols) else ids.shape[1]
    out = lm.model(input_ids=ids, attention_mask=mask, position_ids=position_ids_from_mask(mask),
                   use_cache=False, logits_to_keep=keep)
    where = batch.probe[:, -keep:].to(lm.device)  # probed rows first: a float copy of every
    return torch.log_softmax(out.logits[:, -keep:][where].float(), dim=-1)  # logit is slow


def teacher_batches(inputs: TransferInputs, max_prompts: int, max_neutral: int,
                    neutral_tokens: int = 32) -> list[ProbeBatch]:
    """The probe batches a label-free method compares source and target on: the behaviour's
    prompts (followed by each candidate answer when `inputs.answers` has them, probed over the
    answer's tokens; else probed at the answer position) and plain neutral text."""
    tok = inputs.target.tokenizer
    batches = []
    if inputs.prompts and inputs.answers:
        batches.append(answer_batch(tok, inputs.prompts[:max_prompts],
                                    inputs.answers[:max_prompts]))
    elif inputs.prompts:
        batches.append(prompt_batch(tok, inputs.prompts[:max_prompts]))
    if inputs.neutral and max_neutral > 0:
        batches.append(text_batch(tok, inputs.neutral[:max_neutral], neutral_tokens))
    if not batches:
        raise SteerbridgeError("A label-free transfer method needs the behaviour's unlabelled "
                               "prompts or neutral text to compare the models on.")
    return batches


@torch.no_grad()
def source_change_teacher(inputs: TransferInputs, batch: ProbeBatch, alpha: float
                          ) -> tuple[Any, dict[int, Tensor]]:
    """The target's cached block output and ``log q_±`` [P, V] for both signs."""
    src, tgt, lt = inputs.source, inputs.target, int(inputs.bridge.target_layer)
    sink, handle = capture(tgt, lt)
    try:
        lp_t = logp_at_probes(tgt, batch)
    finally:
        handle.remove()
    lp_s0 = logp_at_probes(src, batch)
    v = min(lp_t.shape[-1], lp_s0.shape[-1])
    teach = {}
    for sign in (+1, -1):
        with steer(src, inputs.vector, sign * alpha):
            lp_s = logp_at_probes(src, batch)
        teach[sign] = torch.log_softmax(lp_t[:, :v] + lp_s[:, :v] - lp_s0[:, :v], dim=-1)
    return sink[0], teach


def distilled(inputs: TransferInputs, start: SteeringVector,
              settings: DistillSettings = DistillSettings()) -> SteeringVector:
    """Optimise a target vector from `start` (a mapped ``W·v``) to match the source's change."""
    s = settings
    tgt, lt = inputs.target, int(inputs.bridge.target_layer)
    if start.model_fingerprint != tgt.fingerprint or lt not in start.directions:
        raise SteerbridgeError("distilled() needs a start vector on the target at the bridge's "
                               "target layer (e.g. the state bridge's W·v).")
    batches = teacher_batches(inputs, s.max_prompts, s.max_neutral, s.neutral_tokens)
    data = [(b, *source_change_teacher(inputs, b, s.alpha)) for b in batches]
    u0 = start.unit(lt).to(torch.float32)
    r = torch.zeros_like(u0, requires_grad=True)
    gamma = torch.zeros((), requires_grad=True)
    opt = torch.optim.Adam([r, gamma], lr=s.lr)
    base = s.alpha * float(start.scales[lt])
    history = []
    for _ in range(s.steps):
        opt.zero_grad()
        total = torch.zeros(())
        for batch, cached, teach in data:
            for sign, logq in teach.items():
                delta = sign * base * gamma.exp() * (u0 + r)
                logp = _student(tgt, lt, batch, cached, delta)[:, :logq.shape[-1]]
                total = total + (logq.exp() * (logq - logp)).sum(-1).mean()
        loss = total / (2 * len(data)) + s.penalty * (r * r).sum()
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    u = (u0 + r).detach()
    gain = float(gamma.detach().exp())
    scale = float(start.scales[lt]) * gain * float(u.norm())
    cos0 = float(torch.nn.functional.cosine_similarity(u, u0, dim=0))
    return replace(start, directions={lt: (u / u.norm()).float()}, scales={lt: scale},
                   lineage=[*start.lineage, f"distilled ({s.steps} steps, alpha {s.alpha:g})"],
                   info={**start.info, "transfer": "distilled",
                         "distill": {"gain": gain, "cos_start": cos0, "loss_first": history[0],
                                     "loss_last": history[-1], **s.__dict__}})


def _student(lm: LoadedModel, layer: int, batch: ProbeBatch, cached: Any, delta: Tensor
             ) -> Tensor:
    def hook(_m: Any, _a: Any, output: Any) -> Any:
        h = output[0] if isinstance(output, tuple) else output
        new = h + delta.to(h.dtype)
        return (new, *output[1:]) if isinstance(output, tuple) else new

    with replay_prefix(lm, layer, cached):
        handle = lm.layers[layer].register_forward_hook(hook)
        try:
            with torch.enable_grad():
                return logp_at_probes(lm, batch)
        finally:
            handle.remove()
