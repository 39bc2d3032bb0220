"""Image helpers shared by the panels: a cheap image view, grids and strips, PNG/GIF export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PIL import Image
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QSizePolicy


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] -> uint8, same shape."""
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def to_qimage(img: np.ndarray) -> QImage:
    """[H, W] or [H, W, 3] float image in [0, 1] -> a QImage that owns its pixels."""
    a = np.ascontiguousarray(to_uint8(img))
    h, w = a.shape[:2]
    fmt = QImage.Format.Format_Grayscale8 if a.ndim == 2 else QImage.Format.Format_RGB888
    return QImage(a.data, w, h, a.strides[0], fmt).copy()


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
    """Save a float image in [0, 1] as PNG (optionally enlarged); returns the path."""
    path = Path(path)
    Image.fromarray(to_uint8(enlarge(img, min_side) if min_side else img)).save(path)
    return path


def save_gif(path, frames: np.ndarray, ms: int = 100, min_side: int = 112) -> Path:
    """Save [N, H, W(, C)] frames in [0, 1] as a looping animated GIF."""
    path = Path(path)
    ims = [Image.fromarray(to_uint8(enlarge(f, min_side))) for f in frames]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=ms, loop=0)
    return path


class ImageView(pg.GraphicsView):
    """One image in [0, 1], aspect locked; `set_image` only swaps the pixels (levels fixed)."""

    pixelClicked = Signal(float, float)  # (row, col) in image pixels, left button

    def __init__(self, parent=None, min_side: int = 96):
        super().__init__(parent)
        self.setMinimumSize(min_side, min_side)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.vb = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.vb.setMenuEnabled(False)
        self.vb.setDefaultPadding(0.0)
        self.setCentralItem(self.vb)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setLevels((0.0, 1.0))
        self.vb.addItem(self.item)
        self._shape: tuple | None = None
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_image(self, img: np.ndarray) -> None:
        """Show `img` ([H, W] or [H, W, 3], float in [0, 1]); re-fits the view on a new shape."""
        self.item.setImage(img, autoLevels=False, levels=(0.0, 1.0))
        if img.shape != self._shape:
            self._shape = img.shape
            self.vb.autoRange(padding=0.0)

    def clear(self) -> None:
        self.item.clear()
        self._shape = None

    def _clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self._shape is None:
            return
        p = self.item.mapFromScene(ev.scenePos())
        if 0 <= p.y() < self._shape[0] and 0 <= p.x() < self._shape[1]:
            self.pixelClicked.emit(p.y(), p.x())
