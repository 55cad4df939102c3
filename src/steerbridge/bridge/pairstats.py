"""`PairStats`: what one collection pass gives a layer pair, and where it is cached.

Train / val `Moments` plus a capped sample of raw test-split rows (for the metrics that need
single tokens), with how many tokens each filter dropped and how far the pass got (so an
interrupted run resumes). Files are safetensors with JSON metadata, written atomically; the
name carries a content key (`steerbridge.cachekeys`) of everything the statistics depend on,
and a ``rank1of2`` tag for one rank's share of a distributed run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor

from steerbridge.bridge.corpus import Windows
from steerbridge.bridge.moments import Moments
from steerbridge.cachekeys import content_key
from steerbridge.models.loading import LoadedModel
from steerbridge.safeio import atomic_write

Pair = tuple[tuple[int, ...], int]
"""(source layers, target layer): several source layers are concatenated (many-to-one)."""


@dataclass
class PairStats:
    """What one collection pass gives a layer pair: train / val sums and raw test rows.

    The sums live on the device they were collected on (`Moments.to` moves them); the raw
    test rows on the CPU.
    """

    pair: Pair
    train: Moments
    val: Moments
    test_x: Tensor  # [N, d_x] float32
    test_y: Tensor  # [N, d_y] float32
    test_source: Tensor  # [N] 0 = plain, 1 = chat
    dropped: dict[str, int] = field(default_factory=dict)
    batches_done: int = 0
    complete: bool = False
    key: dict[str, Any] = field(default_factory=dict)
    test_batch: Tensor | None = None  # [N] batch index of each test row (merging shards)

    @property
    def n_tokens(self) -> int:
        return self.train.count + self.val.count + int(self.test_x.shape[0])

    @classmethod
    def empty(cls, pair: Pair, dx: int, dy: int, key: dict[str, Any],
              device: torch.device) -> PairStats:
        """No tokens yet: sums on `device`, test rows on the CPU."""
        cpu = torch.device("cpu")
        return cls(pair=pair, train=Moments.zeros(dx, dy, device),
                   val=Moments.zeros(dx, dy, device),
                   test_x=torch.empty(0, dx, device=cpu), test_y=torch.empty(0, dy, device=cpu),
                   test_source=torch.empty(0, dtype=torch.long, device=cpu),
                   dropped={"position_0": 0, "chat_header": 0, "outlier": 0}, key=key,
                   test_batch=torch.empty(0, dtype=torch.long, device=cpu))

    def to(self, device: torch.device | str) -> PairStats:
        """The sums moved to `device` (the test rows stay on the CPU)."""
        self.train, self.val = self.train.to(device), self.val.to(device)
        return self

    def save(self, path: Path) -> None:
        """Write atomically (`steerbridge.safeio`)."""
        t = {**self.train.tensors("train."), **self.val.tensors("val."),
             "test_x": self.test_x.cpu().contiguous(), "test_y": self.test_y.cpu().contiguous(),
             "test_source": self.test_source.cpu().contiguous()}
        if self.test_batch is not None:
            t["test_batch"] = self.test_batch.cpu().contiguous()
        meta = {"pair": [list(self.pair[0]), self.pair[1]], "dropped": self.dropped,
                "batches_done": self.batches_done, "complete": self.complete, "key": self.key}
        atomic_write(path, lambda tmp: save_file(t, str(tmp), {"steerbridge": json.dumps(meta)}),
                     kind="moments")

    @classmethod
    def load(cls, path: Path, device: torch.device | str | None = None) -> PairStats:
        """Read a file written by `save` (sums onto `device` when given, else the CPU)."""
        with safe_open(str(path), "pt") as f:
            meta = json.loads(f.metadata()["steerbridge"])
        t = load_file(str(path))
        st = cls(
            pair=(tuple(meta["pair"][0]), int(meta["pair"][1])),
            train=Moments.from_tensors(t, "train."),
            val=Moments.from_tensors(t, "val."),
            test_x=t["test_x"], test_y=t["test_y"], test_source=t["test_source"],
            dropped=meta["dropped"], batches_done=meta["batches_done"],
            complete=meta["complete"], key=meta["key"], test_batch=t.get("test_batch"),
        )
        return st.to(device) if device is not None else st


def cache_key(
    source: LoadedModel, target: LoadedModel, pair: Pair, windows: Windows, settings: dict[str, Any]
) -> dict[str, Any]:
    """What identifies a pair's statistics: models, layers, corpus windows, token count, filter."""
    return {
        "source": source.fingerprint, "target": target.fingerprint,
        "source_layers": list(pair[0]), "target_layer": pair[1],
        "windows": windows.fingerprint, "n_tokens": windows.n_tokens, **settings,
    }


def cache_path(cache_dir: Path, key: dict[str, Any], shard_tag: str = "") -> Path:
    """Where the statistics of `key` (a `cache_key`) live in `cache_dir`; `shard_tag`
    (``rank1of2``) names one rank's partial share of a distributed run."""
    src = "-".join(map(str, key["source_layers"]))
    tag = f"-{shard_tag}" if shard_tag else ""
    name = f"moments-L{src}-L{key['target_layer']}-{content_key(**key)}{tag}"
    return cache_dir / f"{name}.safetensors"
