"""The optimiser and its learning-rate schedules over a run of `total` steps (`lr`: the peak).

`make_optimizer`: Adam, or AdamW with decoupled weight decay. The schedules:

- `onecycle`: PyTorch's OneCycleLR (Smith and Topin, 2018): the rate rises from lr/25 to lr
  over the first 30% of the steps and falls to lr/25e4 along a cosine; Adam's beta1 moves
  the opposite way between 0.95 and 0.85.
- `cosine`: a linear warm-up from 0 over the first WARMUP share of the steps, then a cosine
  down to 0 (Loshchilov and Hutter, 2017).
- `constant`: lr throughout.

Every schedule is a pure function of the step, so a seeded run repeats exactly.
"""

from __future__ import annotations

import math

import torch
from torch import nn

WARMUP = 0.05  # cosine: share of the steps spent warming up
PCT_START = 0.3  # onecycle: share of the steps spent rising


def make_optimizer(
    model: nn.Module, lr: float, device: torch.device, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """Adam, or AdamW with decoupled weight decay; the fused kernel where PyTorch has one
    (cpu, cuda), the same maths faster."""
    fused = device.type in ("cpu", "cuda")
    if weight_decay:
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=fused)
    return torch.optim.Adam(model.parameters(), lr=lr, fused=fused)


def total_norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    """One device tensor that is nan or inf when any of `tensors` holds nan or inf."""
    if hasattr(torch.nn.utils, "get_total_norm"):  # torch >= 2.6: one foreach kernel
        return torch.nn.utils.get_total_norm(tensors)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in tensors]))


def rising_share(name: str) -> float:
    """The share of a run's steps over which schedule `name` raises the learning rate."""
    return {"onecycle": PCT_START, "cosine": WARMUP}.get(name, 0.0)


def cosine_factor(step: int, total: int, warmup: float = WARMUP) -> float:
    """The cosine schedule's multiplier of lr after `step` of `total` steps (0 <= step <= total)."""
    ramp = max(1, round(warmup * total))
    if step < ramp:
        return (step + 1) / ramp
    progress = (step - ramp) / max(1, total - ramp)
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def make_scheduler(name: str, optimizer: torch.optim.Optimizer, total: int):
    """A scheduler to `.step()` after every optimiser step, or None for `constant`."""
    if name == "constant":
        return None
    if name == "onecycle":
        lr = optimizer.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=max(total, 2), pct_start=PCT_START
        )
    if name == "cosine":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: cosine_factor(step, total))
    raise ValueError(f"schedule must be one of onecycle, cosine, constant, not {name!r}.")
