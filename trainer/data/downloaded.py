"""Datasets torchvision downloads on first use into the per-user cache (trainer.paths)."""

from __future__ import annotations

import contextlib
import functools
import socket
import sys
from pathlib import Path
from urllib.error import URLError

import numpy as np
import torch

from trainer import paths
from trainer.data.base import INSTEAD, Dataset, DatasetError, register

DOWNLOAD_TIMEOUT_S = 30.0  # per network operation, so a dead network fails instead of hanging
# name -> (torchvision class, class names instead of torchvision's or None, (C, H, W), train count)
DOWNLOADED = {
    "mnist": ("MNIST", [str(d) for d in range(10)], (1, 28, 28), 60000),
    "fashion-mnist": ("FashionMNIST", None, (1, 28, 28), 60000),
    "kmnist": ("KMNIST", None, (1, 28, 28), 60000),
    "cifar10": ("CIFAR10", None, (3, 32, 32), 50000),
}


@contextlib.contextmanager
def _network_timeout():
    """Give downloads a socket timeout (urllib waits forever by default)."""
    old = socket.getdefaulttimeout()
    if old is None:
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def read(name: str, root: Path | None = None) -> Dataset:
    """Dataset `name` from torchvision, downloaded into `root` (default: the per-user cache)."""
    import torchvision.datasets

    root = root or paths.data_dir()
    cls_name, classes, _, _ = DOWNLOADED[name]
    cls = getattr(torchvision.datasets, cls_name)
    try:
        # torchvision prints download progress; keep stdout clean for `eval --json`.
        with _network_timeout(), contextlib.redirect_stdout(sys.stderr):
            parts = [cls(str(root), train=train, download=True) for train in (True, False)]
    except Exception as error:  # torchvision raises RuntimeError, URLError, OSError, asserts
        raise DatasetError(_why(name, root, error)) from error
    xs, ys = [], []
    for part in parts:
        images = torch.as_tensor(np.asarray(part.data))
        images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
        xs.append(images.to(torch.uint8).contiguous())  # kept as pixels
        ys.append(torch.as_tensor(part.targets, dtype=torch.int64))
    return Dataset(name, xs[0], xs[1], ys[0], ys[1], list(classes or parts[0].classes))


def _why(name: str, root: Path, error: Exception) -> str:
    """One sentence for a torchvision failure: offline, unwritable or damaged."""
    text = str(error)
    if isinstance(error, (URLError, TimeoutError)) or "Error downloading" in text:
        return (
            f"{name} could not be downloaded (no network?): {INSTEAD}, or copy its files to {root}."
        )
    if isinstance(error, OSError):
        reason = error.strerror or text
        return f"{name} could not be saved in {root} ({reason}): {INSTEAD}, or free that folder."
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return (
        f"{name} in {root} is incomplete or damaged ({first.rstrip('.')}): delete its folder "
        f"there so it downloads again, or {INSTEAD}."
    )


for _name, (_, _, _shape, _count) in DOWNLOADED.items():
    register(_name, functools.partial(read, _name), _shape, _count, offline=False)
