"""steerbridge: carry steering vectors from a small language model to a large one.

Hidden state of layer ``l`` means the output of decoder block ``l`` (0-based), i.e. Hugging
Face ``hidden_states[l + 1]``. This convention holds everywhere in the package.

The flat face below names the steps of the job; each is imported on first use, so
``import steerbridge`` stays cheap and the CLI does not pay for what it does not run::

    from steerbridge import load, fit_bridge, extract, transfer, evaluate_behaviour
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from steerbridge.errors import SteerbridgeError
from steerbridge.version import __version__

# public name -> (module, attribute): the stack bottom to top
_FACE: dict[str, tuple[str, str]] = {
    "load": ("steerbridge.models.loading", "load"),
    "LoadedModel": ("steerbridge.models.loading", "LoadedModel"),
    "load_dataset": ("steerbridge.vectors.datasets", "load"),
    "builtin_dataset": ("steerbridge.vectors.datasets", "builtin"),
    "extract": ("steerbridge.vectors.extract", "extract"),
    "SteeringVector": ("steerbridge.vectors.vector", "SteeringVector"),
    "random_like": ("steerbridge.vectors.vector", "random_like"),
    "steer": ("steerbridge.vectors.steering", "steer"),
    "generate": ("steerbridge.vectors.steering", "generate"),
    "load_vector": ("steerbridge.vectors.export", "load"),
    "save_gguf": ("steerbridge.vectors.export", "save_gguf"),
    "tokenize": ("steerbridge.bridge.corpus", "tokenize"),
    "load_corpus": ("steerbridge.bridge.corpus", "load_corpus"),
    "fit_bridge": ("steerbridge.bridge.fitting", "fit_bridge"),
    "Bridge": ("steerbridge.bridge.affine", "Bridge"),
    "transfer": ("steerbridge.bridge.transfer", "transfer"),
    "fidelity": ("steerbridge.bridge.fidelity", "fidelity"),
    "evaluate_behaviour": ("steerbridge.evaluation.ab", "evaluate_behaviour"),
    "BehaviourSummary": ("steerbridge.evaluation.results", "BehaviourSummary"),
    "load_config": ("steerbridge.run.config", "load"),
    "demo_config": ("steerbridge.run.config", "demo_config"),
    "run": ("steerbridge.run.pipeline", "run"),
}

__all__ = [
    "SteerbridgeError",
    "__version__",
    "load",
    "LoadedModel",
    "load_dataset",
    "builtin_dataset",
    "extract",
    "SteeringVector",
    "random_like",
    "steer",
    "generate",
    "load_vector",
    "save_gguf",
    "tokenize",
    "load_corpus",
    "fit_bridge",
    "Bridge",
    "transfer",
    "fidelity",
    "evaluate_behaviour",
    "BehaviourSummary",
    "load_config",
    "demo_config",
    "run",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    if name in _FACE:
        module, attr = _FACE[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'steerbridge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # what static checkers and editors see
    from steerbridge.bridge.affine import Bridge
    from steerbridge.bridge.corpus import load_corpus, tokenize
    from steerbridge.bridge.fidelity import fidelity
    from steerbridge.bridge.fitting import fit_bridge
    from steerbridge.bridge.transfer import transfer
    from steerbridge.evaluation.ab import evaluate_behaviour
    from steerbridge.evaluation.results import BehaviourSummary
    from steerbridge.models.loading import LoadedModel, load
    from steerbridge.run.config import demo_config
    from steerbridge.run.config import load as load_config
    from steerbridge.run.pipeline import run
    from steerbridge.vectors.datasets import builtin as builtin_dataset
    from steerbridge.vectors.datasets import load as load_dataset
    from steerbridge.vectors.export import load as load_vector
    from steerbridge.vectors.export import save_gguf
    from steerbridge.vectors.extract import extract
    from steerbridge.vectors.steering import generate, steer
    from steerbridge.vectors.vector import SteeringVector, random_like
