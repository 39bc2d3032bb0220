"""Datasets cached on disk as uint8 pixels, and the memory budget that decides whether a
dataset is held in RAM or memory-mapped from its cache file.

A cache is two files in trainer.paths.cache_dir(): `<key>.u8`, the images [N, C, H, W] as
uint8 with the training split first, and `<key>.json` (shape, split, labels, classes,
skipped files), written last, so a cache whose writing was interrupted is never read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re

import numpy as np
import torch

from trainer import paths
from trainer.data.base import Dataset, DatasetError, to_pixels

VERSION = 1  # part of every key: a new layout never reads an old cache
BUDGET_ENV = "LATENT_EXPLORER_MEMORY_BUDGET"  # bytes, or with a unit: 500M, 2G, 1.5GB
BUDGET_FRACTION = 0.25  # the default budget: this share of the machine's RAM
WRITE_CHUNK = 1 << 24  # bytes of images buffered before a write
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

_budget: int | None = None  # set_memory_budget's value, ahead of the environment
_opened: dict[tuple, Dataset] = {}  # caches opened in this process: (key, name, mapped) ->
OPENED = 4  # at most this many kept


def ram_bytes() -> int:
    """The machine's physical memory (8 GiB where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def parse_size(text: str | int) -> int:
    """Bytes from 123, "500M", "2G" or "1.5GB"; ValueError with one sentence otherwise."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)i?B?\s*", str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"the memory budget must be a size like 500M, 2G or 1.5GB, not {text!r}.")
    return int(float(match[1]) * UNITS[match[2].upper()])


def memory_budget() -> int:
    """Bytes of images a dataset may hold in RAM before it is memory-mapped instead:
    set_memory_budget's value, else $LATENT_EXPLORER_MEMORY_BUDGET, else a quarter of RAM."""
    if _budget is not None:
        return _budget
    text = os.environ.get(BUDGET_ENV)
    return parse_size(text) if text else int(BUDGET_FRACTION * ram_bytes())


def set_memory_budget(value: int | str | None) -> None:
    """Set the budget for this process (None: back to the environment's or the default)."""
    global _budget
    _budget = None if value is None else parse_size(value)


def key_of(*parts, listing=()) -> str:
    """A cache key from settings and a folder's (relative path, size, mtime_ns) listing."""
    digest = hashlib.sha256(json.dumps([VERSION, *parts]).encode())
    for rel, size, mtime in listing:
        digest.update(f"{rel}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()[:32]


class Writer:
    """Writes a cache image by image, buffered, to a file of its own until `finish`."""

    def __init__(self, key: str, shape: tuple[int, int, int]) -> None:
        self.key, self.shape = key, tuple(shape)
        self.folder = paths.cache_dir()
        self.part = self.folder / f"{key}.{os.getpid()}.part"
        self.count, self._buffer, self._bytes = 0, [], 0
        try:
            self._file = open(self.part, "wb")  # noqa: SIM115 (closed by finish or abort)
        except OSError as error:
            raise DatasetError(
                f"The dataset cache cannot be written in {self.folder} ({error.strerror}): "
                "free space there or set LATENT_EXPLORER_HOME to a folder you can write."
            ) from None

    def add(self, images: np.ndarray) -> None:
        """Images [n, C, H, W] (or one [C, H, W]) as uint8."""
        images = np.ascontiguousarray(images, dtype=np.uint8).reshape(-1, *self.shape)
        self._buffer.append(images)
        self.count += len(images)
        self._bytes += images.nbytes
        if self._bytes >= WRITE_CHUNK:
            self._flush()

    def _flush(self) -> None:
        for images in self._buffer:
            self._file.write(images.data)
        self._buffer, self._bytes = [], 0

    def finish(self, meta: dict) -> None:
        """Write the rest and the metadata (its labels, split and classes); the cache is whole."""
        try:
            self._flush()
            self._file.close()
            os.replace(self.part, self.folder / f"{self.key}.u8")
            meta = {**meta, "count": self.count, "shape": list(self.shape), "version": VERSION}
            tmp = self.folder / f"{self.key}.{os.getpid()}.json.part"
            tmp.write_text(json.dumps(meta))
            os.replace(tmp, self.folder / f"{self.key}.json")
        except OSError as error:
            self.abort()
            raise DatasetError(
                f"The dataset cache could not be written in {self.folder} ({error.strerror}): "
                "free space there and read the dataset again."
            ) from None

    def abort(self) -> None:
        """Forget what was written."""
        with contextlib.suppress(OSError):
            self._file.close()
        self.part.unlink(missing_ok=True)


def open_cache(key: str, name: str, budget: int | None = None) -> Dataset | None:
    """The cached dataset `key` (None when there is none, or it is incomplete): in RAM when
    its images fit the memory budget, memory-mapped from the file otherwise; opened once per
    process (`forget_opened` forgets them)."""
    folder = paths.cache_dir()
    try:
        meta = json.loads((folder / f"{key}.json").read_text())
        file = folder / f"{key}.u8"
        shape = (int(meta["count"]), *map(int, meta["shape"]))
        if meta.get("version") != VERSION or file.stat().st_size != int(np.prod(shape)):
            return None
        budget = memory_budget() if budget is None else budget
        mapped = file.stat().st_size > budget
        if (key, name, mapped) in _opened:
            return _opened[key, name, mapped]
        if mapped:  # copy-on-write: torch wants a writable array; the file is never written
            images = np.memmap(file, np.uint8, mode="c", shape=shape)
        else:
            images = np.fromfile(file, np.uint8).reshape(shape)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    x, n = torch.from_numpy(images), int(meta["train"])
    y = torch.tensor(meta["labels"], dtype=torch.int64)
    if len(_opened) >= OPENED:
        _opened.pop(next(iter(_opened)))
    _opened[key, name, mapped] = Dataset(name, x[:n], x[n:], y[:n], y[n:], list(meta["classes"]),
                   skipped=int(meta.get("skipped", 0)), mapped=mapped, reused=True,
                   cache_key=key)  # fmt: skip
    return _opened[key, name, mapped]


def forget_opened() -> None:
    """Forget the caches opened in this process (their files stay)."""
    _opened.clear()


def forget_others(key: str, owner: str) -> None:
    """Delete the caches of `owner` (a folder at one size and colour) other than `key`:
    what an earlier state of that folder left."""
    for meta_file in paths.cache_dir().glob("*.json"):
        if meta_file.stem == key:
            continue
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if json.loads(meta_file.read_text()).get("owner") == owner:
                meta_file.unlink()
                meta_file.with_suffix(".u8").unlink(missing_ok=True)


def spill(dataset: Dataset, key: str, budget: int | None = None) -> Dataset:
    """`dataset` through a cache file: the same images, memory-mapped when they exceed the
    budget (how a loaded dataset larger than the budget leaves RAM)."""
    found = open_cache(key, dataset.name, budget)
    if found is None:
        writer = Writer(key, dataset.shape)
        for part in (dataset.train_x, dataset.test_x):
            for start in range(0, len(part), 4096):
                writer.add(to_pixels(part[start : start + 4096]).numpy())
        labels = torch.cat([dataset.train_y, dataset.test_y]).tolist()
        writer.finish({"train": len(dataset.train_x), "labels": labels,
                       "classes": dataset.classes, "skipped": dataset.skipped})  # fmt: skip
        found = open_cache(key, dataset.name, budget)
        if found is None:
            raise DatasetError(
                f"The cache of {dataset.name} could not be read back: read it again."
            )
        found.reused = False
    found.factors, found.train_factors = dataset.factors, dataset.train_factors
    return found


def nbytes(dataset: Dataset) -> int:
    """Bytes the images of `dataset` take as uint8."""
    per = int(np.prod(dataset.shape))
    return per * (len(dataset.train_x) + len(dataset.test_x))
