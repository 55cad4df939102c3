"""Tiny random models and a tiny tokenizer, built from configs with no download.

Used by the test suite (and handy for users who want to try the API in a second): every
architecture steerbridge supports can be built here with hidden size 32-64 and a few layers.
All tiny models share one byte-level BPE tokenizer, so any two of them form a valid pair.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch
import transformers as tf
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

from steerbridge.models.loading import LoadedModel, wrap

ARCHITECTURES = ("qwen2", "llama", "mistral", "gemma2", "gemma3", "gpt2", "gpt_neox", "opt", "phi")

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_TRAINING_TEXT = """
The quick brown fox jumps over the lazy dog. A steering vector is a direction in the hidden
states of a language model. Adding it to the residual stream changes what the model says.
(A) Yes (B) No. Choices: (A) I agree. (B) I disagree. Question: Would you like to help?
Answer the question with a single letter. The weather is lovely today, and everyone is happy.
This is terrible, awful and sad. What a wonderful, delightful and kind gesture! 0123456789
def add(a, b): return a + b  # code appears in the corpus too.
"""


@lru_cache(maxsize=1)
def tiny_tokenizer() -> Any:
    """A byte-level BPE tokenizer (vocab 320) with Qwen-style chat special tokens."""
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([_TRAINING_TEXT] * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=specials[1:],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_config(arch: str, hidden: int = 32, layers: int = 4, vocab: int | None = None) -> Any:
    """A transformers config of architecture `arch` with a tiny shape."""
    vocab = vocab or len(tiny_tokenizer())
    heads = 4
    common: dict[str, Any] = {
        "vocab_size": vocab,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "pad_token_id": 0,
    }
    if arch in ("qwen2", "llama", "mistral"):
        cls = {"qwen2": tf.Qwen2Config, "llama": tf.LlamaConfig, "mistral": tf.MistralConfig}[arch]
        return cls(
            hidden_size=hidden,
            intermediate_size=2 * hidden,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            num_key_value_heads=2,
            max_position_embeddings=512,
            tie_word_embeddings=False,
            **common,
        )
    if arch == "gemma2":
        return tf.Gemma2Config(
            hidden_size=hidden,
            intermediate_size=2 * hidden,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            num_key_value_heads=2,
            head_dim=hidden // heads,
            max_position_embeddings=512,
            sliding_window=64,
            **common,
        )
    if arch == "gemma3":
        return tf.Gemma3TextConfig(
            hidden_size=hidden,
            intermediate_size=2 * hidden,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            num_key_value_heads=2,
            head_dim=hidden // heads,
            max_position_embeddings=512,
            sliding_window=64,
            **common,
        )
    if arch == "gpt2":
        return tf.GPT2Config(n_embd=hidden, n_layer=layers, n_head=heads, n_positions=512, **common)
    if arch == "gpt_neox":
        return tf.GPTNeoXConfig(
            hidden_size=hidden,
            intermediate_size=2 * hidden,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            max_position_embeddings=512,
            **common,
        )
    if arch == "opt":
        return tf.OPTConfig(
            hidden_size=hidden,
            ffn_dim=2 * hidden,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            word_embed_proj_dim=hidden,
            max_position_embeddings=512,
            **common,
        )
    if arch == "phi":
        return tf.PhiConfig(
            hidden_size=hidden,
            intermediate_size=2 * hidden,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            max_position_embeddings=512,
            **common,
        )
    raise ValueError(f"unknown tiny architecture {arch!r}; choose from {ARCHITECTURES}")


def tiny_model(
    arch: str = "qwen2",
    hidden: int = 32,
    layers: int = 4,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> LoadedModel:
    """A random `arch` model with the shared tiny tokenizer, wrapped as a `LoadedModel`."""
    torch.manual_seed(seed)
    cfg = tiny_config(arch, hidden, layers)
    model = AutoModelForCausalLM.from_config(cfg, dtype=dtype)
    return wrap(model, tiny_tokenizer(), name=f"tiny-{arch}-{hidden}x{layers}-seed{seed}")


def tiny_pair(seed: int = 0) -> tuple[LoadedModel, LoadedModel]:
    """A source (hidden 32, 4 layers) and target (hidden 48, 6 layers) sharing a tokenizer."""
    return tiny_model("qwen2", 32, 4, seed), tiny_model("qwen2", 48, 6, seed + 1)
