"""Many processes: shard a collection over the ranks that `torchrun` starts, merge the sums.

The scheduler is torch.distributed's: ``torchrun --nproc-per-node N`` (or ``--nnodes`` with a
rendezvous endpoint for several machines) starts the processes and sets ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``; `init_from_env` joins the process group (NCCL on GPUs, gloo on
CPUs) and picks each rank's device (``cuda:LOCAL_RANK`` by default). The collection then
gives rank ``r`` the forward batches ``r, r + N, r + 2N, ...`` (the very batches one process
would run, so per-batch filters give the same tokens) and `Moments`, being sums, merge with
one ``all_reduce(SUM)`` per field. Held-out rows are gathered in batch order, so the merged
statistics are those of one process, up to float64 rounding of the sums' order.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor

from steerbridge.bridge.moments import Moments
from steerbridge.errors import SteerbridgeError
from steerbridge.models.devices import DeviceSpec, resolve_device


@dataclass(frozen=True)
class Shard:
    """This process's place among the ranks of a run (``Shard()``: the only process)."""

    rank: int = 0
    world: int = 1

    def __post_init__(self) -> None:
        if self.world < 1 or not 0 <= self.rank < self.world:
            raise SteerbridgeError(f"Rank {self.rank} of world size {self.world} is not valid.")

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that fits, writes and reports."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def batches(self, n_batches: int) -> list[int]:
        """The batch indices this rank runs: ``rank, rank + world, ...``."""
        return list(range(self.rank, n_batches, self.world))

    def tag(self) -> str:
        """``rank1of2``: names this rank's partial cache files."""
        return f"rank{self.rank}of{self.world}"


def launched_by_torchrun() -> bool:
    """True in a process started by torchrun (or any launcher that sets RANK / WORLD_SIZE)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError as err:
        raise SteerbridgeError(f"Environment variable {name}={os.environ[name]!r} is not an "
                               "integer; start the processes with torchrun.") from err


def init_from_env(device: DeviceSpec = None, timeout_s: float = 3600.0
                  ) -> tuple[Shard, torch.device]:
    """Join the torchrun process group if there is one; this rank's `Shard` and device.

    Outside torchrun: ``(Shard(), resolve_device(device))``. Under torchrun with ``device``
    auto and GPUs: ``cuda:LOCAL_RANK`` and NCCL; on CPUs: gloo. An explicit ``cuda`` means
    ``cuda:LOCAL_RANK`` too (one GPU per process). ``cuda:N`` is kept as given, with gloo
    (the sums are reduced through the CPU), since several ranks may then share one GPU,
    which NCCL refuses.
    """
    if not launched_by_torchrun():
        return Shard(), resolve_device(device)
    rank, world = _env_int("RANK", 0), _env_int("WORLD_SIZE", 1)
    local = _env_int("LOCAL_RANK", rank)
    dev = resolve_device(device)
    own_gpu = dev.type == "cuda" and dev.index is None
    if own_gpu:
        if local >= torch.cuda.device_count():
            raise SteerbridgeError(
                f"Local rank {local} has no GPU of its own (this node shows "
                f"{torch.cuda.device_count()}): start at most that many processes per node "
                "(torchrun --nproc-per-node), or pass --device cuda:0 to share one GPU.")
        dev = torch.device("cuda", local)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if own_gpu else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    return Shard(rank, world), dev


def current_shard() -> Shard:
    """The shard of the initialised process group, else ``Shard()``."""
    if dist.is_available() and dist.is_initialized():
        return Shard(dist.get_rank(), dist.get_world_size())
    return Shard()


def shutdown() -> None:
    """Leave the process group (if joined)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    """Wait for every rank (nothing to wait for outside a process group)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def comm_device() -> torch.device:
    """Where collective tensors must be: this rank's GPU under NCCL, else the CPU."""
    if dist.is_initialized() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce_sum_(tensors: Sequence[Tensor]) -> None:
    """Sum each tensor over the ranks, in place (one ``all_reduce`` per tensor)."""
    dev = comm_device()
    for t in tensors:
        buf = t if t.device == dev else t.to(dev)
        dist.all_reduce(buf, op=dist.ReduceOp.SUM)
        if buf is not t:
            t.copy_(buf)


def merge_moments_(m: Moments) -> None:
    """All-reduce every field of `m` in place: afterwards each rank holds the total."""
    all_reduce_sum_(m.fields())


def all_ranks_true(flag: bool) -> bool:
    """True when `flag` holds on every rank (e.g. "my cached result is complete")."""
    t = torch.tensor([1 if flag else 0], dtype=torch.long, device=comm_device())
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return bool(t.item())


def gather_rows(parts: Sequence[Tensor], order: Tensor, cap: int) -> tuple[list[Tensor], Tensor]:
    """Gather row tensors (same row count N per rank) from every rank onto every rank.

    Rows are put in ascending `order` (ties keep rank order, and within a rank the row order)
    and cut to the first `cap`. Returns the gathered parts and their order, on the CPU.
    """
    dev = comm_device()
    world = dist.get_world_size()
    n = torch.tensor([order.shape[0]], dtype=torch.long, device=dev)
    sizes = [torch.zeros_like(n) for _ in range(world)]
    dist.all_gather(sizes, n)
    counts = [int(s.item()) for s in sizes]
    most = max(counts)

    def gather(t: Tensor) -> Tensor:
        pad = torch.zeros((most - t.shape[0], *t.shape[1:]), dtype=t.dtype, device=dev)
        local = torch.cat([t.to(dev), pad])
        got = [torch.empty_like(local) for _ in range(world)]
        dist.all_gather(got, local)
        return torch.cat([g[:c] for g, c in zip(got, counts, strict=True)]).cpu()

    merged_order = gather(order)
    keep = torch.sort(merged_order, stable=True).indices[:cap]
    return [gather(p)[keep] for p in parts], merged_order[keep]
