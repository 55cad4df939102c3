"""Helpers of the hostile-input suite (issue 13): command results, A/B files, small configs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

PICKLE = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93."
"""A pickle that would call os.system if anything ever unpickled it."""
LATIN1 = "Caf\xe9 cr\xe8me: is the weather lovely?".encode("latin-1")
BOX = "│╭╮╰╯─"


@dataclass
class Ran:
    """What a command did: its exit code and everything it printed."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout + stderr, boxes and line wrapping removed (for substring checks)."""
        raw = self.out + " " + self.err
        for ch in BOX:
            raw = raw.replace(ch, " ")
        return " ".join(raw.split())

    def refused(self, *needles: str) -> None:
        """A clear refusal: exit 2, no traceback, the message names every needle."""
        assert self.code == 2, (self.code, self.text)
        assert "Traceback" not in self.text, self.text
        for n in needles:
            assert n in self.text, (n, self.text)


def ab_items(n: int, seed: int = 0, letters: tuple[str, str] = ("A", "B"),
             words: tuple[str, ...] = ("lovely", "awful", "sunny", "gloomy", "kind", "rude")
             ) -> list[dict[str, str]]:
    """`n` distinct A/B items whose answers are single tokens for the tiny tokenizer."""
    out = []
    for i in range(n):
        w = words[(i + seed) % len(words)]
        m, nm = letters if i % 2 else letters[::-1]
        out.append({"question": f"Is the weather {w} today? Answer {seed}-{i}.",
                    "answer_matching_behavior": m, "answer_not_matching_behavior": nm})
    return out


def write_json(path: Path, obj: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


def small_config(root: Path, source: str = "tiny-src", target: str = "tiny-tgt",
                 behaviours: list[dict[str, Any]] | None = None,
                 **evaluation: Any) -> dict[str, Any]:
    """A quick experiment on the tiny pair (data written under `root`; its items have no choice
    lines, so they are scored as letters)."""
    write_json(root / "g.json", ab_items(12, 0))
    write_json(root / "t.json", ab_items(8, 1))
    ev = {"alphas": [-2.0, 2.0], "random_seeds": [0], "n_boot": 20, "side_effects_tokens": 0,
          "generations": 0, "bias_variant": False, "source_reference": False, **evaluation}
    return {
        "models": {"source": source, "target": target, "dtype": "float32"},
        "bridge": {"source_layer": 2, "target_layer": 3, "max_tokens": 1200},
        "behaviours": behaviours or [{"name": "weather", "generate": "g.json",
                                      "test": "t.json", "scoring": "letter"}],
        "evaluation": ev,
        "run": {"dir": "run"},
    }


def toml(cfg: dict[str, Any]) -> str:
    """A config dict as TOML text (enough of TOML for these configs)."""
    def val(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)

    lines = []
    for section, body in cfg.items():
        if section == "behaviours":
            continue
        lines.append(f"[{section}]")
        lines += [f"{k} = {val(v)}" for k, v in body.items()]
    for b in cfg.get("behaviours", []):
        lines.append("[[behaviours]]")
        lines += [f"{k} = {val(v)}" for k, v in b.items()]
    return "\n".join(lines) + "\n"


def write_config(root: Path, cfg: dict[str, Any], name: str = "exp.toml") -> Path:
    path = root / name
    path.write_text(toml(cfg), encoding="utf-8")
    return path


def tensors_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def write_input(path: Path, content: Any, as_json: bool = False) -> Path:
    """A hostile input file: `content` bytes, text (JSON-encoded when `as_json`), "DIR" (make
    a folder) or None (leave it missing)."""
    if content == "DIR":
        path.mkdir(parents=True)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(json.dumps(content) if as_json else content, encoding="utf-8")
    return path
