"""Layer scales: the typical token norm of a layer, the unit steering strengths are given in.

``scales[l]`` is the median L2 norm of layer ``l``'s hidden states (the output of decoder block
``l``, HF ``hidden_states[l + 1]``) over one fixed plain calibration text, position 0 left
out. Steering adds ``alpha * v_hat * scale``, so one ``alpha`` is a comparable push in any
model and layer. The text is the same for every model, so scales compare across models.
"""

from __future__ import annotations

from collections.abc import Sequence

from steerbridge.errors import SteerbridgeError
from steerbridge.models.hidden_states import collect
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.datasets import builtin, builtin_names

# Fixed, so that adding a built-in behaviour does not move every layer scale (and result).
CALIBRATION_BEHAVIOURS = ("caution", "formal-register", "positive-tone")


def calibration_texts(n: int = 30) -> list[str]:
    """The fixed plain text on which layer scales are measured: questions of the built-ins.

    Plain text (no chat template) so that template tokens with outlier norms do not enter;
    the same text for every model, so scales are comparable across models.
    """
    texts: list[str] = []
    names = [b for b in CALIBRATION_BEHAVIOURS if b in builtin_names()]
    per = max(1, n // len(names))
    for name in names:
        gen, _ = builtin(name)
        picked = gen[:: max(1, len(gen) // per)][:per]
        texts += [it.question.split("\n\nChoices:")[0] for it in picked]
    return texts


def measure_scales(lm: LoadedModel, layers: Sequence[int], texts: Sequence[str] | None = None,
                   batch_size: int = 16) -> dict[int, float]:
    """Median L2 norm of the hidden states at `layers` over `texts` (position 0 left out)."""
    texts = list(texts) if texts is not None else calibration_texts()
    windows = [lm.tokenizer.encode(t, add_special_tokens=False) for t in texts]
    windows = [w for w in windows if len(w) > 1]
    if not windows:
        raise SteerbridgeError("No calibration text with at least two tokens to measure scales.")
    got = collect(lm, windows, layers, positions="all", batch_size=batch_size,
                  progress=False)
    return {layer: float(h.norm(dim=-1).median()) for layer, h in got.states.items()}
