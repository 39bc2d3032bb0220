"""The canvas to damage an image on (the denoise panel's), drawn by a PixelView.

The damaged image is layered: the clean image, the noise (a corrupted copy), an erased
mask (pixels shown clean again) and a paint layer (ink and its coverage) on top.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from explorer.widgets.image_io import accept_file_drag, dropped_file
from explorer.widgets.image_view import PixelView
from explorer.widgets.images import channels_last, squeeze

UNDO_DEPTH = 100
TOOLS = ("brush", "eraser", "text")


def segment_mask(shape, p0, p1, radius: float) -> np.ndarray:
    """Pixels the segment p0-p1 ((x, y) points) passes through, or whose centres lie within
    `radius` of it: a brush of any size always paints the pixels under the cursor."""
    py, px = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((px - x0) * dx + (py - y0) * dy) / max(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
    hit = np.hypot(px - (x0 + t * dx), py - (y0 + t * dy)) <= radius
    steps = np.linspace(0.0, 1.0, int(np.hypot(dx, dy) * 8) + 2)
    cols, rows = np.floor(x0 + steps * dx).astype(int), np.floor(y0 + steps * dy).astype(int)
    inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    hit[rows[inside], cols[inside]] = True
    return hit


class DamageCanvas(PixelView):
    """The damaged image: paint with the mouse, erase to clean, stamp text, undo, drop files."""

    changed = Signal()  # the damaged image changed
    fileDropped = Signal(str)  # a local file was dropped on the canvas
    smoothable = False  # a person paints its pixels: they stay sharp squares

    def __init__(self, parent=None, side: int = 220):
        super().__init__(parent, side)
        self.setObjectName("denoiseCanvas")
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # so Ctrl+Z reaches the panel
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.tool = "brush"
        self.brush_size = 1.0  # diameter in image pixels
        self.ink = np.ones(1, np.float32)  # the brush's value per channel
        self.text, self.text_opacity = "AE", 0.7
        self._undo: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._last: tuple[float, float] | None = None
        self._hover: QPointF | None = None
        self.set_clean(np.zeros((8, 8), np.float32))

    # -- state -----------------------------------------------------------------------------
    def set_clean(self, clean: np.ndarray, base: np.ndarray | None = None) -> None:
        """A new image: the damage layers and the undo history start empty."""
        self.clean = channels_last(clean).copy()
        self.base = self.clean.copy() if base is None else channels_last(base).copy()
        h, w, c = self.clean.shape
        self.paint = np.zeros((h, w, c), np.float32)
        self.alpha = np.zeros((h, w), np.float32)
        self.erased = np.zeros((h, w), bool)
        self.ink = np.resize(self.ink, c).astype(np.float32)
        self._undo.clear()
        self._changed()

    def set_base(self, base: np.ndarray) -> None:
        """Replace the noise layer (the corrupted clean image); painting stays on top."""
        self.base = channels_last(base).copy()
        self._changed()

    def image(self) -> np.ndarray:
        """The damaged image, float32 [H, W] or [H, W, C] in [0, 1]."""
        under = np.where(self.erased[..., None], self.clean, self.base)
        a = self.alpha[..., None]
        return squeeze(np.clip(a * self.paint + (1 - a) * under, 0.0, 1.0).astype(np.float32))

    def push_undo(self) -> None:
        self._undo.append((self.paint.copy(), self.alpha.copy(), self.erased.copy()))
        del self._undo[:-UNDO_DEPTH]

    def undo(self) -> None:
        if self._undo:
            self.paint, self.alpha, self.erased = self._undo.pop()
            self._changed()

    def clear(self) -> None:
        """Remove every stroke, stamp and erasure (undoable); the noise layer stays."""
        self.push_undo()
        self.paint[:] = 0
        self.alpha[:] = 0
        self.erased[:] = False
        self._changed()

    def _changed(self) -> None:
        self.set_image(self.image())
        self.changed.emit()

    # -- damage ----------------------------------------------------------------------------
    def paint_segment(self, p0, p1) -> None:
        """Brush or erase along p0-p1 (image coordinates (x, y)); one changed() per call."""
        hit = segment_mask(self.alpha.shape, p0, p1, self.brush_size / 2)
        if self.tool == "eraser":
            self.alpha[hit] = 0.0
            self.erased[hit] = True
        else:
            self.paint[hit] = self.ink
            self.alpha[hit] = 1.0
        self._changed()

    def stamp_text(self, text: str | None = None, opacity: float | None = None, at=None) -> None:
        """Stamp text as a watermark in the brush ink, centred at `at` (x, y) or the middle."""
        text = self.text if text is None else text
        opacity = self.text_opacity if opacity is None else opacity
        h, w = self.alpha.shape
        if not text.strip():
            return
        k = max(1, math.ceil(96 / min(h, w)))  # draw large, then average down: antialiased cover
        big = QImage(w * k, h * k, QImage.Format.Format_Grayscale8)
        big.fill(0)
        painter = QPainter(big)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont("Sans Serif")
        font.setBold(True)
        font.setPixelSize(max(1, round(0.55 * h * k)))
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(text)
        if width > 0.9 * w * k:
            font.setPixelSize(max(1, int(font.pixelSize() * 0.9 * w * k / width)))
            painter.setFont(font)
        cx, cy = (w / 2, h / 2) if at is None else at
        box = QRectF(-w * k, -h * k, 2 * w * k, 2 * h * k).translated(cx * k, cy * k)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        rows = np.frombuffer(big.constBits(), np.uint8).reshape(h * k, big.bytesPerLine())
        cover = rows[:, : w * k].reshape(h, k, w, k).mean(axis=(1, 3)) / 255.0
        self.push_undo()
        self.composite(cover.astype(np.float32) * float(opacity), self.ink)
        self._changed()

    def composite(self, cover: np.ndarray, ink: np.ndarray) -> None:
        """Lay `ink` over the paint layer with coverage `cover` [H, W] ("over" blending)."""
        t = cover[..., None]
        a = self.alpha[..., None]
        new = t + a * (1 - t)
        mixed = t * ink + a * (1 - t) * self.paint
        self.paint = np.where(new > 0, mixed / np.maximum(new, 1e-12), self.paint)
        self.alpha = new[..., 0]

    # -- mouse and drops -------------------------------------------------------------------
    def map_to_image(self, pos: QPointF) -> tuple[float, float]:
        """Widget position -> image (x, y); pixel (i, j) spans [j, j+1) x [i, i+1)."""
        rect = self.image_rect()
        w, h = self.alpha.shape[1], self.alpha.shape[0]
        return ((pos.x() - rect.x()) * w / rect.width(), (pos.y() - rect.y()) * h / rect.height())

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        p = self.map_to_image(event.position())
        if self.tool == "text":
            self.stamp_text(at=p)
            return
        self.push_undo()
        self._last = p
        self.paint_segment(p, p)

    def mouseMoveEvent(self, event) -> None:
        self._hover = event.position()
        if self._last is not None and event.buttons() & Qt.MouseButton.LeftButton:
            p = self.map_to_image(event.position())
            self.paint_segment(self._last, p)
            self._last = p
        else:
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()

    def paint_overlay(self, painter: QPainter) -> None:
        """The brush outline under the mouse."""
        if self._hover is None or self.tool == "text" or self.image_rect().isEmpty():
            return
        r = self.brush_size / 2 * self.image_rect().width() / self.alpha.shape[1]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for colour, width in ((QColor(0, 0, 0, 160), 3), (QColor(255, 200, 0), 1)):
            painter.setPen(QPen(colour, width))
            painter.drawEllipse(self._hover, r, r)

    def dragEnterEvent(self, event) -> None:
        accept_file_drag(event)

    def dropEvent(self, event) -> None:
        path = dropped_file(event)
        if path:
            self.fileDropped.emit(path)
