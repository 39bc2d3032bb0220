"""Image helpers: float arrays to uint8 and QImage, grids and strips of tiles, PNG/GIF export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtGui import QImage

from explorer.widgets.exports import with_suffix


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] -> uint8, same shape."""
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def to_qimage(img: np.ndarray) -> QImage:
    """[H, W] or [H, W, 3] float image in [0, 1] -> a QImage that owns its pixels."""
    a = np.ascontiguousarray(to_uint8(img))
    h, w = a.shape[:2]
    fmt = QImage.Format.Format_Grayscale8 if a.ndim == 2 else QImage.Format.Format_RGB888
    return QImage(a.data, w, h, a.strides[0], fmt).copy()


def channels_last(img: np.ndarray) -> np.ndarray:
    """[H, W] -> [H, W, 1]; [H, W, C] unchanged; float32."""
    img = np.asarray(img, dtype=np.float32)
    return img[..., None] if img.ndim == 2 else img


def squeeze(img: np.ndarray) -> np.ndarray:
    """[H, W, 1] -> [H, W]: the shape the panels hand out."""
    return img[..., 0] if img.shape[-1] == 1 else img


def tile(images: np.ndarray, cols: int | None = None, pad: int = 1, fill: float = 0.35):
    """[N, H, W(, C)] -> one grid image, `cols` per row (all in one row by default)."""
    images = np.asarray(images, dtype=np.float32)
    n, h, w = images.shape[:3]
    cols = n if cols is None else max(1, cols)
    rows = -(-n // cols)
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, *images.shape[3:]), fill)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        out[y : y + h, x : x + w] = img
    return out.astype(np.float32)


def cell_at(row: float, col: float, shape: tuple, cols: int, pad: int = 1) -> tuple[int, int]:
    """Grid (row, col) of the tile under pixel (row, col) of a `tile` image of [H, W] tiles."""
    h, w = shape[:2]
    return int((row - pad) // (h + pad)), int((col - pad) // (w + pad))


def enlarge(img: np.ndarray, min_side: int = 128) -> np.ndarray:
    """Nearest-neighbour upscale by a whole factor so the shorter side is at least min_side."""
    k = max(1, -(-min_side // min(img.shape[:2])))
    return img.repeat(k, axis=0).repeat(k, axis=1)


def save_png(path, img: np.ndarray, min_side: int = 0) -> Path:
    """Save a float image in [0, 1] as PNG (optionally enlarged); returns the path (".png"
    added to a name without it)."""
    path = with_suffix(path, ".png")
    Image.fromarray(to_uint8(enlarge(img, min_side) if min_side else img)).save(path)
    return path


def save_gif(path, frames: np.ndarray, ms: int = 100, min_side: int = 112) -> Path:
    """Save [N, H, W(, C)] frames in [0, 1] as a looping animated GIF (".gif" added)."""
    path = with_suffix(path, ".gif")
    ims = [Image.fromarray(to_uint8(enlarge(f, min_side))) for f in frames]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=ms, loop=0)
    return path
