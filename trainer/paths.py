"""The per-user folder: settings, recovery file and the dataset download cache."""

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
