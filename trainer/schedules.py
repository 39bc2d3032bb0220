"""Learning-rate schedules over a run of `total` optimiser steps; `lr` is the peak rate.

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

WARMUP = 0.05  # cosine: share of the steps spent warming up
PCT_START = 0.3  # onecycle: share of the steps spent rising


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
