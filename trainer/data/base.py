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


def as_float(x: torch.Tensor, device=None, non_blocking: bool = False) -> torch.Tensor:
    """Images as float32 in [0, 1] on `device` (default: where they are): uint8 pixels are
    copied there as they are and divided by 255 there; float images are only moved."""
    if x.dtype == torch.uint8:
        x = x.to(device or x.device, non_blocking=non_blocking)
        return x.to(torch.float32).div_(255)
    return x.to(device or x.device, torch.float32, non_blocking=non_blocking)


def to_pixels(x: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1] as uint8 pixels (rounded; out-of-range values clipped)."""
    if x.dtype == torch.uint8:
        return x
    return x.detach().clamp(0, 1).mul(255).round_().to(torch.uint8)


@dataclass
class Dataset:
    """Train and test images [N, C, H, W] on the CPU with int64 labels.

    Every catalogue dataset stores uint8 pixels (a quarter of float32's memory); consumers
    take floats in [0, 1] a batch at a time with `as_float`, which also passes float images
    (tests and benchmarks may build a Dataset of float32 in [0, 1]) through. `mapped` says
    the images are a memory-mapped cache file (trainer.data.cache) rather than in RAM.
    """

    name: str
    train_x: torch.Tensor
    test_x: torch.Tensor
    train_y: torch.Tensor
    test_y: torch.Tensor
    classes: list[str]
    factors: dict[str, torch.Tensor] | None = None  # known generative factors, test split
    skipped: int = 0  # unreadable files in a folder dataset
    train_factors: dict[str, torch.Tensor] | None = None  # the same for the train split
    mapped: bool = False  # the images are read from a memory-mapped file, not held in RAM
    reused: bool = False  # a folder's cache file was reused rather than built
    cache_key: str = ""  # the cache file it was read from (trainer.data.cache), if any

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


def split_indices(y: torch.Tensor, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed train/test split of labels y: (train, test) indices, stratified by label
    where every class has two examples."""
    counts = torch.bincount(y, minlength=n_classes)
    n_test = max(1, round(len(y) * TEST_FRACTION))
    fits = counts.min() >= 2 and min(n_test, len(y) - n_test) >= n_classes
    stratify = y.numpy() if fits else None
    from sklearn.model_selection import train_test_split  # here: scikit-learn is slow to import

    return train_test_split(
        np.arange(len(y)), test_size=n_test, random_state=SPLIT_SEED, stratify=stratify
    )


def split(x: torch.Tensor, y: torch.Tensor, classes: list[str], name: str) -> Dataset:
    """A fixed train/test split (`split_indices`) of images x and labels y."""
    train, test = (torch.from_numpy(i) for i in split_indices(y, len(classes)))
    return Dataset(name, x[train], x[test], y[train], y[test], classes)
