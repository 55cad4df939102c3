"""Hostile run directories: stale inputs, moved folders, changed models, corrupt caches,
interrupted and racing runs, full disks, broken behaviours, collapsing alphas, tiny test sets.

One small experiment on the tiny pair is run once (interrupted half way, then resumed); every
other case works on a copy of its run directory, so each recomputes only what it must.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from hostile_kit import LATIN1, ab_items, small_config, write_config, write_json
from safetensors.torch import load_file

from steerbridge import safeio
from steerbridge.errors import SteerbridgeError
from steerbridge.evaluation import ab
from steerbridge.models.tiny import tiny_pair
from steerbridge.run import config as C
from steerbridge.run import pipeline

WORDS = ["lovely", "sunny", "calm", "kind", "happy", "bright", "gentle", "warm", "awful",
         "gloomy", "rude", "stormy", "sad", "cold", "grey", "harsh"]


def corpus_text(seed: int) -> str:
    """About 7 kB of plain text, different for each seed."""
    paras = []
    for p in range(24):
        words = [WORDS[(p * 7 + i * (seed + 3)) % len(WORDS)] for i in range(45)]
        paras.append("The weather is " + " and ".join(" ".join(words[j:j + 3])
                                                      for j in range(0, 45, 3)) + ".")
    return "\n\n".join(paras) + "\n"


def _config(root: Path, **evaluation: Any) -> Path:
    cfg = small_config(root, **evaluation)
    (root / "corpus.txt").write_text(corpus_text(0))
    write_json(root / "open.json", ["Describe the weather."])
    cfg["bridge"]["corpus"] = ["corpus.txt"]
    cfg["behaviours"] = [
        {"name": "weather", "generate": "g.json", "test": "t.json", "open_ended": "open.json",
         "scoring": "letter"},
        {"name": "mood", "generate": "g2.json", "test": "t2.json", "scoring": "letter"}]
    write_json(root / "g2.json", ab_items(12, 2, words=("happy", "sad", "calm", "angry")))
    write_json(root / "t2.json", ab_items(8, 3, words=("happy", "sad", "calm", "angry")))
    return write_config(root, cfg)


def _run(path: Path, models: Any, messages: list[str] | None = None,
         **changes: Any) -> dict[str, Any]:
    cfg = C.load(path)
    if changes:
        ev = cfg.evaluation.model_copy(update=changes.pop("evaluation", {}))
        behs = [b.model_copy(update=changes.get("behaviour", {})) for b in cfg.behaviours]
        cfg = cfg.model_copy(update={"evaluation": ev, "behaviours": behs})
    return pipeline.run(cfg, hooks=pipeline.Hooks(stage=(messages if messages is not None
                                                         else []).append), models=models)


def _summaries(res: dict[str, Any]) -> dict[str, Any]:
    return {n: b.get("summary") for n, b in res["behaviours"].items()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> dict[str, Any]:
    """The experiment, interrupted during the second behaviour's sweep, then resumed."""
    root = tmp_path_factory.mktemp("finished")
    path = _config(root)
    real, calls = ab.evaluate_behaviour, []

    def interrupt_second(*a: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(ab, "evaluate_behaviour", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        _run(path, tiny_models)
    mp.undo()
    left = sorted(str(p.relative_to(root / "run")) for p in (root / "run").rglob("*")
                  if p.is_file())
    messages: list[str] = []
    res = _run(path, tiny_models, messages)
    return {"root": root, "res": res, "messages": messages, "left": left}


def _copy(finished: dict[str, Any], tmp_path: Path) -> Path:
    dest = tmp_path / "moved"
    shutil.copytree(finished["root"], dest)
    return dest


def test_interrupted_run_resumes_and_loses_nothing(finished: dict[str, Any]) -> None:
    left, msgs = finished["left"], finished["messages"]
    assert any(p.startswith("bridge-") for p in left)
    assert any(p.startswith("eval/weather-") for p in left)  # finished before the interrupt
    assert "results.json" not in left
    assert any("bridge: reusing" in m for m in msgs)
    assert any("weather: reusing" in m for m in msgs)
    assert not any("weather: extracting" in m for m in msgs)
    assert set(finished["res"]["behaviours"]) == {"weather", "mood"}
    assert all("summary" in b for b in finished["res"]["behaviours"].values())


def test_moved_folder_reuses_every_stage(finished: dict[str, Any], tmp_path: Path,
                                         tiny_models: Any) -> None:
    moved = _copy(finished, tmp_path)
    msgs: list[str] = []
    res = _run(moved / "exp.toml", tiny_models, msgs)
    assert not any("fitting" in m or "extracting" in m or "sweep" in m for m in msgs), msgs
    assert _summaries(res) == _summaries(finished["res"])


@pytest.mark.parametrize(("edit", "redone", "kept"), [
    ("corpus.txt", ["bridge: fitting"], ["extracting"]),
    ("open.json", ["weather: A/B sweep"], ["bridge: fitting", "extracting", "mood: A/B"]),
    ("t.json", ["weather: A/B sweep"], ["bridge: fitting", "extracting", "mood: A/B"]),
    ("g2.json", ["mood: extracting", "mood: A/B sweep"], ["bridge: fitting", "weather: A/B"]),
], ids=["corpus", "open-ended", "test-items", "generate-items"])
def test_edited_input_at_the_same_path_is_recomputed(finished: dict[str, Any], tmp_path: Path,
                                                     tiny_models: Any, edit: str,
                                                     redone: list[str], kept: list[str]) -> None:
    moved = _copy(finished, tmp_path)
    f = moved / edit
    if edit == "corpus.txt":
        f.write_text(corpus_text(1))
    elif edit == "open.json":
        write_json(f, ["Describe the sea."])
    else:
        items = json.loads(f.read_text())
        items[0]["question"] += " Really?"
        write_json(f, items)
    msgs: list[str] = []
    _run(moved / "exp.toml", tiny_models, msgs)
    for r in redone:
        assert any(r in m for m in msgs), (r, msgs)
    for k in kept:
        assert not any(k in m for m in msgs), (k, msgs)


def test_changed_models_start_fresh_stages(finished: dict[str, Any], tmp_path: Path) -> None:
    moved = _copy(finished, tmp_path)
    msgs: list[str] = []
    res = _run(moved / "exp.toml", tiny_pair(seed=7), msgs)
    assert any("weights changed" in m for m in msgs)
    assert any("bridge: fitting" in m for m in msgs)
    assert res["models"]["source"]["fingerprint"] != \
        finished["res"]["models"]["source"]["fingerprint"]
    assert len(list((moved / "run").glob("bridge-*.safetensors"))) == 2  # the old one kept


CORRUPT = {  # cached file -> files removed with it (so the stage that reads it runs)
    "bridge": ("bridge-*.safetensors", []),
    "vector": ("vectors/weather-*-source.safetensors", ["eval/weather-*.json"]),
    "evaluation": ("eval/weather-*.json", []),
    "scales": ("scales.json", ["vectors/weather-*", "eval/weather-*.json"]),
    "moments": ("moments/moments-*.safetensors", ["bridge-*.safetensors"]),
    "run.json": ("run.json", []),
}


@pytest.mark.parametrize("what", list(CORRUPT))
def test_corrupt_cache_is_set_aside_and_recomputed(finished: dict[str, Any], tmp_path: Path,
                                                   tiny_models: Any, what: str) -> None:
    moved = _copy(finished, tmp_path)
    run = moved / "run"
    pattern, remove = CORRUPT[what]
    target = next(run.glob(pattern))
    target.write_bytes(target.read_bytes()[: max(1, target.stat().st_size // 2)])
    for pat in remove:
        for p in run.glob(pat):
            p.unlink()
    msgs: list[str] = []
    res = _run(moved / "exp.toml", tiny_models, msgs)
    assert any("set it aside" in m and target.name in m for m in msgs), msgs
    assert list(target.parent.glob(f"{target.name}.corrupt-*"))
    assert _summaries(res) == _summaries(finished["res"])  # recomputed, the same numbers
    if what == "bridge":
        assert load_file(str(target)).keys() == {"W", "b"}


def test_racing_runs_into_one_directory_do_not_mix(finished: dict[str, Any],
                                                   tmp_path: Path) -> None:
    moved = _copy(finished, tmp_path)
    for p in (moved / "run" / "eval").glob("*.json"):
        p.unlink()
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def go(models: Any) -> None:
        try:
            results.append(_run(moved / "exp.toml", models))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    # each run its own copy of the models (hooks on one model would mix), built beforehand
    threads = [threading.Thread(target=go, args=(tiny_pair(),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert _summaries(results[0]) == _summaries(results[1]) == _summaries(finished["res"])
    assert not [p for p in (moved / "run").rglob("*") if ".tmp-" in p.name]
    saved = json.loads((moved / "run" / "results.json").read_text())
    assert saved["behaviours"]["weather"]["summary"] == finished["res"]["behaviours"][
        "weather"]["summary"]


def test_full_disk_at_the_end_keeps_every_finished_stage(finished: dict[str, Any],
                                                          tmp_path: Path, tiny_models: Any,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    moved = _copy(finished, tmp_path)
    before = (moved / "run" / "results.json").read_bytes()
    real = safeio.os.replace

    def full_for_results(src: Any, dst: Any) -> None:
        if Path(dst).name == "results.json":
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(safeio.os, "replace", full_for_results)
    with pytest.raises(SteerbridgeError, match="results.json.*full"):
        _run(moved / "exp.toml", tiny_models, evaluation={"alphas": [-1.0, 1.0]})
    assert (moved / "run" / "results.json").read_bytes() == before
    monkeypatch.undo()
    msgs: list[str] = []
    _run(moved / "exp.toml", tiny_models, msgs, evaluation={"alphas": [-1.0, 1.0]})
    assert any("weather: reusing" in m for m in msgs)  # the sweep written before the error


def test_huge_alphas_are_flagged_not_scored(finished: dict[str, Any], tmp_path: Path,
                                            tiny_models: Any) -> None:
    moved = _copy(finished, tmp_path)
    res = _run(moved / "exp.toml", tiny_models, evaluation={"alphas": [-1e30, 1e30]})
    beh = res["behaviours"]["weather"]
    assert beh["collapsed"]["native"] == [-1e30, 1e30]
    h = beh["summary"]["headline"]
    assert h["transferred_retention"] is None or h["transferred_retention"] != \
        h["transferred_retention"]  # NaN in memory, null on disk: never 1.00
    saved = json.loads((moved / "run" / "results.json").read_text())
    assert saved["behaviours"]["weather"]["summary"]["headline"]["transferred_retention"] is None
    assert any("collapsed" in w for w in beh["warnings"])
    assert "outputs collapsed" in (moved / "run" / "report.md").read_text()


def test_one_test_item_gives_no_confident_headline(finished: dict[str, Any], tmp_path: Path,
                                                   tiny_models: Any) -> None:
    moved = _copy(finished, tmp_path)
    res = _run(moved / "exp.toml", tiny_models, behaviour={"max_test": 1})
    beh = res["behaviours"]["weather"]
    assert beh["verdict"] == {"n_test": 1, "n_needed": 28, "ci_half_width": None,
                              "conclusive": False}
    assert any("too few to judge" in w and "28" in w for w in beh["warnings"])
    report = (moved / "run" / "report.md").read_text()
    assert "inconclusive: 1 test item(s), a verdict needs 28" in report


# ------------------------------------------------------------------ the command line


def test_bad_behaviours_fail_alone(tmp_path: Path, cli: Any, model_dirs: Any) -> None:
    cfg = small_config(tmp_path, str(model_dirs[0]), str(model_dirs[1]))
    (tmp_path / "latin1.json").write_bytes(LATIN1)
    write_json(tmp_path / "letters.json", ab_items(4, 5, ("(A)", "(B)")))
    cfg["behaviours"] += [
        {"name": "bad-prompts", "generate": "g.json", "test": "t.json",
         "open_ended": "latin1.json", "scoring": "letter"},
        {"name": "multi-token", "generate": "g.json", "test": "letters.json",
         "scoring": "letter"}]
    res = cli("run", write_config(tmp_path, cfg))
    assert res.code == 1, res.text
    assert "2 of 3 behaviours failed" in res.text and "Traceback" not in res.text
    assert "Verdicts (rule and reasons: the report)" in res.text  # the survivor is judged
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert "summary" in saved["behaviours"]["weather"]
    assert "latin1.json" in saved["behaviours"]["bad-prompts"]["errors"][0]
    assert "not single tokens" in saved["behaviours"]["multi-token"]["errors"][0]
    assert set(saved["failed"]) == {"bad-prompts", "multi-token"}
    assert "2 of 3 behaviours failed" in (tmp_path / "run" / "report.html").read_text()
    # the model folders move: same weights, other paths; the run directory is reused as is
    for d in model_dirs:
        shutil.copytree(d, tmp_path / "moved-models" / d.name)
    cfg["models"].update(source=str(tmp_path / "moved-models" / "src"),
                         target=str(tmp_path / "moved-models" / "tgt"))
    again = cli("run", write_config(tmp_path, cfg))
    assert again.code == 1 and "weather: reusing" in again.text, again.text
    assert "bridge: reusing" in again.text and "fitting" not in again.text


def test_every_behaviour_failing_is_not_success(tmp_path: Path, cli: Any,
                                                model_dirs: Any) -> None:
    cfg = small_config(tmp_path, str(model_dirs[0]), str(model_dirs[1]))
    cfg["behaviours"] = [{"name": "gone", "generate": "g.json", "test": "missing.json"}]
    res = cli("run", write_config(tmp_path, cfg))
    assert res.code == 1 and "1 of 1 behaviours failed" in res.text, res.text
    assert "missing.json" in res.text and "Traceback" not in res.text
    assert not list((tmp_path / "run").glob("bridge-*"))  # nothing left to fit a bridge for


@pytest.mark.parametrize("case", ["file", "foreign", "other-models"])
def test_unusable_run_directory_is_refused(tmp_path: Path, cli: Any, model_dirs: Any,
                                           case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = small_config(tmp_path, str(model_dirs[0]), str(model_dirs[1]))
    run = tmp_path / "run"
    if case == "file":
        run.write_text("notes")
    elif case == "foreign":
        run.mkdir()
        (run / "notes.txt").write_text("mine")
    else:
        run.mkdir()
        write_json(run / "run.json", {"format": "steerbridge.run", "identity": "0" * 16,
                                      "models": {"source": "a"}, "history": []})
    import steerbridge.models.loading as loading

    monkeypatch.setattr(loading, "load", lambda *a, **k: pytest.fail("a model was loaded"))
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    res = cli("run", write_config(tmp_path, cfg))
    res.refused(str(run.name), {"file": "is a file", "foreign": "not empty",
                                "other-models": "another experiment"}[case])
    assert all(p.read_bytes() == b for p, b in before.items())
