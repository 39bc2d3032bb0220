"""Image files of every odd size and mode Pillow writes, and files that only look like images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# mode -> file format that stores it
MODES = {
    "1": "png",
    "L": "png",
    "LA": "png",
    "P": "png",
    "RGB": "png",
    "RGBA": "png",
    "I;16": "png",
    "I": "tif",
    "F": "tif",
    "CMYK": "jpg",
    "YCbCr": "jpg",
}
SIZES = [(1, 1), (1, 500), (500, 1), (3000, 2), (2, 3000), (37, 23)]  # (width, height)


def make(mode: str, size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A random image of this mode and size; wide modes use their whole range."""
    rng = np.random.default_rng(seed)
    w, h = size
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65535, (h, w), dtype=np.uint16))
    if mode == "I":
        return Image.fromarray(rng.integers(0, 2**20, (h, w), dtype=np.int32))
    if mode == "F":
        return Image.fromarray(rng.normal(0, 1000, (h, w)).astype(np.float32))
    rgb = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    if mode == "P":
        return rgb.convert("P", palette=Image.Palette.ADAPTIVE)
    return rgb.convert(mode)


def write_all(folder: Path) -> list[Path]:
    """One file per mode and size under `folder`; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for mode, ext in MODES.items():
        for i, size in enumerate(SIZES):
            path = folder / f"{mode.replace(';', '_')}-{size[0]}x{size[1]}.{ext}"
            make(mode, size, seed=i).save(path)
            paths.append(path)
    return paths


def write_special(folder: Path) -> dict[str, Path]:
    """Real images with awkward content: NaN and infinities, a flat field, an animation."""
    folder.mkdir(parents=True, exist_ok=True)
    nan = np.full((9, 9), np.nan, np.float32)
    nan[0, 0], nan[1, 1], nan[2, 2] = np.inf, -np.inf, 5.0
    flat = np.full((6, 6), 7, np.int32)
    frames = [Image.new("L", (8, 8), v) for v in (0, 128, 255)]
    files = {"nan-float": "nan.tif", "flat-wide": "flat.tif", "animated": "anim.gif"}
    paths = {k: folder / v for k, v in files.items()}
    Image.fromarray(nan).save(paths["nan-float"])
    Image.fromarray(flat).save(paths["flat-wide"])
    frames[0].save(paths["animated"], save_all=True, append_images=frames[1:])
    return paths


def write_junk(folder: Path) -> list[Path]:
    """Files that are not readable images, several named like images."""
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "good.png"
    make("L", (8, 8)).save(good)
    data = good.read_bytes()
    junk = {
        "empty.png": b"",
        "text.png": b"not an image at all\n",
        "cut-short.png": data[: len(data) // 2],
        "notes.txt": b"some notes",
        "header-only.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * 10,
    }
    paths = []
    for name, content in junk.items():
        (folder / name).write_bytes(content)
        paths.append(folder / name)
    good.unlink()
    return paths
