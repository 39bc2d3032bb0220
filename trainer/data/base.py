"""What every dataset module shares: the Dataset type, DatasetError, the fixed split, and the
registry that `register` fills (trainer/data/__init__.py serves the datasets from it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

SPLIT_SEED = 0
TEST_FRACTION = 0.2
INSTEAD = "use digits or shapes, which ship with the app"


@dataclass
class Dataset:
    """Train and test images (float32 [N, C, H, W] in [0, 1], CPU) with int64 labels."""

    name: str
    train_x: torch.Tensor
    test_x: torch.Tensor
    train_y: torch.Tensor
    test_y: torch.Tensor
    classes: list[str]
    factors: dict[str, torch.Tensor] | None = None  # known generative factors, test split
    skipped: int = 0  # unreadable files in a folder dataset
    train_factors: dict[str, torch.Tensor] | None = None  # the same for the train split

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])


class DatasetError(ValueError):
    """A dataset that can't be had; the message says which, why and what to use instead."""


@dataclass(frozen=True)
class Source:
    """A registered dataset: how to read it, and what it holds before it is read (the form
    and the recipes need its shape and size without loading it)."""

    name: str
    read: Callable[[Path | None], Dataset]  # the download folder (None: the per-user one)
    shape: tuple[int, int, int]  # (C, H, W) as it loads
    train_count: int  # training images
    offline: bool  # ships with the app, or is made by it: no download


SOURCES: dict[str, Source] = {}  # in the order the catalogue lists them


def register(name: str, read, shape, train_count: int, offline: bool = True) -> None:
    """Add a dataset to the catalogue: `read(root)` returns it as a Dataset at its own size."""
    SOURCES[name] = Source(name, read, tuple(shape), train_count, offline)


def split(x: torch.Tensor, y: torch.Tensor, classes: list[str], name: str) -> Dataset:
    """A fixed train/test split, stratified by label where every class has two examples."""
    counts = torch.bincount(y, minlength=len(classes))
    n_test = max(1, round(len(y) * TEST_FRACTION))
    fits = counts.min() >= 2 and min(n_test, len(y) - n_test) >= len(classes)
    stratify = y.numpy() if fits else None
    from sklearn.model_selection import train_test_split  # here: scikit-learn is slow to import

    train, test = train_test_split(
        np.arange(len(y)), test_size=n_test, random_state=SPLIT_SEED, stratify=stratify
    )
    train, test = torch.from_numpy(train), torch.from_numpy(test)
    return Dataset(name, x[train], x[test], y[train], y[test], classes)
