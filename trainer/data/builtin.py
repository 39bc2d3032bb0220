"""digits: scikit-learn's 8 x 8 handwritten digits divided by 16, shipped in resources/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from trainer.data.base import Dataset, register, split

DIGITS_FILE = Path(__file__).resolve().parents[2] / "resources" / "digits.npz"
CLASSES = [str(d) for d in range(10)]


def digits(root: Path | None = None) -> Dataset:
    """scikit-learn's digits /16 (as uint8 pixels) and their split, from the copy the app ships."""
    with np.load(DIGITS_FILE) as f:
        # 0..16 as uint8 pixels 0..255 (within half a step of value / 16)
        x = torch.from_numpy(np.round(f["images"] * (255 / 16)).astype(np.uint8)).unsqueeze(1)
        y = torch.from_numpy(f["target"]).long()
        train, test = torch.from_numpy(f["train"]), torch.from_numpy(f["test"])
    return Dataset("digits", x[train], x[test], y[train], y[test], CLASSES)


def write_digits_file(path: Path = DIGITS_FILE) -> None:
    """Build the shipped digits file from scikit-learn (the app starts without importing it)."""
    from sklearn.datasets import load_digits

    loaded = load_digits()
    y = torch.from_numpy(loaded.target).long()
    parts = split(torch.arange(len(y)).view(-1, 1), y, CLASSES, "digits")
    np.savez_compressed(
        path,
        images=loaded.images.astype(np.uint8),
        target=loaded.target.astype(np.uint8),
        train=parts.train_x.view(-1).numpy(),
        test=parts.test_x.view(-1).numpy(),
    )


register("digits", digits, (1, 8, 8), 1438)
