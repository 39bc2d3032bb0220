"""The dataset catalogue: each dataset as uint8 image tensors with labels and class names.

One registry (trainer/data/base.py, `register`): `builtin` (digits), `shapes` (shapes and
shapes-colour), `downloaded` (the torchvision sets) each register their datasets when
imported below; a folder of images is `folder:PATH` (trainer/data/folder.py), cached on disk
(trainer/data/cache.py). A dataset whose images exceed the memory budget
(`cache.memory_budget()`) is memory-mapped from a cache file instead of held in RAM. A new
dataset is one module that calls `register`, and its import here.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

from models.colour import luminance
from trainer.data import builtin, cache, downloaded, folder, shapes  # each registers its sets
from trainer.data.base import SOURCES, Dataset, DatasetError, as_float, register, to_pixels
from trainer.data.cache import memory_budget, set_memory_budget
from trainer.data.folder import FOLDER_SIZE, PREFIX

__all__ = [  # the modules too: importing them is what fills the catalogue
    "FOLDER_SIZE",
    "SOURCES",
    "Dataset",
    "DatasetError",
    "as_float",
    "clear_cache",
    "load",
    "load_for",
    "memory_budget",
    "names",
    "options",
    "register",
    "set_memory_budget",
    "shape_and_size",
    "to_pixels",
    "builtin",
    "cache",
    "downloaded",
    "folder",
    "shapes",
]

SIZES = (4, 512)  # allowed range of `size`
CONVERT_CHUNK = 4096  # images resized or recoloured at once


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


def load(
    name: str,
    root=None,
    size: int | None = None,
    grey: bool | None = None,
    progress=None,
    cancel=None,
    budget: int | None = None,
) -> Dataset:
    """The dataset `name`, loaded once and then served from memory (do not modify its tensors).

    `root` is the download folder of torchvision datasets (default: the per-user cache).
    `size` resizes images to size x size and `grey` turns them grey (True) or colour (False);
    None keeps a dataset's own, except folders, which default to 32 x 32 grey. A folder is
    read through its disk cache, `progress(done, total)` told and the threading.Event
    `cancel` checked as its files are read. Images beyond `budget` bytes (default:
    `memory_budget()`) are memory-mapped from a cache file.
    """
    if size is not None and (
        not isinstance(size, int) or isinstance(size, bool) or not SIZES[0] <= size <= SIZES[1]
    ):
        raise DatasetError(
            f"size must be a whole number from {SIZES[0]} to {SIZES[1]}, not {size!r}."
        )
    budget = memory_budget() if budget is None else budget
    if isinstance(name, str) and name.startswith(PREFIX):
        path = Path(name.removeprefix(PREFIX)).expanduser().resolve()
        grey = True if grey is None else bool(grey)
        return folder.read(path, size or FOLDER_SIZE, grey, progress, cancel, budget)
    if name not in SOURCES:
        raise DatasetError(
            f"There is no dataset called {name!r}: use one of {', '.join(names())}, "
            "or folder:PATH for a folder of images."
        )
    return _cached(name, None if root is None else str(root), size, grey, budget)


GREY = {"own": None, "grey": True, "colour": False}  # TrainConfig.channels -> load's grey


def options(config) -> dict:
    """load()'s size and grey from a TrainConfig's (or parsed arguments') size and channels;
    {} when both keep the dataset's own."""
    size, channels = getattr(config, "size", 0) or None, getattr(config, "channels", "own")
    found = {"size": size, "grey": GREY.get(channels or "own")}
    return {k: v for k, v in found.items() if v is not None}


def load_for(name: str, input_shape) -> Dataset:
    """The dataset `name` at a model's (C, H, W): how a checkpoint's data is reopened.

    A folder is read at the model's size and channels, and so is a catalogue dataset the
    model was trained on resized or recoloured (`--size`, `--grey`, `--colour`).
    """
    channels, height, width = (int(v) for v in input_shape)
    if name.startswith(PREFIX):
        return load(name, size=height, grey=channels == 1)
    loaded = load(name)
    if tuple(loaded.shape) == (channels, height, width):
        return loaded
    if height != width or channels not in (1, 3) or not SIZES[0] <= height <= SIZES[1]:
        raise DatasetError(
            f"The model takes {channels}x{height}x{width} images but {name} has "
            f"{'x'.join(map(str, loaded.shape))} images: it was not trained on {name}."
        )
    size = None if (height, width) == tuple(loaded.shape[1:]) else height
    return load(name, size=size, grey=channels == 1)


def clear_cache() -> None:
    """Forget every loaded dataset (a folder's disk cache stays, and is reused while the
    folder is unchanged)."""
    _cached.cache_clear()
    _raw.cache_clear()
    cache.forget_opened()


@functools.lru_cache(maxsize=8)
def _cached(name: str, root: str | None, size: int | None, grey: bool | None, budget: int):
    loaded = _adapt(_raw(name, root), size, grey)  # shares the raw tensors when nothing changes
    if cache.nbytes(loaded) <= budget:
        return loaded
    _raw.cache_clear()  # beyond the budget: the images leave RAM for a memory-mapped file
    return cache.spill(loaded, cache.key_of(name, root, size, grey), budget)


@functools.lru_cache(maxsize=4)
def _raw(name: str, root: str | None) -> Dataset:
    return SOURCES[name].read(Path(root) if root else None)


def _adapt(data: Dataset, size: int | None, grey: bool | None) -> Dataset:
    """Resize and convert channels as asked, a chunk of images at a time (uint8 stays
    uint8); unchanged when nothing is asked."""
    channels = data.shape[0]
    recolour = (grey is True and channels == 3) or (grey is False and channels == 1)
    if not recolour and (size is None or tuple(data.shape[1:]) == (size, size)):
        return data

    def convert(x: torch.Tensor) -> torch.Tensor:
        if grey is True and x.shape[1] == 3:
            x = luminance(x)
        elif grey is False and x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        if size is not None and tuple(x.shape[2:]) != (size, size):
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
            x = x.clamp_(0, 1)
        return x

    def each(x: torch.Tensor) -> torch.Tensor:
        parts = [
            convert(as_float(x[i : i + CONVERT_CHUNK])) for i in range(0, len(x), CONVERT_CHUNK)
        ]
        out = torch.cat(parts) if parts else convert(as_float(x))
        return (to_pixels(out) if x.dtype == torch.uint8 else out).contiguous()

    return replace(data, train_x=each(data.train_x), test_x=each(data.test_x))
