"""`folder:PATH`: every readable image under a folder, its top-level subfolders the classes.

`scan` says what a folder holds (how many images, their sizes and colour) from the files'
headers only, before `read` decodes them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from trainer.data import cache
from trainer.data.base import INSTEAD, Dataset, DatasetError, split_indices

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


def listing(root: Path, cancel=None) -> list[tuple[Path, str, int, int]]:
    """Every file under `root` but hidden ones, sorted: (path, relative path, size, mtime_ns)."""
    found = []
    for path in root.rglob("*"):
        if cancel is not None and cancel.is_set():
            raise DatasetError(f"Reading {PREFIX}{root} was cancelled: nothing was cached.")
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            found.append((path, rel.as_posix(), stat.st_size, stat.st_mtime_ns))
    return sorted(found, key=lambda item: item[1])


def read(root: Path, size: int, grey: bool, progress=None, cancel=None, budget=None) -> Dataset:
    """Every readable image under `root` at size x size; top-level subfolders are the classes.

    The images are cached as uint8 (trainer.data.cache) under a key made of every file's
    relative path, size and mtime and of `size` and `grey`: an unchanged folder is read
    from its cache (in RAM, or memory-mapped beyond the memory budget `budget`), a changed
    one again. `progress(done, total)` is told as files are read; setting the
    threading.Event `cancel` stops the reading with a DatasetError.
    """
    name = f"{PREFIX}{root}"
    if not root.is_dir():
        raise _missing(root)
    files = listing(root, cancel)
    key = cache.key_of("folder", size, bool(grey), listing=[f[1:] for f in files])
    found = cache.open_cache(key, name, budget)
    if found is not None:
        return found
    writer = cache.Writer(key, (1 if grey else 3, size, size))
    try:
        meta = _read_all(root, files, size, grey, writer, progress, cancel)
    except BaseException:
        writer.abort()
        raise
    writer.finish({**meta, "owner": f"{root}|{size}|{bool(grey)}"})
    cache.forget_others(key, f"{root}|{size}|{bool(grey)}")
    found = cache.open_cache(key, name, budget)
    if found is None:
        raise DatasetError(f"The cache of {name} could not be read back: read it again.")
    found.reused = False
    return found


def _label(root: Path, rel: str) -> str:
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else root.name


def _read_all(root, files, size, grey, writer, progress, cancel) -> dict:
    """Read `files` in the order of the fixed split (training images first) into `writer`;
    the split is drawn over every file's label, and unreadable files drop out of it."""
    from PIL import Image

    name = f"{PREFIX}{root}"
    labels = [_label(root, rel) for _, rel, _, _ in files]
    every = sorted(set(labels))
    index = {c: i for i, c in enumerate(every)}
    if len(files) >= 2:
        y = torch.tensor([index[c] for c in labels], dtype=torch.int64)
        train, test = split_indices(y, len(every))
        order, planned = np.concatenate([train, test]), len(train)
    else:
        order, planned = np.arange(len(files)), len(files)
    kept, n_train, skipped = [], 0, 0
    step = max(1, len(order) // 200)
    for done, i in enumerate(order, start=1):
        if cancel is not None and cancel.is_set():
            raise DatasetError(
                f"Reading {name} was cancelled after {done - 1} of {len(order)} files: "
                "nothing was cached; read it again to start over."
            )
        try:
            image = _read_image(files[i][0], size, grey)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            skipped += 1
        else:
            writer.add(image[None] if grey else image.transpose(2, 0, 1))
            kept.append(labels[i])
            n_train += done <= planned
        if progress is not None and (done % step == 0 or done == len(order)):
            progress(done, len(order))
    if len(kept) < 2:
        raise DatasetError(
            f"{name} has {len(kept)} readable images ({skipped} unreadable files), "
            f"at least 2 are needed: add PNG or JPEG files, or {INSTEAD}."
        )
    n_train = min(max(n_train, 1), len(kept) - 1)  # both splits keep an image
    classes = sorted(set(kept))
    ids = {c: i for i, c in enumerate(classes)}
    return {"train": n_train, "labels": [ids[c] for c in kept], "classes": classes,
            "skipped": skipped}  # fmt: skip
