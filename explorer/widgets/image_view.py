"""The two image views: `ImageView` (pyqtgraph: fast pixel swaps, clicks in image pixels) for
decoded images, strips and grids, and `PixelView` (a plain widget: the image blown up by a whole
factor, square sharp pixels) under the damage canvas and beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from explorer.widgets.images import channels_last, squeeze, to_qimage


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


class PixelView(QWidget):
    """One image in [0, 1], centred, blown up by a whole factor (pixels stay square and sharp)."""

    def __init__(self, parent=None, side: int = 220):
        super().__init__(parent)
        self._side = side
        self._image: QImage | None = None
        self.setMinimumSize(side // 2, side // 2)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # square: captions stay next to the image
        self.setSizePolicy(policy)

    def sizeHint(self) -> QSize:
        return QSize(self._side, self._side)

    def heightForWidth(self, width: int) -> int:
        return width

    def set_image(self, img: np.ndarray | None) -> None:
        self._image = None if img is None else to_qimage(squeeze(channels_last(img)))
        self.update()

    def image_rect(self) -> QRectF:
        """Where the image is drawn, in widget coordinates."""
        if self._image is None:
            return QRectF()
        w, h = self._image.width(), self._image.height()
        scale = min((self.width() - 2) / w, (self.height() - 2) / h)
        scale = math.floor(scale) if scale >= 1 else scale
        return QRectF(
            (self.width() - w * scale) / 2, (self.height() - h * scale) / 2, w * scale, h * scale
        )

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        if self._image is not None:
            rect = self.image_rect()
            smooth = rect.width() < self._image.width()  # only shrinking is smoothed
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
            painter.drawImage(rect, self._image)
            painter.setPen(QPen(QColor(128, 128, 128, 160), 1))
            painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        self.paint_overlay(painter)
        painter.end()

    def paint_overlay(self, painter: QPainter) -> None:
        """Subclasses draw on top of the image here."""
