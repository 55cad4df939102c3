"""Steer a GGUF model in llama.cpp (through llama-cpp-python) with a steering vector.

The control vector is applied in memory with ``llama_set_adapter_cvec``, the call behind
llama.cpp's ``--control-vector``: one float32 buffer of ``n_embd x (n_layer - 1)`` values in
which layer ``k`` sits at ``[(k - 1) * n_embd, k * n_embd)`` (llama.cpp keeps no slot for
layer 0). A GGUF file on disk goes through the same buffer, built the way llama.cpp's
``common_control_vector_load`` builds it (tensors times strength, summed over files), so the
two routes give the same numbers.

Conventions (measured, RESULTS.md "llama.cpp"):

* layer: llama.cpp adds ``direction.k`` to the output of its block ``k`` (0-based), which is
  steerbridge's layer ``k`` (output of decoder block ``k`` = HF ``hidden_states[k + 1]``).
  A one-layer experiment on Qwen2.5-Coder-1.5B confirms it (`evaluation.llamacpp_compare.
  layer_probe`, a random direction at alpha 0.5, 4 prompts, Pearson r of the logit changes over
  the vocabulary): ``direction.14`` vs transformers layer 13 / 14 / 15: r = 0.867 / **0.992** /
  0.831; ``direction.3``: 0.767 / **0.943** / 0.754; ``direction.26``: 0.919 / **0.998** /
  0.891. Layer 0 cannot be steered in llama.cpp (it keeps no slot for it).
* alpha: llama.cpp applies no scale, so the buffer holds ``alpha * v_hat * scale``, exactly the
  push ``steer(lm, vector, alpha)`` adds in transformers.

``llama_cpp`` is an optional dependency (``pip install 'steerbridge[llamacpp]'``), imported
only inside functions.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from steerbridge.errors import SteerbridgeError
from steerbridge.vectors.foreign import ModelIdentity
from steerbridge.vectors.vector import SteeringVector

INSTALL_HINT = "pip install 'steerbridge[llamacpp]'"


def require_llama_cpp() -> ModuleType:
    """The ``llama_cpp`` module, or a `SteerbridgeError` naming the install command."""
    try:
        import llama_cpp
    except ImportError as err:
        raise SteerbridgeError(
            f"llama.cpp support needs the llama-cpp-python package: {INSTALL_HINT} "
            "(it builds llama.cpp from source with cmake and a C++ compiler: several minutes)."
        ) from err
    return llama_cpp


def cvec_buffer(tensors: dict[int, np.ndarray], n_embd: int, n_layer: int) -> np.ndarray:
    """llama.cpp's control-vector buffer: layer ``k`` at ``[(k-1)*n_embd, k*n_embd)``."""
    buf = np.zeros((n_layer - 1) * n_embd, dtype=np.float32)
    for k, t in tensors.items():
        if not 1 <= k < n_layer:
            raise SteerbridgeError(f"llama.cpp steers layers 1..{n_layer - 1}; this vector has "
                                   f"layer {k}. Use a vector without it (vector.select).")
        arr = np.asarray(t, dtype=np.float32).reshape(-1)
        if arr.size != n_embd:
            raise SteerbridgeError(f"Layer {k} has {arr.size} values; the model's hidden size "
                                   f"is {n_embd}.")
        buf[(k - 1) * n_embd:k * n_embd] += arr
    return buf


def vector_tensors(vector: SteeringVector, alpha: float) -> dict[int, np.ndarray]:
    """``{layer: alpha * v_hat * scale}``: what `export.save_gguf` writes at that alpha."""
    from steerbridge.vectors.export import gguf_tensor

    return {k: gguf_tensor(vector, k, alpha) for k in vector.layers}


def file_tensors(paths: Sequence[tuple[str | Path, float]]) -> dict[int, np.ndarray]:
    """Sum of ``strength * direction.k`` over GGUF control-vector files (llama.cpp's loader)."""
    import gguf

    total: dict[int, np.ndarray] = {}
    for path, strength in paths:
        try:
            reader = gguf.GGUFReader(str(path))
        except Exception as err:  # the reader raises plain ValueError/struct errors
            raise SteerbridgeError(f"{path} is not a readable GGUF file ({err}).") from err
        for t in reader.tensors:
            if not t.name.startswith("direction."):
                continue
            k = int(t.name.split(".", 1)[1])
            arr = np.asarray(t.data, dtype=np.float32).reshape(-1) * np.float32(strength)
            total[k] = total[k] + arr if k in total else arr
    if not total:
        raise SteerbridgeError(f"No direction.<layer> tensors in {[str(p) for p, _ in paths]}.")
    return total


class LlamaCppModel:
    """A GGUF model in llama.cpp, with a settable control vector, logits and greedy decoding.

    Token ids come from the caller (steerbridge tokenises with the HF tokenizer of the same
    model, so llama.cpp and transformers see identical tokens).
    """

    def __init__(self, path: str | Path, name: str | None = None, n_ctx: int = 2048,
                 n_threads: int | None = None, verbose: bool = False) -> None:
        llama_cpp = require_llama_cpp()
        p = Path(path)
        if not p.is_file():
            raise SteerbridgeError(f"GGUF model file {p} does not exist.")
        self.path = p
        self.name = name or p.name
        self._lib = llama_cpp
        self.llm: Any = llama_cpp.Llama(model_path=str(p), n_ctx=n_ctx, n_threads=n_threads,
                                        n_threads_batch=n_threads, logits_all=False,
                                        verbose=verbose)
        self.hidden_size = int(llama_cpp.llama_model_n_embd(self.llm.model))
        self.num_layers = int(llama_cpp.llama_model_n_layer(self.llm.model))
        self.n_vocab = int(self.llm.n_vocab())
        self.architecture = str(self.llm.metadata.get("general.architecture", ""))
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._buf: np.ndarray | None = None  # keeps the applied buffer alive

    def identity(self) -> ModelIdentity:
        size = self.path.stat().st_size
        return ModelIdentity(self.name, self.architecture, self.hidden_size, self.num_layers,
                             f"gguf:{self.path.name}:{size}")

    # ----------------------------------------------------------------- control vector

    def set_control(self, tensors: dict[int, np.ndarray] | None) -> None:
        """Apply ``{layer: tensor}`` as the control vector (None clears it)."""
        lib = self._lib
        if not tensors:
            rc = lib.llama_set_adapter_cvec(self.llm.ctx, None, 0, self.hidden_size, -1, -1)
            self._buf = None
        else:
            buf = cvec_buffer(tensors, self.hidden_size, self.num_layers)
            ptr = buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            rc = lib.llama_set_adapter_cvec(self.llm.ctx, ptr, buf.size, self.hidden_size,
                                            1, self.num_layers)
            self._buf = buf
        if rc != 0:
            raise SteerbridgeError(f"llama.cpp refused the control vector (code {rc}); is its "
                                   f"size {self.hidden_size} per layer?")

    @contextmanager
    def steered(self, vector: SteeringVector | None, alpha: float) -> Iterator[None]:
        """Inside the block every evaluation adds ``alpha * v_hat * scale`` at the layers."""
        if vector is None or alpha == 0:
            yield
            return
        if vector.hidden_size != self.hidden_size:
            raise SteerbridgeError(
                f"Vector from {vector.model_name} has hidden size {vector.hidden_size} but "
                f"{self.name} has {self.hidden_size}. Transfer it through a bridge first."
            )
        self.set_control(vector_tensors(vector, float(alpha)))
        try:
            yield
        finally:
            self.set_control(None)

    @contextmanager
    def with_files(self, files: Sequence[tuple[str | Path, float]]) -> Iterator[None]:
        """Like ``--control-vector-scaled FILE:S,...``: the files' tensors × S, summed."""
        self.set_control(file_tensors(files))
        try:
            yield
        finally:
            self.set_control(None)

    # ------------------------------------------------------------------- evaluation

    def _run(self, ids: Sequence[int]) -> None:
        self.llm.reset()  # the KV cache was computed with another control vector: drop it
        self.llm.eval(list(ids))

    def _last(self) -> np.ndarray:
        ptr = self._lib.llama_get_logits_ith(self.llm.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).copy()

    def last_logits(self, ids: Sequence[int]) -> np.ndarray:
        """Next-token logits [n_vocab] after the prompt `ids`, under the current control."""
        if not ids:
            raise SteerbridgeError("Empty prompt: nothing to evaluate.")
        self._run(ids)
        return self._last()

    def greedy(self, ids: Sequence[int], max_new_tokens: int = 40) -> list[int]:
        """Greedy continuation of `ids` (stops at an end-of-generation token)."""
        self._run(ids)
        out: list[int] = []
        for _ in range(max_new_tokens):
            tok = int(np.argmax(self._last()))
            if self._lib.llama_vocab_is_eog(self._vocab, tok):
                break
            out.append(tok)
            self.llm.eval([tok])
        return out

    def close(self) -> None:
        close = getattr(self.llm, "close", None)
        if callable(close):
            close()


# --------------------------------------------------------------------- vector ↔ model


def for_model(vector: SteeringVector, model: LlamaCppModel, alias: str | None = None,
              allow_other: bool = False) -> SteeringVector:
    """`vector` checked for `model`; a foreign control vector is adopted (hint + size checked).

    A steerbridge vector must have the model's hidden size and layers 1..n_layer-1, and name the
    same model: its alias (`alias`), the GGUF file, or a path to it. `allow_other` accepts a
    vector of another model with the same hidden size (as ``steer(check_model=False)``).
    """
    from steerbridge.vectors import foreign

    if foreign.is_foreign(vector):
        return foreign.adopt(vector, model.identity())
    if vector.hidden_size != model.hidden_size:
        raise SteerbridgeError(
            f"Vector from {vector.model_name} has hidden size {vector.hidden_size} but "
            f"{model.name} has {model.hidden_size}. Transfer it through a bridge first."
        )
    bad = [k for k in vector.layers if not 1 <= k < model.num_layers]
    if bad:
        raise SteerbridgeError(f"llama.cpp steers layers 1..{model.num_layers - 1}; the vector "
                               f"has {bad}. Select other layers (vector.select).")
    names = {model.name, model.path.name, str(model.path)} | ({alias} if alias else set())
    if not allow_other and vector.model_name not in names \
            and Path(vector.model_name).name != model.path.name:
        raise SteerbridgeError(
            f"The vector was made for {vector.model_name!r} but the model is {model.name!r} "
            f"({model.path.name}). Use a vector extracted on (or transferred to) this model, or "
            "pass --allow-other-model if they are the same weights under another name."
        )
    return vector


def hf_tokenizer(path: str | Path, alias: str | None = None) -> Any:
    """The HF tokenizer of the GGUF model: the zoo's converted copy, or read from the GGUF."""
    import os

    from transformers import AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if alias is not None:
        from steerbridge.models import zoo

        if zoo.is_installed(alias):
            return AutoTokenizer.from_pretrained(str(zoo.model_path(alias)),
                                                 local_files_only=True)
    p = Path(path)
    return AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name, local_files_only=True)
