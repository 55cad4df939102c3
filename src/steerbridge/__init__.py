"""steerbridge: carry steering vectors from a small language model to a large one.

Hidden state of layer ``l`` means the output of decoder block ``l`` (0-based), i.e. Hugging
Face ``hidden_states[l + 1]``. This convention holds everywhere in the package.
"""

from steerbridge.errors import SteerbridgeError

__version__ = "0.1.0"
__all__ = ["SteerbridgeError", "__version__"]
