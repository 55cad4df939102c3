"""Probe gradients: how a vector added at one layer changes a model's log-likelihood of probes.

For a window ``x`` and probe tokens ``y_t`` (sampled from the *source* model's own predictive
distribution at the probed positions: the Fisher geometry), ``g = ∂/∂δ Σ_t log p(y_t | x, δ)``
at ``δ = 0``, where one vector ``δ`` is added to the output of block `layer` at every position
of the window. One forward pass serves every probe draw (one backward each), and each row of a
batch has its own ``δ``, so a batch of B windows with K draws yields B·K gradients.

Probed positions: every real position but the first (an attention sink) for plain text; only
the last position (where the answer comes next) for chat-formatted prompts; every position that
predicts an answer token for a prompt followed by one of its candidate answers (`answer_batch`:
text answers, whose effect is spread over the answer's tokens).

With ``per_position=True`` each position ``s`` gets its own ``δ_s`` instead: the same forward and
backward passes give one gradient per *position* (a map that carries interventions carries one
made at a single position too), so a window of T tokens yields up to T pairs per draw at the
cost of one. `ProbeBatch.pair` marks the positions whose gradients become pairs (real tokens past
the attention sink and past a chat template's fixed header).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from steerbridge.errors import SteerbridgeError
from steerbridge.models import continuations
from steerbridge.models.batching import pad_batch, pad_id, position_ids_from_mask
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.prompts import chat_prompt, label_text


@dataclass(frozen=True)
class ProbeBatch:
    """Token ids [B, T] (right-padded; `answer_batch` pads left), attention mask [B, T],
    probed positions [B, T] and the positions whose per-position gradients become pairs
    [B, T]."""

    ids: Tensor
    mask: Tensor
    probe: Tensor
    pair: Tensor


def text_batch(tokenizer: Any, texts: Sequence[str], max_tokens: int = 48) -> ProbeBatch:
    """Plain text windows, probed at every real position but the first."""
    seqs = [list(tokenizer.encode(t, add_special_tokens=False))[:max_tokens] for t in texts]
    return _batch(tokenizer, seqs, last_only=False)


def windows_batch(tokenizer: Any, seqs: Sequence[Sequence[int]], skips: Sequence[int] = (),
                  max_tokens: int = 48) -> ProbeBatch:
    """Token windows (e.g. `Windows.ids`), probed from position ``max(1, skip)`` on (the
    corpus's chat windows skip their repeated template header)."""
    cut = [list(s)[:max_tokens] for s in seqs]
    b = _batch(tokenizer, cut, last_only=False)
    for i, k in enumerate(skips):
        b.probe[i, :max(1, int(k))] = False
        b.pair[i, :max(1, int(k))] = False
    return b


def prompt_batch(tokenizer: Any, questions: Sequence[str], system: str | None = None,
                 max_tokens: int = 256) -> ProbeBatch:
    """Chat-formatted questions with the assistant turn open, probed at the last position."""
    seqs = [list(tokenizer.encode(chat_prompt(tokenizer, q, system),
                                  add_special_tokens=False))[-max_tokens:] for q in questions]
    b = _batch(tokenizer, seqs, last_only=True)
    empty = list(tokenizer.encode(chat_prompt(tokenizer, "", system), add_special_tokens=False))
    for i, s in enumerate(seqs):
        b.pair[i, :max(1, _common_prefix(s, empty))] = False
    return b


def answer_batch(tokenizer: Any, questions: Sequence[str], answers: Sequence[Sequence[str]],
                 system: str | None = None, max_tokens: int = 256) -> ProbeBatch:
    """Each question's chat prompt followed by each of its candidate answers, one row per
    (question, answer), probed at the positions that predict the answer's tokens.

    Left-padded (every answer ends at the last column, as in
    `steerbridge.evaluation.text_scores`), so the probed columns are the last few and the
    logits of the rest need not be computed. Answers are tokenized apart from the prompt, as
    the A/B scoring does.
    """
    if len(answers) != len(questions):
        raise SteerbridgeError(f"answer_batch: {len(questions)} questions but {len(answers)} "
                               "answer lists; give one list of candidate answers per question.")
    seqs, spans = [], []
    for q, cands in zip(questions, answers, strict=True):
        prompt = list(tokenizer.encode(chat_prompt(tokenizer, q, system),
                                       add_special_tokens=False))
        for a in cands:
            ans = list(tokenizer.encode(label_text(a), add_special_tokens=False))
            if not ans:
                continue
            keep = max(1, max_tokens - len(ans))
            seqs.append(prompt[-keep:] + ans)
            spans.append(len(ans))
    if not seqs:
        raise SteerbridgeError("answer_batch: no candidate answer has any tokens.")
    ids, mask = pad_batch(seqs, pad_id(tokenizer), "left")
    width = ids.shape[1]
    probe = torch.zeros_like(mask, dtype=torch.bool)
    for i, n in enumerate(spans):  # columns width-n-1 .. width-2 predict the n answer tokens
        probe[i, width - n - 1:width - 1] = True
    return ProbeBatch(ids, mask, probe, probe.clone())


def answer_continuations(tokenizer: Any, questions: Sequence[str],
                         answers: Sequence[Sequence[str]], system: str | None = None,
                         max_tokens: int = 256) -> continuations.Encoded:
    """`answer_batch`'s prompts and answers for `models.continuations` (each prompt once, its
    answers on its cache); the prompt keeps its last ``max_tokens − longest answer`` tokens."""
    if len(answers) != len(questions):
        raise SteerbridgeError(f"{len(questions)} questions but {len(answers)} answer lists; "
                               "give one list of candidate answers per question.")
    prompts, rows = [], []
    for q, cands in zip(questions, answers, strict=True):
        ans = [list(tokenizer.encode(label_text(a), add_special_tokens=False)) for a in cands]
        if not all(ans):
            raise SteerbridgeError(f"An answer to {q[:60]!r} has no tokens: every candidate "
                                   "answer needs some text.")
        prompt = list(tokenizer.encode(chat_prompt(tokenizer, q, system),
                                       add_special_tokens=False))
        prompts.append(prompt[-max(1, max_tokens - max(map(len, ans))):])
        rows.append(ans)
    return continuations.encode(prompts, rows, pad_id(tokenizer))


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the shared prefix of two token lists (a chat template's fixed header)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return min(n, len(a) - 1)


def _batch(tokenizer: Any, seqs: list[list[int]], last_only: bool) -> ProbeBatch:
    if not seqs or any(len(s) < 2 for s in seqs):
        raise SteerbridgeError("Every probe window needs at least two tokens.")
    ids, mask = pad_batch(seqs, pad_id(tokenizer), "right")
    probe = mask.bool().clone()
    probe[:, 0] = False
    pair = probe.clone()
    if last_only:
        lengths = mask.sum(1)
        probe = torch.zeros_like(probe)
        probe[torch.arange(len(seqs)), lengths - 1] = True
    return ProbeBatch(ids, mask, probe, pair)


def _logits(lm: LoadedModel, batch: ProbeBatch) -> Tensor:
    ids, mask = batch.ids.to(lm.device), batch.mask.to(lm.device)
    out = lm.model(input_ids=ids, attention_mask=mask, position_ids=position_ids_from_mask(mask),
                   use_cache=False)
    return out.logits


@torch.no_grad()
def sample_probes(lm: LoadedModel, batch: ProbeBatch, draws: int, seed: int = 0) -> Tensor:
    """Probe tokens [draws, B, T] sampled from `lm`'s predictive distribution (0 off-probe)."""
    logp = torch.log_softmax(_logits(lm, batch).float(), dim=-1)
    g = torch.Generator(device=logp.device).manual_seed(seed)
    flat = logp[batch.probe.to(logp.device)].exp()  # [P, V]
    out = torch.zeros(draws, *batch.ids.shape, dtype=torch.long)
    for k in range(draws):
        out[k][batch.probe] = torch.multinomial(flat, 1, generator=g).squeeze(1).cpu()
    return out


def _plain_head(lm: LoadedModel) -> Tensor | None:
    """The unembedding [V, d] when logits are exactly ``h @ Wᵀ`` (no bias, no softcap)."""
    head = lm.model.get_output_embeddings()
    cfg = getattr(lm.model, "config", None)
    if head is None or getattr(head, "bias", None) is not None or \
            getattr(cfg, "final_logit_softcapping", None):
        return None
    w = getattr(head, "weight", None)
    return w if isinstance(w, Tensor) else None


def probe_gradients(lm: LoadedModel, layer: int, batch: ProbeBatch, probes: Tensor,
                    analytic_head: bool = True, per_position: bool = False) -> Tensor:
    """``∂ Σ_t log p(y_t) / ∂δ`` for each draw and row: float64 [draws, B, hidden]
    ([draws, B, T, hidden] with `per_position`: one ``δ_s`` per position).

    With a plain linear head the log-softmax gradient is written out,
    ``∂ log p(y) / ∂h = W[y] − pᵀW``, so each draw backpropagates only through the blocks
    after `layer` (not the vocabulary-sized head): one forward, one head, K tail backwards.
    """
    lm.check_layer(layer)
    n_rows = batch.ids.shape[0]
    work = torch.float64 if lm.dtype == torch.float64 else torch.float32
    width = batch.ids.shape[1] if per_position else 1
    delta = torch.zeros(n_rows, width, lm.hidden_size, device=lm.device, dtype=work,
                        requires_grad=True)

    def hook(_m: Any, _a: Any, output: Any) -> Any:
        h = output[0] if isinstance(output, tuple) else output
        new = h + delta.to(h.dtype)
        return (new, *output[1:]) if isinstance(output, tuple) else new

    head = _plain_head(lm) if analytic_head else None
    handle = lm.layers[layer].register_forward_hook(hook)
    try:
        with torch.enable_grad():
            if head is not None:
                return _analytic(lm, batch, probes, delta, head, work, per_position)
            logp = torch.log_softmax(_logits(lm, batch).to(work), dim=-1)
            where = batch.probe.to(logp.device).to(work)
            vocab = logp.shape[-1]
            grads = []
            for k in range(probes.shape[0]):
                y = probes[k].to(logp.device).clamp(max=vocab - 1)
                ll = (logp.gather(-1, y.unsqueeze(-1)).squeeze(-1) * where).sum()
                (g,) = torch.autograd.grad(ll, delta, retain_graph=k < probes.shape[0] - 1)
                grads.append(_shape(g, per_position))
    finally:
        handle.remove()
    return torch.stack(grads)


def _analytic(lm: LoadedModel, batch: ProbeBatch, probes: Tensor, delta: Tensor, head: Tensor,
              work: torch.dtype, per_position: bool) -> Tensor:
    ids, mask = batch.ids.to(lm.device), batch.mask.to(lm.device)
    out = lm.model(input_ids=ids, attention_mask=mask, position_ids=position_ids_from_mask(mask),
                   use_cache=False, output_hidden_states=True, logits_to_keep=1)
    h = out.hidden_states[-1]  # after the final norm: logits = h @ headᵀ
    where = batch.probe.to(lm.device)
    w = head.detach().to(work)
    with torch.no_grad():
        hp = h.detach()[where].to(work)  # [P, d]
        p = torch.softmax(hp @ w.T, dim=-1)
        mean_row = p @ w  # [P, d]
    grads = []
    for k in range(probes.shape[0]):
        cot = torch.zeros_like(h)
        y = probes[k].to(lm.device)[where]
        cot[where] = (w[y] - mean_row).to(h.dtype)
        (g,) = torch.autograd.grad(h, delta, grad_outputs=cot,
                                   retain_graph=k < probes.shape[0] - 1)
        grads.append(_shape(g, per_position))
    return torch.stack(grads)


def _shape(g: Tensor, per_position: bool) -> Tensor:
    return (g if per_position else g.squeeze(1)).double().cpu()
