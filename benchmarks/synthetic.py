"""Synthetic datasets for the benchmarks (no download, no Qt: training processes load them
by name, e.g. `trainer.runner.start(..., load="synthetic:load_digits_28")`)."""

from __future__ import annotations

import functools

import torch

from trainer.data import Dataset


@functools.lru_cache(maxsize=2)
def synthetic_digits(n_train: int = 4000, n_test: int = 10_000, seed: int = 0) -> Dataset:
    """10 classes of 28x28 grey images: a blurred blob whose place depends on the class."""
    g = torch.Generator().manual_seed(seed)
    n = n_train + n_test
    y = torch.randint(0, 10, (n,), generator=g)
    angle = y * (2 * torch.pi / 10) + 0.3 * torch.randn(n, generator=g)
    cy, cx = 14 + 8 * torch.sin(angle), 14 + 8 * torch.cos(angle)
    grid = torch.arange(28.0)
    blob = torch.exp(
        -(
            (grid[None, :, None] - cy[:, None, None]) ** 2
            + (grid[None, None] - cx[:, None, None]) ** 2
        )
        / 18.0
    )
    x = (blob + 0.1 * torch.rand(n, 28, 28, generator=g)).clamp(0, 1)[:, None]
    return Dataset(
        name="synthetic-28",
        train_x=x[:n_train],
        test_x=x[n_train:],
        train_y=y[:n_train],
        test_y=y[n_train:],
        classes=[str(c) for c in range(10)],
    )


def load_digits_28(_name: str = "synthetic-28") -> Dataset:
    """The loader a training process calls (the dataset name is ignored)."""
    return synthetic_digits()
