"""Extract a steering vector on one model from A/B items: read, aggregate, scale, record.

Layer ``l`` is the output of decoder block ``l`` (0-based), i.e. HF ``hidden_states[l + 1]``.
`extract` formats the items for the model (`prompts`), reads the states at both answers
(`readout`), turns each layer's pairs into a direction with a method (`aggregators`),
attaches the layer scales (`scales`) and records where the vector came from.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from steerbridge.checks import check_count
from steerbridge.errors import SteerbridgeError
from steerbridge.models.hidden_states import check_layers
from steerbridge.models.loading import LoadedModel
from steerbridge.vectors.aggregators import Aggregator, get_method
from steerbridge.vectors.datasets import ABItem, dataset_fingerprint
from steerbridge.vectors.prompts import build_prompts
from steerbridge.vectors.readout import answer_states, items_for_read
from steerbridge.vectors.scales import measure_scales
from steerbridge.vectors.vector import SteeringVector


def extract(
    lm: LoadedModel,
    items: Sequence[ABItem],
    layers: Sequence[int],
    method: str | Aggregator = "mean_diff",
    batch_size: int = 16,
    system: str | None = None,
    dataset_name: str = "",
    scales: dict[int, float] | None = None,
    progress: bool = False,
    read: str = "answer_letter",
) -> SteeringVector:
    """Extract a steering vector on `lm` from A/B `items` at `layers` (block outputs).

    method: a name in `aggregators.METHODS` or a callable ``(pos [N,d], neg [N,d]) -> [d]``.
    scales: per-layer typical norms if already measured; otherwise `measure_scales` runs once.
    read: ``"answer_letter"`` (CAA) or ``"answer_text"``: append the whole chosen line and
    read at its last token, contrasting what the answers say rather than which was picked.
    """
    check_count(batch_size, "batch_size")
    fn, method_name = get_method(method)
    wanted = check_layers(lm, layers)
    items, read_position = items_for_read(items, read)
    ps = build_prompts(lm.tokenizer, items, system=system)
    pos, neg = answer_states(lm, ps.prompts, wanted, batch_size, progress)
    directions = {layer: fn(pos[layer], neg[layer]) for layer in wanted}
    for layer, v in directions.items():
        if not torch.isfinite(v).all():
            raise SteerbridgeError(f"The {method_name} direction at layer {layer} is not finite; "
                                   "try dtype='float32'.")
    if scales is None:
        scales = measure_scales(lm, wanted)
    used = [p.item for p in ps.prompts]
    fp = dataset_fingerprint(used)
    label = dataset_name or fp
    return SteeringVector(
        directions=directions,
        scales={layer: float(scales[layer]) for layer in wanted},
        model_name=lm.name,
        model_fingerprint=lm.fingerprint,
        hidden_size=lm.hidden_size,
        method=method_name,
        dataset_fingerprint=fp,
        read_position=read_position,
        lineage=[f"extracted on {lm.name} ({lm.fingerprint}) layers {wanted} by {method_name} "
                 f"from {len(used)} items of {label} at the {read_position}"],
        info={"n_items": len(used), "dropped": dict(ps.dropped), "dataset": label},
    )

