"""A safetensors file whose 8-byte header length starts 0x80 0x0N reads as what it is, not as
a pickle: a rerun that rewrote a kept vector of such a header size was refused (RESULTS §7m
session, caught re-running the ceiling check)."""

from __future__ import annotations

import torch
from safetensors.torch import save_file

from steerbridge.safeio import check_replace, sniff


def test_a_header_length_that_looks_like_a_pickle_mark_is_still_safetensors(tmp_path) -> None:
    path = tmp_path / "v.safetensors"
    for pad in range(400):  # grow the header until its length's low byte is 0x80
        save_file({"d": torch.zeros(3)}, str(path),
                  metadata={"format": "steerbridge.steering_vector", "pad": "x" * pad})
        head = path.read_bytes()[:2]
        if head[0] == 0x80 and head[1] <= 5:
            break
    else:
        raise AssertionError("no padding gave a 0x80 first byte")
    assert sniff(path) == "vector"
    check_replace(path, "vector")  # replacing it is allowed, no refusal
    pickled = tmp_path / "p.safetensors"
    pickled.write_bytes(b"\x80\x04\x95" + b"\x00" * 20)
    assert sniff(pickled) == "pickle"
