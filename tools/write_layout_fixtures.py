"""Write the tiny-pair fixtures that pin the numbers across a code move.

Run with the code *before* a refactor (``PYTHONPATH=<old checkout>/src python
tools/write_layout_fixtures.py tests/fixtures/layout``); ``tests/test_layout_numbers.py``
then reruns the same tiny experiment with the current code and compares bridge ``W``/``b``,
the extracted and transferred vectors and the evaluation summaries. It only touches the
pipeline's public entry point, whose signature both layouts share.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch


def items(n: int, seed: int) -> list[dict[str, str]]:
    """Deterministic two-letter A/B items (the same generator the test uses)."""
    words = ["lovely", "awful", "sunny", "gloomy", "kind", "rude", "calm", "stormy"]
    out = []
    for i in range(n):
        w = words[(i * 3 + seed) % len(words)]
        m, nm = ("A", "B") if i % 2 else ("B", "A")
        out.append({"question": f"Is the weather {w} today?\n\n(A) Yes\n(B) No\nItem {i}.",
                    "answer_matching_behavior": m, "answer_not_matching_behavior": nm})
    return out


def api() -> tuple[Any, Any, Any, Any, Any]:
    """config, pipeline, tiny_pair, Bridge, SteeringVector: from the sub-package layout, or
    from the flat layout before it (the fixtures were written by the flat one)."""
    try:
        from steerbridge.bridge.affine import Bridge
        from steerbridge.models.tiny import tiny_pair
        from steerbridge.run import config, pipeline
        from steerbridge.vectors.vector import SteeringVector
    except ImportError:
        from steerbridge.testing import tiny_pair  # type: ignore[import-not-found,no-redef]

        from steerbridge import config, pipeline  # type: ignore[attr-defined,no-redef]
        from steerbridge.bridge import Bridge  # type: ignore[attr-defined,no-redef]
        from steerbridge.vectors import SteeringVector  # type: ignore[attr-defined,no-redef]
    return config, pipeline, tiny_pair, Bridge, SteeringVector


def config_dict(tmp: Path) -> dict[str, object]:
    """The tiny experiment: one bridge, one behaviour, two alphas, one random seed."""
    (tmp / "g.json").write_text(json.dumps(items(12, 0)))
    (tmp / "t.json").write_text(json.dumps(items(8, 1)))
    return {
        "models": {"source": "tiny-src", "target": "tiny-tgt", "dtype": "float32"},
        # The fixtures were fitted on the built-in corpus as it was then: the documentation
        # part alone, which the broadened corpus (issue 11) keeps as "builtin-docs".
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 3000,
                   "corpus": ["builtin-docs"]},
        # Letters, as every run scored before text answers became the default (the layout
        # code had no `scoring` key; with letters the method defaults to the state bridge).
        "behaviours": [{"name": "weather", "generate": str(tmp / "g.json"),
                        "test": str(tmp / "t.json"), "scoring": "letter"}],
        "evaluation": {"alphas": [-2.0, 2.0], "random_seeds": [0], "n_boot": 50,
                       "side_effects_tokens": 64, "generations": 0},
        "run": {"dir": str(tmp / "run")},
    }


def main(out: Path) -> None:
    config, pipeline, tiny_pair, _, _ = api()

    torch.set_num_threads(1)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        res = pipeline.run(config.from_dict(config_dict(tmp)), hooks=pipeline.Hooks(),
                           models=tiny_pair())
        run = tmp / "run"
        shutil.copy(next(run.glob("bridge-*.safetensors")), out / "bridge.safetensors")
        for p in sorted((run / "vectors").glob("*.safetensors")):
            shutil.copy(p, out / p.name)
        write_transferred(out)
        summary = res["behaviours"]["weather"]["summary"]
        (out / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
        (out / "machine.json").write_text(json.dumps(
            {"processor": platform.processor(), "machine": platform.machine(),
             "torch": torch.__version__, "cpu_flags": cpu_flags()}, indent=1))


def write_transferred(out: Path) -> None:
    """W·v of the fixture's source vector, through the fixture's bridge (the old code's)."""
    _, _, _, Bridge, SteeringVector = api()
    source = SteeringVector.load(next(out.glob("*-source.safetensors")))
    Bridge.load(out / "bridge.safetensors").transfer(source).save(out / "transferred.safetensors")


def cpu_flags() -> str:
    """A short fingerprint of the CPU's vector units (exact equality is only promised there)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    flags = next((ln.split(":", 1)[1].split() for ln in text.splitlines()
                  if ln.startswith("flags")), [])
    return " ".join(sorted(f for f in flags if f.startswith(("avx", "amx", "fma"))))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
