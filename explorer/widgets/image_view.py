"""The two image views: `ImageView` (pyqtgraph: fast pixel swaps, clicks in image pixels) for
decoded images, strips and grids, and `PixelView` (a plain widget: the image blown up by a whole
factor) under the damage canvas and beside it.

Small images (8 x 8 digits) shown large are square sharp pixels by default; `scaling()` (the
View menu's "Smooth image scaling") switches every view to smooth scaling at once, except
where a person paints pixels (`PixelView.smoothable = False`: the damage canvas). Each view's
tooltip gives the images' true size.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from explorer.widgets.images import channels_last, squeeze, to_qimage

FAST, SMOOTH = Qt.TransformationMode.FastTransformation, Qt.TransformationMode.SmoothTransformation
IGNORE = Qt.AspectRatioMode.IgnoreAspectRatio


class Scaling(QObject):
    """Whether images shown larger than they are are scaled smoothly (one for the app)."""

    changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.smooth = False

    def set_smooth(self, smooth: bool) -> None:
        if bool(smooth) != self.smooth:
            self.smooth = bool(smooth)
            self.changed.emit(self.smooth)

    def mode(self) -> Qt.TransformationMode:
        return SMOOTH if self.smooth else FAST


@functools.cache
def scaling() -> Scaling:
    """The app's one Scaling (made on first use, once Qt runs)."""
    return Scaling()


def size_tip(shape: tuple, many: bool = False) -> str:
    """The true size of an image (or of each image in a grid) for a view's tooltip."""
    h, w = shape[:2]
    colour = "colour" if len(shape) == 3 and shape[2] == 3 else "grey"
    each = "Each image is" if many else "The image is"
    return (f"{each} {w} x {h} px, {colour}, shown enlarged (View > Smooth image scaling "
            "blends its pixels).")  # fmt: skip


class _ScaledImageItem(pg.ImageItem):
    """An ImageItem drawn with smooth or sharp pixels, as `scaling()` says."""

    def paint(self, painter, *args) -> None:
        smooth = scaling().mode() == SMOOTH
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        super().paint(painter, *args)


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
        self.item = _ScaledImageItem(axisOrder="row-major")
        self.item.setLevels((0.0, 1.0))
        self.vb.addItem(self.item)
        self._shape: tuple | None = None
        self.scene().sigMouseClicked.connect(self._clicked)
        scaling().changed.connect(self._rescaled)

    def sizeHint(self) -> QSize:
        """As small as allowed: it grows into the room there is (a panel in a scroll area
        is laid out at its preferred height, which a 640x480 hint would make scroll)."""
        return self.minimumSize()

    def minimumSizeHint(self) -> QSize:
        return self.minimumSize()  # a graphics view's own hint is 68x68

    def transformation_mode(self) -> Qt.TransformationMode:
        """How the image is scaled to the view: sharp pixels or smooth (`scaling()`)."""
        return scaling().mode()

    def _rescaled(self) -> None:
        self.item.update()

    def set_image(self, img: np.ndarray, tile: tuple | None = None) -> None:
        """Show `img` ([H, W] or [H, W, 3], float in [0, 1]); re-fits the view on a new shape.
        `tile`: the (H, W) of each image when `img` is a grid of them (for the tooltip)."""
        self.item.setImage(img, autoLevels=False, levels=(0.0, 1.0))
        if img.shape != self._shape:
            self._shape = img.shape
            self.vb.autoRange(padding=0.0)
        shape = img.shape if tile is None else (*tile[:2], *img.shape[2:])
        self.setToolTip(size_tip(shape, many=tile is not None))

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
    """One image in [0, 1], centred, blown up by a whole factor: square sharp pixels, or
    smooth when `scaling()` says so and the view is `smoothable`."""

    smoothable = True  # False where a person paints pixels (the damage canvas)

    def __init__(self, parent=None, side: int = 200):
        super().__init__(parent)
        scaling().changed.connect(self.update)
        self._side = side
        self._image: QImage | None = None
        self.setMinimumSize(side // 2, side // 2)
        # no height-for-width: a square of the width made panels outgrow their tab
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(self._side, self._side // 2)  # its minimum height: it grows into the room

    def set_image(self, img: np.ndarray | None) -> None:
        self._image = None if img is None else to_qimage(squeeze(channels_last(img)))
        if img is not None and self.smoothable:
            self.setToolTip(size_tip(np.shape(img)))
        self.update()

    def transformation_mode(self) -> Qt.TransformationMode:
        """How the image is scaled to the view: smooth only if `smoothable` and chosen."""
        return scaling().mode() if self.smoothable else FAST

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
            shrink = rect.width() < self._image.width()  # shrinking is always smoothed
            mode = SMOOTH if shrink else self.transformation_mode()
            size = rect.size().toSize()
            painter.drawImage(rect.topLeft(), self._image.scaled(size, IGNORE, mode))
            painter.setPen(QPen(QColor(128, 128, 128, 160), 1))
            painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        self.paint_overlay(painter)
        painter.end()

    def paint_overlay(self, painter: QPainter) -> None:
        """Subclasses draw on top of the image here."""
