"""Every stage keeps its tensors on the model's device, checked on a CPU-only machine.

On a GPU the bugs look like "Expected all tensors to be on the same device": a mask, a sum or
a `Linear` made on the default device (the CPU) meets a model's CUDA tensors. Here torch's
default device is set to ``meta`` while the models stay on the CPU: a tensor created without
naming its device lands on meta, and mixing it with the model's tensors fails the same way.
So these runs pass only if every tensor follows a model, a state, or an explicit device.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from steerbridge.bridge.fitting import fit_bridge
from steerbridge.bridge.transfer import transfer
from steerbridge.models.batching import pad_batch
from steerbridge.models.tiny import tiny_pair
from steerbridge.run import config, pipeline
from steerbridge.vectors import datasets, steering
from steerbridge.vectors.extract import extract

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def foreign_default() -> Iterator[None]:
    torch.set_default_device("meta")
    try:
        yield
    finally:
        torch.set_default_device(None)


@pytest.fixture(scope="module")
def pair():
    return tiny_pair()


def test_the_fixture_catches_a_tensor_made_on_the_default_device(pair, foreign_default) -> None:
    src, _ = pair
    stray = torch.ones(3)  # what a forgotten device= makes
    assert stray.device.type == "meta"
    with pytest.raises((RuntimeError, NotImplementedError)):
        (stray + src.model.model.embed_tokens.weight[0, :3]).sum().item()
    ids, mask = pad_batch([[1, 2, 3]], 0)  # the padding code names the CPU on purpose
    assert ids.device.type == mask.device.type == "cpu"


def _items(n: int, seed: int) -> list[dict[str, str]]:
    words = ["lovely", "awful", "sunny", "gloomy", "kind", "rude"]
    out = []
    for i in range(n):
        m, nm = ("A", "B") if i % 2 else ("B", "A")
        out.append({"question": f"Is it {words[(i + seed) % 6]} today?\n\n(A) Yes\n(B) No\n#{i}",
                    "answer_matching_behavior": m, "answer_not_matching_behavior": nm})
    return out


def test_whole_pipeline_with_a_foreign_default_device(pair, tmp_path: Path,
                                                      foreign_default) -> None:
    """Bridge (with the layer-pair screen), vectors, transfer, A/B sweep with the source
    reference, side effects, generations and the report."""
    (tmp_path / "g.json").write_text(json.dumps(_items(10, 0)))
    (tmp_path / "t.json").write_text(json.dumps(_items(6, 1)))
    (tmp_path / "o.json").write_text(json.dumps(["How is the weather?"]))
    cfg = config.from_dict({
        "models": {"source": "tiny-src", "target": "tiny-tgt", "dtype": "float32",
                   "device": "cpu"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 1500,
                   "screen_pairs": True, "screen_tokens": 400},
        "behaviours": [{"name": "weather", "generate": str(tmp_path / "g.json"),
                        "test": str(tmp_path / "t.json"), "open_ended": str(tmp_path / "o.json")}],
        "evaluation": {"alphas": [-2.0, 2.0], "random_seeds": [0], "n_boot": 20,
                       "side_effects_tokens": 48, "generations": 1, "generation_tokens": 4},
        "run": {"dir": str(tmp_path / "run")},
    })
    res = pipeline.run(cfg, hooks=pipeline.Hooks(), models=pair)
    beh = res["behaviours"]["weather"]
    assert not beh["errors"], beh["errors"]
    assert "side_effects" in beh and beh["generations"] and res["pairs"]["scores"]
    assert (tmp_path / "run" / "report.html").exists()


def test_sgd_anchors_and_probe_with_a_foreign_default_device(pair, foreign_default) -> None:
    src, tgt = pair
    sgd = fit_bridge(src, tgt, "builtin", 1, 2, method="sgd", max_tokens=800, window=32,
                     progress=False, sgd_options={"epochs": 1, "batch_tokens": 64})
    assert sgd.W.device.type == "cpu" and torch.isfinite(sgd.W).all()
    gen, _ = datasets.builtin("caution")
    anchored = fit_bridge(src, tgt, "builtin", 1, 2, max_tokens=800, window=32, progress=False,
                          anchors={"caution": gen[:4]})
    vec = extract(src, gen[:6], [1], method="logistic_probe", scales={1: 1.0})
    moved = transfer(anchored, vec)
    assert moved.directions[2].device.type == "cpu"
    out = steering.generate(tgt, ["Hi"], moved, 1.0, max_new_tokens=2)
    assert len(out) == 1
