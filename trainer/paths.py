"""The per-user folder: settings, recovery file, the dataset download cache and the folder
dataset cache."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """`LATENT_EXPLORER_HOME`, or `~/.latent-explorer`; created on demand."""
    path = Path(os.environ.get("LATENT_EXPLORER_HOME") or Path.home() / ".latent-explorer")
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Where torchvision datasets are downloaded to."""
    path = home() / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Where folder datasets are cached as uint8 image files (trainer/data/cache.py)."""
    path = home() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
