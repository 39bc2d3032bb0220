"""`folder:PATH`: every readable image under a folder, its top-level subfolders the classes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from trainer.data.base import INSTEAD, Dataset, DatasetError, split

PREFIX = "folder:"
FOLDER_SIZE = 32  # default side of folder images


def _read_image(path: Path, size: int, grey: bool) -> np.ndarray:
    """One image as uint8 [H, W] or [H, W, 3], centre-cropped to a square and resized."""
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("I", "F") or image.mode.startswith("I;16"):
            image = _wide_to_l(image)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            image = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
            image.alpha_composite(rgba)
        image = image.convert("L" if grey else "RGB")
        image = ImageOps.fit(image, (size, size), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


def _wide_to_l(image):
    """16-bit grey over its full range, 32-bit and float grey over their own: 8-bit grey
    (Pillow's own conversion clips them at 255, turning most images white)."""
    from PIL import Image

    array = np.nan_to_num(np.asarray(image, dtype=np.float64), posinf=0.0, neginf=0.0)
    low, top = (0.0, 65535.0) if image.mode.startswith("I;16") else (array.min(), array.max())
    scaled = (array - low) * (255.0 / max(top - low, 1e-12))
    return Image.fromarray(np.clip(np.round(scaled), 0, 255).astype(np.uint8))


def read(root: Path, size: int, grey: bool) -> Dataset:
    """Every readable image under `root` at size x size; top-level subfolders are the classes."""
    from PIL import Image

    name = f"{PREFIX}{root}"
    if not root.is_dir():
        raise DatasetError(f"{name} is not an existing folder: check the path, or {INSTEAD}.")
    files = sorted(
        p
        for p in root.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(root).parts) and p.is_file()
    )
    images, labels, skipped = [], [], 0
    for path in files:
        try:
            images.append(_read_image(path, size, grey))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            skipped += 1
            continue
        parts = path.relative_to(root).parts
        labels.append(parts[0] if len(parts) > 1 else root.name)
    if len(images) < 2:
        raise DatasetError(
            f"{name} has {len(images)} readable images ({skipped} unreadable files), "
            f"at least 2 are needed: add PNG or JPEG files, or {INSTEAD}."
        )
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    x = torch.from_numpy(np.stack(images)).float().div_(255)
    x = x.unsqueeze(1) if grey else x.permute(0, 3, 1, 2)
    y = torch.tensor([index[c] for c in labels], dtype=torch.int64)
    return replace(split(x.contiguous(), y, classes, name), skipped=skipped)
