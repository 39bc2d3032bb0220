"""Drawing helpers for the panels: class colours, the class scatter (the latent map's dots and
the PCA panel's maps), image labels."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGraphicsItem, QLabel

from explorer.widgets.image_view import SMOOTH, scaling
from explorer.widgets.images import enlarge, to_qimage

# matplotlib's tab10 (the latent map's colours too), then evenly spaced hues
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip


HOVER_PX = 7  # a point within this many pixels of the cursor counts as hovered or clicked
PIECE_POINTS = 5_000  # points moved per event-loop turn when a refresh places them
CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache  # items repainted only when they change


def colour(i: int, n: int):
    return pg.mkColor(PALETTE[i]) if n <= len(PALETTE) else pg.intColor(i, hues=n)


class ClassScatter:
    """Points on a plot, one scatter item (and colour) per class, named in the legend if there
    is one; moved a piece at a time, and found under the cursor. The latent map's dots."""

    def __init__(self, plot: pg.PlotWidget, legend=None) -> None:
        self.plot, self.legend = plot, legend
        self.items: list[tuple[pg.ScatterPlotItem, np.ndarray]] = []  # (item, its dots' mask)
        self._pieces: list[tuple[pg.ScatterPlotItem, np.ndarray]] = []  # still to move

    def draw(self, xy: np.ndarray | None, ids, names=None, opacity: float = 1.0) -> None:
        """One item per value of `ids` at `xy` [N, 2], called names[value] (if names)."""
        for item, _ in self.items:
            self.plot.removeItem(item)
        if self.legend is not None:
            self.legend.clear()
        self.items, self._pieces = [], []
        if xy is None:
            return
        ids = np.asarray(ids)
        values = np.unique(ids)
        for k, value in enumerate(values):
            m = ids == value
            item = pg.ScatterPlotItem(
                x=xy[m, 0], y=xy[m, 1], size=5, pen=None, brush=colour(k, len(values)),
                name=None if names is None else str(names[value]),
            )  # fmt: skip
            item.setOpacity(opacity)
            item.setCacheMode(CACHED)
            self.plot.addItem(item)
            self.items.append((item, m))

    def set_opacity(self, opacity: float) -> None:
        for item, _ in self.items:
            item.setOpacity(opacity)

    def start_moving(self) -> None:
        """Queue every item to take new positions (`move_piece(xy)` moves them)."""
        self._pieces = list(self.items)

    def move_piece(self, xy: np.ndarray) -> bool:
        """Move dots to `xy`, about PIECE_POINTS (an item at least) per call: each call repaints
        the map once, so small maps take one. True when all have moved."""
        moved = 0
        while self._pieces and moved < PIECE_POINTS:
            item, m = self._pieces.pop(0)
            item.setData(x=xy[m, 0], y=xy[m, 1])
            moved += int(m.sum())
        return not self._pieces

    def shown(self) -> np.ndarray:
        """[N, 2] positions the items draw, in the test split's order."""
        n = sum(int(m.sum()) for _, m in self.items)
        out = np.zeros((n, 2), np.float32)
        for item, m in self.items:
            x, y = item.getData()
            out[m, 0], out[m, 1] = x, y
        return out

    def nearest(self, xy: np.ndarray | None, vb: pg.ViewBox, scene_pos) -> int:
        """The dot within HOVER_PX of a scene position, or -1."""
        if xy is None or not len(xy) or not vb.sceneBoundingRect().contains(scene_pos):
            return -1
        p = vb.mapSceneToView(scene_pos)
        px, py = vb.viewPixelSize()
        d = ((xy[:, 0] - p.x()) / px) ** 2 + ((xy[:, 1] - p.y()) / py) ** 2
        k = int(np.argmin(d))
        return k if d[k] <= HOVER_PX**2 else -1


def colour_key(names) -> str:
    """Rich text: a coloured square and the name of each class, in the maps' colours."""
    n = len(names)
    parts = [
        f"<span style='color:{colour(k, n).name()}'>&#9632;</span>&nbsp;{name}"
        for k, name in enumerate(names)
    ]
    return "&nbsp;&nbsp; ".join(parts)


def pixmap(img: np.ndarray, min_side: int = 56, mode=None) -> QPixmap:
    """A float image in [0, 1] as a pixmap, enlarged by a whole factor: sharp pixels, or
    smooth ones (`mode`: a Qt.TransformationMode, by default the View menu's choice)."""
    img = np.asarray(img)
    big = enlarge(img, min_side)
    if (mode or scaling().mode()) == SMOOTH and big.shape != img.shape:
        size = QSize(big.shape[1], big.shape[0])
        image = to_qimage(img).scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio, SMOOTH)
        return QPixmap.fromImage(image)
    return QPixmap.fromImage(to_qimage(big))


class ImageLabel(QLabel):
    """A QLabel showing one image, redrawn when the View menu's scaling changes."""

    def __init__(self, img: np.ndarray, min_side: int = 56, tip: str = "") -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setToolTip(tip)
        self._img, self._min_side = np.asarray(img), min_side
        self._draw()
        scaling().changed.connect(self._draw)

    def _draw(self) -> None:
        self.setPixmap(pixmap(self._img, self._min_side))


def image_label(img: np.ndarray, min_side: int = 56, tip: str = "") -> QLabel:
    """A QLabel showing one image (with an optional tooltip)."""
    return ImageLabel(img, min_side, tip)


def side_by_side(a: np.ndarray, b: np.ndarray, gap: int = 1, fill: float = 0.35) -> np.ndarray:
    """Two images of the same shape next to each other with a thin gap."""
    spacer = np.full((a.shape[0], gap, *a.shape[2:]), fill, dtype=np.float32)
    return np.concatenate([a, spacer, b], axis=1)
