"""Float64 running sums of paired hidden states: enough to fit and score a map without keeping
the activations.

`Moments` holds, for pairs of rows ``x`` (source, ``d_x``) and ``y`` (target, ``d_y``):
``n, Σx, Σy, XᵀX, XᵀY, Σy²`` (per target dimension; its sum is ``Σ‖y‖²``). The sums are
additive: chunks streamed one by one equal one big batch, and shards from several processes
merge with ``+`` (or one ``all_reduce`` of each tensor). Memory is O(d²) whatever the token
count. Filling them from two models over a corpus is `steerbridge.bridge.collection`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

from steerbridge.errors import SteerbridgeError
from steerbridge.safeio import atomic_write

F64 = torch.float64
_FIELDS = ("n", "sx", "sy", "sxx", "sxy", "syy")


@dataclass
class Moments:
    """Additive float64 sums over paired rows ``x`` [d_x] and ``y`` [d_y]."""

    n: Tensor  # 0-d
    sx: Tensor  # [d_x]
    sy: Tensor  # [d_y]
    sxx: Tensor  # [d_x, d_x]
    sxy: Tensor  # [d_x, d_y]
    syy: Tensor  # [d_y] sum of squares per target dimension

    @classmethod
    def zeros(cls, dx: int, dy: int, device: torch.device | str | None = None) -> Moments:
        """Empty sums on `device` (None: torch's default device; pass the model's
        `steerbridge.models.devices.stats_device` so the sums stay where the states are)."""
        def z(*shape: int) -> Tensor:
            return torch.zeros(shape, dtype=F64, device=device)

        return cls(z(), z(dx), z(dy), z(dx, dx), z(dx, dy), z(dy))

    @classmethod
    def from_data(cls, x: Tensor, y: Tensor) -> Moments:
        """Sums of rows ``x``, ``y``, on `x`'s device."""
        m = cls.zeros(x.shape[-1], y.shape[-1], x.device)
        m.update(x, y)
        return m

    @property
    def device(self) -> torch.device:
        return self.sxx.device

    def to(self, device: torch.device | str) -> Moments:
        """The same sums on `device` (self when they are there already)."""
        if self.device == torch.device(device):
            return self
        return Moments(*(getattr(self, f).to(device) for f in _FIELDS))

    @property
    def dx(self) -> int:
        return int(self.sx.shape[0])

    @property
    def dy(self) -> int:
        return int(self.sy.shape[0])

    @property
    def count(self) -> int:
        return int(self.n.item())

    def update(self, x: Tensor, y: Tensor) -> None:
        """Add rows ``x`` [N, d_x] and ``y`` [N, d_y] (any float dtype; summed in float64)."""
        if x.shape[0] != y.shape[0]:
            raise SteerbridgeError(f"x has {x.shape[0]} rows but y has {y.shape[0]}.")
        if x.shape[-1] != self.dx or y.shape[-1] != self.dy:
            raise SteerbridgeError(
                f"Rows of width {x.shape[-1]}/{y.shape[-1]} do not fit Moments of "
                f"{self.dx}/{self.dy}."
            )
        n = x.shape[0]
        if n == 0:
            return
        # Everything in float64 (a float32 path with per-chunk centring measured no faster on
        # this CPU once its extra passes are counted), on the device the sums live on.
        x64 = x.to(device=self.device, dtype=F64)
        y64 = y.to(device=self.device, dtype=F64)
        self.n += n
        self.sx += x64.sum(0)
        self.sy += y64.sum(0)
        self.sxx += x64.T @ x64
        self.sxy += x64.T @ y64
        self.syy += (y64 * y64).sum(0)

    def __add__(self, other: Moments) -> Moments:
        """Sums of both, on `self`'s device."""
        other = other.to(self.device)
        return Moments(*(getattr(self, f) + getattr(other, f) for f in _FIELDS))

    def fields(self) -> list[Tensor]:
        """The sum tensors in a fixed order (what a distributed run all-reduces, in place)."""
        return [getattr(self, f) for f in _FIELDS]

    def tensors(self, prefix: str = "") -> dict[str, Tensor]:
        """The sums by name, on the CPU (what a file stores)."""
        return {prefix + f: getattr(self, f).detach().cpu().contiguous() for f in _FIELDS}

    @classmethod
    def from_tensors(cls, t: dict[str, Tensor], prefix: str = "") -> Moments:
        return cls(*(t[prefix + f] for f in _FIELDS))

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> None:
        meta = {"steerbridge": json.dumps(metadata or {})}
        atomic_write(path, lambda tmp: save_file(self.tensors(), str(tmp), meta),
                     kind=("moments", "safetensors"))

    @classmethod
    def load(cls, path: str | Path) -> Moments:
        """Read `save`'s file back (`SteerbridgeError` naming it if truncated or foreign)."""
        try:
            return cls.from_tensors(load_file(str(path)))
        except Exception as err:  # noqa: BLE001 - any unreadable file gets one clear message
            raise SteerbridgeError(f"{path} is not a readable moments file "
                                   f"({type(err).__name__}: {err}).") from None

    # -- derived statistics ------------------------------------------------------------------

    def means(self) -> tuple[Tensor, Tensor]:
        return self.sx / self.n, self.sy / self.n

    def centred(self) -> tuple[Tensor, Tensor]:
        """Centred ``XᵀX`` [d_x, d_x] and ``XᵀY`` [d_x, d_y] (scatter matrices, not divided)."""
        mx, my = self.means()
        cxx = self.sxx - self.n * torch.outer(mx, mx)
        cxy = self.sxy - self.n * torch.outer(mx, my)
        return cxx, cxy

    def sst(self) -> float:
        """Total sum of squares of y about its own mean, over all dimensions."""
        return float(self.syy.sum() - (self.sy * self.sy).sum() / self.n)

    def sse(self, w: Tensor, b: Tensor) -> float:
        """Σ‖y - W x - b‖² for a map ``W`` [d_y, d_x], ``b`` [d_y], exactly from the sums."""
        w, b = w.to(F64), b.to(F64)
        yy = self.syy.sum()
        y_pred = (self.sxy * w.T).sum() + b @ self.sy  # Σ yᵀ(Wx + b)
        pred_pred = (w @ self.sxx * w).sum() + 2 * b @ (w @ self.sx) + self.n * b @ b
        return float(yy - 2 * y_pred + pred_pred)

    def r2(self, w: Tensor, b: Tensor) -> float:
        """1 - SSE/SST over all target dimensions."""
        return 1.0 - self.sse(w, b) / self.sst()
