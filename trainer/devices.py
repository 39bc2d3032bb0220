"""Where a run computes: the device a name picks, and whether an error is a lack of memory."""

from __future__ import annotations

import torch


def resolve_device(name: str) -> torch.device:
    """`auto` picks cuda, then mps, then cpu; an unavailable device is a ValueError."""
    cuda = torch.cuda.is_available()
    mps = torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise ValueError(f"device {name} is not available on this machine: use auto or cpu.")
    return torch.device(name)


def out_of_memory(error: BaseException) -> bool:
    """Whether an exception is an allocator's refusal (CPU, CUDA or MPS)."""
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(error).lower()
    return any(m in text for m in ("out of memory", "can't allocate memory", "cannot allocate"))
