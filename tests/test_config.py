"""Config validation: unknown keys and wrong types are rejected naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from steerbridge.errors import SteerbridgeError
from steerbridge.models.dtypes import resolve_dtype
from steerbridge.run import config as C
from steerbridge.run import keys

BASE = """
[models]
source = "tiny-a"
target = "tiny-b"

[bridge]
source_layer = 1
target_layer = 2

[[behaviours]]
name = "sentiment"
builtin = "sentiment"
"""


def test_minimal_config_gets_defaults() -> None:
    cfg = C.loads(BASE)
    assert cfg.models.dtype == "auto"
    assert resolve_dtype("auto") in (torch.bfloat16, torch.float32)
    assert resolve_dtype("float32") == torch.float32
    assert cfg.evaluation.alphas == sorted(cfg.evaluation.alphas)
    assert cfg.bridge.method == "ridge"
    assert cfg.behaviours[0].name == "sentiment"


def test_unknown_key_is_named() -> None:
    with pytest.raises(SteerbridgeError, match=r"bridge\.metod: unknown key"):
        C.loads(BASE.replace("target_layer = 2", "target_layer = 2\nmetod = 'ridge'"))
    with pytest.raises(SteerbridgeError, match=r"evaluaton: unknown key"):
        C.loads(BASE + "\n[evaluaton]\nalphas = [0.1]\n")


def test_wrong_type_is_named() -> None:
    with pytest.raises(SteerbridgeError, match=r"bridge\.source_layer"):
        C.loads(BASE.replace("source_layer = 1", "source_layer = 'twelve'"))
    with pytest.raises(SteerbridgeError, match=r"evaluation\.alphas"):
        C.loads(BASE + "\n[evaluation]\nalphas = 'lots'\n")
    with pytest.raises(SteerbridgeError, match=r"behaviours\.0\.max_test"):
        C.loads(BASE + "max_test = -3\n")


def test_behaviour_needs_one_source_and_unique_names() -> None:
    with pytest.raises(SteerbridgeError, match="builtin = NAME"):
        C.loads(BASE.replace('builtin = "sentiment"', 'generate = "g.json"'))
    with pytest.raises(SteerbridgeError, match="repeated: sentiment"):
        C.loads(BASE + '\n[[behaviours]]\nname = "sentiment"\nbuiltin = "x"\n')


def test_non_finite_alpha_and_bad_toml() -> None:
    with pytest.raises(SteerbridgeError, match="finite"):
        C.loads(BASE + "\n[evaluation]\nalphas = [0.1, nan]\n")
    with pytest.raises(SteerbridgeError, match="not valid TOML"):
        C.loads("[models\nsource=")


def test_load_resolves_relative_paths(tmp_path: Path) -> None:
    text = BASE.replace('builtin = "sentiment"', 'generate = "d/g.json"\ntest = "d/t.json"')
    (tmp_path / "exp.toml").write_text(text)
    cfg = C.load(tmp_path / "exp.toml")
    assert cfg.behaviours[0].generate == (tmp_path / "d/g.json").resolve()
    with pytest.raises(SteerbridgeError, match="does not exist"):
        C.load(tmp_path / "missing.toml")


def test_stage_hash_depends_only_on_stage_inputs(tmp_path: Path) -> None:
    a = C.loads(BASE)
    b = C.loads(BASE + "\n[evaluation]\nalphas = [-0.05, 0.05]\n")
    c = C.loads(BASE.replace("target_layer = 2", "target_layer = 3"))
    assert keys.stage_hash(a, "bridge") == keys.stage_hash(b, "bridge")
    assert keys.stage_hash(a, "vectors", "sentiment") == keys.stage_hash(b, "vectors", "sentiment")
    assert keys.stage_hash(a, "evaluation", "sentiment") != keys.stage_hash(b, "evaluation",
                                                                            "sentiment")
    assert keys.stage_hash(a, "bridge") != keys.stage_hash(c, "bridge")
    assert keys.stage_hash(a, "vectors", "sentiment") != keys.stage_hash(c, "vectors", "sentiment")


def test_stage_hash_follows_data_file_content(tmp_path: Path) -> None:
    g, t = tmp_path / "g.json", tmp_path / "t.json"
    g.write_text("[]")
    t.write_text("[]")
    text = BASE.replace('builtin = "sentiment"', f'generate = "{g}"\ntest = "{t}"')
    h1 = keys.stage_hash(C.loads(text), "vectors", "sentiment")
    g.write_text("[ ]")
    assert keys.stage_hash(C.loads(text), "vectors", "sentiment") != h1


@pytest.mark.parametrize("quick", [False, True])
def test_shipped_demo_configs_validate(quick: bool) -> None:
    cfg = C.demo_config(quick)
    assert len(cfg.behaviours) >= 3
    assert cfg.models.source != cfg.models.target
    # the demo's method (RESULTS.md §7e): the answer-matched gain on text-scored built-ins,
    # with its own random-source control
    assert cfg.transfer.method == "gain" and cfg.transfer.random_source_seeds
    assert all(b.scoring == "text" for b in cfg.behaviours)


def test_read_position_setting_and_its_hash() -> None:
    a = C.loads(BASE)
    assert a.vectors.read == "answer_letter"
    t = C.loads(BASE + '\n[vectors]\nread = "answer_text"\n')
    assert keys.stage_hash(a, "vectors", "sentiment") != keys.stage_hash(t, "vectors", "sentiment")
    with pytest.raises(SteerbridgeError, match="read"):
        C.loads(BASE + '\n[vectors]\nread = "middle"\n')


@pytest.mark.parametrize(("section", "key", "bad", "known"), [
    ("vectors", "method", "pca", "pca_diff"),
    ("bridge", "method", "svd", "procrustes"),
    ("vectors", "read", "answer", "answer_text"),
    ("models", "dtype", "int8", "bfloat16"),
])
def test_allowed_values_come_from_the_library(section: str, key: str, bad: str,
                                              known: str) -> None:
    """Config validation and the library share one table: a name extraction would refuse is
    refused at validation, with the known names listed; every library name is accepted."""
    base = {"models": {"source": "a", "target": "b"},
            "bridge": {"source_layer": 1, "target_layer": 2},
            "behaviours": [{"name": "x", "builtin": "positive-tone"}]}
    base.setdefault(section, {})[key] = bad  # type: ignore[index]
    with pytest.raises(SteerbridgeError, match=f"{section}.{key}.*{known}"):
        C.from_dict(base)
    base[section][key] = known  # type: ignore[index]
    assert getattr(getattr(C.from_dict(base), section), key) == known


def test_defaults_are_the_library_defaults() -> None:
    from steerbridge.bridge.builtin_corpus import BUILTIN_CORPUS
    from steerbridge.bridge.corpus import DEFAULT_MAX_TOKENS, DEFAULT_WINDOW

    cfg = C.from_dict({"models": {"source": "a", "target": "b"},
                       "bridge": {"source_layer": 1, "target_layer": 2},
                       "behaviours": [{"name": "x", "builtin": "positive-tone"}]})
    assert cfg.bridge.corpus == [BUILTIN_CORPUS]
    assert (cfg.bridge.max_tokens, cfg.bridge.window) == (DEFAULT_MAX_TOKENS, DEFAULT_WINDOW)
    with pytest.raises(SteerbridgeError, match="run.seed: unknown key"):
        C.from_dict({**cfg.to_dict(), "run": {"seed": 1}})
