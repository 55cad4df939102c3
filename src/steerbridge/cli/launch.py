"""Where a command runs: its device, and its rank when `torchrun` started it.

``torchrun --nproc-per-node 2 -m steerbridge.cli fit-bridge ...`` (or the `steerbridge` script
under ``torchrun --no-python``) starts one process per rank; `setup` joins the process group
(NCCL on GPUs, gloo on CPUs), gives each rank its device (``cuda:LOCAL_RANK`` by default) and
silences every rank but 0, which alone writes files and prints. Commands that do not shard
refuse to run under torchrun (`single_process`) instead of doing the same work N times.
"""

from __future__ import annotations

import atexit
import os

import torch

from steerbridge.bridge.distributed import Shard, init_from_env, launched_by_torchrun, shutdown
from steerbridge.cli.console import console, err_console
from steerbridge.errors import SteerbridgeError
from steerbridge.models.devices import resolve_device

DEVICE_HELP = "auto (CUDA when present, else cpu), cpu, cuda, cuda:N or mps."
DEVICE_MAP_HELP = ("'auto' spreads the target over every visible GPU (accelerate), for a model "
                   "bigger than one GPU; off by default.")


def setup(device: str) -> tuple[Shard, torch.device]:
    """This process's shard and device; under torchrun, join the group and quiet rank > 0."""
    shard, dev = init_from_env(device)
    if shard.distributed:
        atexit.register(shutdown)
        if not shard.is_main:
            console.quiet = True
            err_console.quiet = True
        else:
            import torch.distributed as dist

            err_console.print(f"torchrun: {shard.world} ranks, backend {dist.get_backend()}; "
                              f"rank 0 on {dev}")
    return shard, dev


def single_process(command: str, device: str) -> torch.device:
    """The device for a command that does not shard; refuses to run as several ranks."""
    if launched_by_torchrun() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise SteerbridgeError(
            f"`steerbridge {command}` does not shard over torchrun ranks (only fit-bridge and "
            "run's bridge collection do); run it as one process, without torchrun.")
    return resolve_device(device)


def device_map_option(value: str | None) -> str | None:
    """Validate ``--device-map`` (only ``auto`` or nothing)."""
    if value in (None, "", "none"):
        return None
    if value != "auto":
        raise SteerbridgeError(f"--device-map {value!r}: use auto (or leave it out).")
    return value
