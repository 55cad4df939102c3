"""Direction fidelity: cos(W·v, native) and its controls, against hand-written formulas."""

from __future__ import annotations

import math

import pytest
import torch

from steerbridge.bridge.fidelity import cosine, fidelity, source_direction
from steerbridge.vectors.vector import SteeringVector


def _cos(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double(), b.double()
    return float(a @ b / (a.norm() * b.norm()))


def test_cosine() -> None:
    assert cosine(torch.tensor([1.0, 0]), torch.tensor([1.0, 1])) == pytest.approx(2 ** -0.5)
    assert math.isnan(cosine(torch.zeros(2), torch.ones(2)))
    with pytest.raises(ValueError):
        cosine(torch.ones(3), torch.ones(4))


def test_fidelity_matches_the_formulas_the_scripts_used() -> None:
    g = torch.Generator().manual_seed(5)
    W = torch.randn(48, 32, generator=g)
    v, native = torch.randn(32, generator=g), torch.randn(48, generator=g)
    others = [torch.randn(32, generator=g) for _ in range(3)]
    other_nat = [torch.randn(48, generator=g) for _ in range(3)]
    f = fidelity(W, v, native, n_random=16, seed=0, other_sources=others,
                 other_natives=other_nat)
    w = W.double()
    assert f.cos == pytest.approx(_cos(w @ v.double(), native))
    assert f.norm_ratio == pytest.approx(float((w @ v.double()).norm() / v.norm()))
    rand = torch.randn(16, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert f.random_mapped == pytest.approx(sum(abs(_cos(w @ r, native)) for r in rand) / 16)
    assert f.others_mapped == pytest.approx(sum(_cos(w @ o.double(), native)
                                                for o in others) / 3)
    mean_unit = torch.stack([o / o.norm() for o in other_nat]).mean(0)
    assert f.others_native == pytest.approx(_cos(mean_unit, native))
    assert 0 < f.random_direction < 0.5
    # without others the controls are NaN
    bare = fidelity(W, v, native)
    assert math.isnan(bare.others_mapped) and math.isnan(bare.others_native)


def test_a_map_that_carries_the_direction_beats_its_controls() -> None:
    g = torch.Generator().manual_seed(1)
    W = torch.randn(64, 64, generator=g, dtype=torch.float64)
    v = torch.randn(64, generator=g, dtype=torch.float64)
    native = W @ v  # the map sends v exactly onto the native direction
    f = fidelity(W, v, native)
    assert f.cos == pytest.approx(1.0)
    assert f.random_mapped < 0.5 and f.random_direction < 0.5


def test_shared_generator_draws_new_random_vectors_each_call() -> None:
    W, v, n = torch.randn(8, 16), torch.randn(16), torch.randn(8)
    g = torch.Generator().manual_seed(0)
    first, second = fidelity(W, v, n, generator=g), fidelity(W, v, n, generator=g)
    assert first.random_mapped != second.random_mapped
    assert fidelity(W, v, n, seed=0).random_mapped == first.random_mapped


def test_source_direction_concatenates_in_bridge_order() -> None:
    a, b = torch.randn(4), torch.randn(4)
    vec = SteeringVector(directions={3: a, 5: b}, scales={3: 1.0, 5: 1.0}, model_name="m",
                         model_fingerprint="f", hidden_size=4, method="mean_diff",
                         dataset_fingerprint="d")
    assert torch.equal(source_direction(vec, [5, 3]), torch.cat([b, a]).double())
