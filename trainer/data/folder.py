"""`folder:PATH`: every readable image under a folder, its top-level subfolders the classes.

`scan` says what a folder holds (how many images, their sizes and colour) from the files'
headers only, before `read` decodes them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from trainer.data.base import INSTEAD, Dataset, DatasetError, split

PREFIX = "folder:"
FOLDER_SIZE = 32  # default side of folder images
COLOUR_MODES = ("RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
REPORT_EVERY = 256  # scan: files between two progress reports


def _files(root: Path) -> list[Path]:
    """The files under `root`, hidden ones (and those in hidden folders) left out, sorted."""
    return sorted(
        p
        for p in root.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(root).parts) and p.is_file()
    )


def _missing(root: Path) -> DatasetError:
    return DatasetError(f"{PREFIX}{root} is not an existing folder: check the path, or {INSTEAD}.")


@dataclass
class FolderScan:
    """What a folder holds: `images` readable ones, `unreadable` other files, `sizes` (a
    Counter of (width, height)), `colour` of the images in colour, the `classes`."""

    root: Path
    images: int = 0
    unreadable: int = 0
    colour: int = 0
    sizes: Counter = field(default_factory=Counter)
    classes: list[str] = field(default_factory=list)

    def size_text(self) -> str:
        """ "28x28", or the commonest and the range when they differ."""
        if not self.sizes:
            return "no size"
        (w, h), _ = self.sizes.most_common(1)[0]
        if len(self.sizes) == 1:
            return f"{w}x{h}"
        return f"sizes from {min(self.sizes)[0]}x{min(self.sizes)[1]} to " \
               f"{max(self.sizes)[0]}x{max(self.sizes)[1]}, most {w}x{h}"  # fmt: skip

    def colour_text(self) -> str:
        if self.colour == self.images:
            return "colour"
        return "grey" if self.colour == 0 else f"{self.colour:,} colour, the rest grey"

    def describe(self) -> str:
        """One line such as "1,204 images · 28x28 · colour · 3 classes"."""
        parts = [f"{self.images:,} image{'s' * (self.images != 1)}"]
        if self.images:
            parts += [self.size_text(), self.colour_text()]
        if len(self.classes) > 1:
            parts.append(f"{len(self.classes)} classes")
        if self.unreadable:
            n = self.unreadable
            parts.append(f"{n:,} other file{'s' * (n != 1)} skipped")
        return " \u00b7 ".join(parts)


def _is_colour(image) -> bool:
    """Whether an opened (not decoded) image is in colour; a palette counts when its
    entries are not all grey."""
    if image.mode in ("P", "PA"):
        palette = image.getpalette() or []
        return any(len(set(palette[i : i + 3])) > 1 for i in range(0, len(palette) - 2, 3))
    return image.mode in COLOUR_MODES


def scan(root: Path, report: Callable[[float], None] | None = None) -> FolderScan:
    """Count the readable images under `root`, their sizes and colour, from their headers
    (Pillow's open without decoding the pixels). `report(fraction)` is called now and then."""
    from PIL import Image

    root = Path(root)
    if not root.is_dir():
        raise _missing(root)
    files = _files(root)
    found = FolderScan(root)
    classes = set()
    for i, path in enumerate(files):
        if report is not None and i % REPORT_EVERY == 0:
            report(i / len(files))
        try:
            with Image.open(path) as image:
                size, colour = image.size, _is_colour(image)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            found.unreadable += 1
            continue
        found.images += 1
        found.colour += colour
        found.sizes[size] += 1
        parts = path.relative_to(root).parts
        classes.add(parts[0] if len(parts) > 1 else root.name)
    found.classes = sorted(classes)
    return found


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
        raise _missing(root)
    files = _files(root)
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
