"""The dataset catalogue: each dataset as in-memory float tensors with labels and class names.

One registry (trainer/data/base.py, `register`): `builtin` (digits), `shapes` (shapes and
shapes-colour), `downloaded` (the torchvision sets) each register their datasets when
imported below; a folder of images is `folder:PATH` (trainer/data/folder.py). A new dataset
is one module that calls `register`, and its import here.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

from models.colour import luminance
from trainer.data import builtin, downloaded, folder, shapes  # each registers its datasets
from trainer.data.base import SOURCES, Dataset, DatasetError, register
from trainer.data.folder import FOLDER_SIZE, PREFIX

__all__ = [  # the modules too: importing them is what fills the catalogue
    "FOLDER_SIZE",
    "SOURCES",
    "Dataset",
    "DatasetError",
    "clear_cache",
    "load",
    "load_for",
    "names",
    "register",
    "shape_and_size",
    "builtin",
    "downloaded",
    "folder",
    "shapes",
]

SIZES = (4, 512)  # allowed range of `size`


def names() -> list[str]:
    """The catalogue, the sets that ship with the app first (a folder of images is
    `folder:PATH` on top of these)."""
    return sorted(SOURCES, key=lambda name: not SOURCES[name].offline)


def shape_and_size(name: str) -> tuple[tuple[int, int, int], int | None]:
    """(C, H, W) and training images of a dataset before it is loaded; a folder (or a name
    the catalogue lacks) is FOLDER_SIZE square grey, its number of images unknown."""
    source = SOURCES.get(name)
    if source is None:
        return (1, FOLDER_SIZE, FOLDER_SIZE), None
    return source.shape, source.train_count


def load(name: str, root=None, size: int | None = None, grey: bool | None = None) -> Dataset:
    """The dataset `name`, loaded once and then served from memory (do not modify its tensors).

    `root` is the download folder of torchvision datasets (default: the per-user cache).
    `size` resizes images to size x size and `grey` turns them grey (True) or colour (False);
    None keeps a dataset's own, except folders, which default to 32 x 32 grey.
    """
    if size is not None and (
        not isinstance(size, int) or isinstance(size, bool) or not SIZES[0] <= size <= SIZES[1]
    ):
        raise DatasetError(
            f"size must be a whole number from {SIZES[0]} to {SIZES[1]}, not {size!r}."
        )
    if isinstance(name, str) and name.startswith(PREFIX):
        path = Path(name.removeprefix(PREFIX)).expanduser().resolve()
        grey = True if grey is None else bool(grey)
        return _cached(f"{PREFIX}{path}", None, size or FOLDER_SIZE, grey)
    if name not in SOURCES:
        raise DatasetError(
            f"There is no dataset called {name!r}: use one of {', '.join(names())}, "
            "or folder:PATH for a folder of images."
        )
    return _cached(name, None if root is None else str(root), size, grey)


def load_for(name: str, input_shape) -> Dataset:
    """The dataset `name` at a model's (C, H, W): how a checkpoint's data is reopened.

    A folder is read at the model's size and channels; a built-in dataset must already match.
    """
    channels, height, _ = (int(v) for v in input_shape)
    if name.startswith(PREFIX):
        return load(name, size=height, grey=channels == 1)
    loaded = load(name)
    if tuple(loaded.shape) != (channels, height, int(input_shape[2])):
        raise DatasetError(
            f"The model takes {channels}x{height}x{input_shape[2]} images but {name} has "
            f"{'x'.join(map(str, loaded.shape))} images: it was not trained on {name}."
        )
    return loaded


def clear_cache() -> None:
    """Forget every loaded dataset (a folder is cached by its path: re-read it after a change)."""
    _cached.cache_clear()
    _raw.cache_clear()


@functools.lru_cache(maxsize=8)
def _cached(name: str, root: str | None, size: int | None, grey: bool | None) -> Dataset:
    if name.startswith(PREFIX):
        return folder.read(Path(name.removeprefix(PREFIX)), size, grey)
    return _adapt(_raw(name, root), size, grey)  # shares the raw tensors when nothing changes


@functools.lru_cache(maxsize=4)
def _raw(name: str, root: str | None) -> Dataset:
    return SOURCES[name].read(Path(root) if root else None)


def _adapt(data: Dataset, size: int | None, grey: bool | None) -> Dataset:
    """Resize and convert channels as asked; unchanged when nothing is asked."""

    def convert(x: torch.Tensor) -> torch.Tensor:
        if grey is True and x.shape[1] == 3:
            x = luminance(x)
        elif grey is False and x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        if size is not None and tuple(x.shape[2:]) != (size, size):
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
            x = x.clamp_(0, 1)
        return x.contiguous()

    return replace(data, train_x=convert(data.train_x), test_x=convert(data.test_x))
