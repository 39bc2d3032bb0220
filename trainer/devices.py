"""Where a run computes: the device a name picks, and whether an error is a lack of memory."""

from __future__ import annotations

import torch

ALL_GPUS = "cuda-all"  # the device setting that trains on every GPU, one rank each


def device_choices(cuda_count: int, cuda_name: str = "", mps: bool = False) -> list:
    """(label, device) for the device menu, best first: CUDA, all GPUs when there are
    several, MPS, the CPU."""
    found = [(f"CUDA ({cuda_name})", "cuda")] if cuda_count else []
    if cuda_count > 1:
        found.append((f"All {cuda_count} GPUs", ALL_GPUS))
    if mps:
        found.append(("MPS (Apple GPU)", "mps"))
    return [*found, ("CPU", "cpu")]


def resolve_device(name: str) -> torch.device:
    """`auto` picks cuda, then mps, then cpu; an unavailable device is a ValueError."""
    cuda = torch.cuda.is_available()
    mps = torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if name == ALL_GPUS:  # one rank per GPU (trainer/distributed.py); each on its own
        name = "cuda"
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise ValueError(f"device {name} is not available on this machine: use auto or cpu.")
    return torch.device(name)


def out_of_memory(error: BaseException) -> bool:
    """Whether an exception is an allocator's refusal (CPU, CUDA or MPS)."""
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(error).lower()
    return any(m in text for m in ("out of memory", "can't allocate memory", "cannot allocate"))
