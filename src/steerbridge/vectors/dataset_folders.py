"""A folder of A/B datasets named where a list of datasets is expected.

Anchoring a bridge on many behaviours means naming many files: the seven CAA behaviours, or a
folder of model-written-evals ``.jsonl`` files. `expand` turns a folder into its dataset files,
sorted so the same folder always gives the same list: a CAA layout (``generate/NAME/
generate_dataset.json`` below it; the test splits stay out, they are the behaviours' held-out
items) or else every ``.json`` / ``.jsonl`` file directly inside it. A built-in name or a file
passes through unchanged.
"""

from __future__ import annotations

from pathlib import Path

from steerbridge.errors import SteerbridgeError

CAA_GENERATE = "generate_dataset.json"


def expand(spec: str) -> list[str]:
    """`spec` itself, or the dataset files of the folder it names (see the module doc)."""
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        return [spec]
    caa = sorted(p for p in folder.glob(f"**/{CAA_GENERATE}") if p.is_file())
    if caa:
        return [str(p) for p in caa]
    files = sorted(p for p in folder.iterdir() if p.is_file()
                   and p.suffix in (".json", ".jsonl") and not p.name.startswith("."))
    if not files:
        raise SteerbridgeError(
            f"Dataset folder {folder} holds no A/B dataset: expected a CAA layout "
            f"(generate/NAME/{CAA_GENERATE}) or .json / .jsonl files directly inside it. Name "
            "the dataset files instead, or point at the folder that holds them.")
    return [str(p) for p in files]


def expand_all(specs: list[str]) -> list[str]:
    """Every spec expanded in order, each file once."""
    out: list[str] = []
    for spec in specs:
        out += [f for f in expand(spec) if f not in out]
    return out
