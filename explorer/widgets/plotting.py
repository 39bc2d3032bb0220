"""Drawing helpers for the panels: a plot widget, a sparse log axis, class colours, the class
scatter (the latent map's dots and the PCA panel's maps) and its key, image labels."""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGraphicsItem, QLabel

from explorer.widgets.image_view import SMOOTH, scaling
from explorer.widgets.images import enlarge, to_qimage

# matplotlib's tab10 (the latent map's colours too), then evenly spaced hues
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip


HOVER_PX = 7  # a point within this many pixels of the cursor counts as hovered or clicked
PIECE_POINTS = 5_000  # points moved per event-loop turn when a refresh places them
DENSITY_BIN_PX = 2  # screen pixels per bin of the density image
CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache  # items repainted only when they change


class Plot(pg.PlotWidget):
    """A plot that asks for its minimum size and grows into the room there is (pyqtgraph's
    640x480 hint made panels taller than their tab at 1280x800, so they scrolled)."""

    def sizeHint(self) -> QSize:
        return self.minimumSize().expandedTo(QSize(120, 120))


class SparseLogAxis(pg.AxisItem):
    """A log axis labelled at the decades, or at 1, 2 and 5 times them when fewer than two
    decades show, or at every 1..9 in under half a decade (pyqtgraph labels every 1..9
    whenever fewer than three decades show, piled up at the top of each decade)."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.setStyle(maxTextLevel=0)  # the unlabelled 2..9 ticks stay as marks

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        minor = [v for _spacing, values in super().logTickValues(minVal, maxVal, size, stdTicks)
                 for v in values]  # fmt: skip
        low, high = math.floor(minVal), math.ceil(maxVal)
        major = [float(d) for d in range(low, high + 1) if minVal <= d <= maxVal]
        if len(major) < 2:
            steps = [d + math.log10(m) for d in range(low, high + 1) for m in (1, 2, 5)]
            major = [v for v in steps if minVal <= v <= maxVal]
        if len(major) < 2:  # under half a decade: every 1..9 is far enough apart
            major = minor
        return [(None, major), (None, [v for v in minor if v not in major])]


def colour(i: int, n: int):
    return pg.mkColor(PALETTE[i]) if n <= len(PALETTE) else pg.intColor(i, hues=n)


def colour_ramp(n: int) -> list:
    """n colours from dark to light along viridis (its palest yellow left out: white plots)."""
    cmap = pg.colormap.get("viridis")
    return [cmap.map(0.85 * k / max(n - 1, 1), mode="qcolor") for k in range(n)]


class Legend(QLabel):
    """A scatter's key, outside the plot so it never covers a dot: a title, then a coloured
    square and a name per entry."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self._names: list[str] = []

    def set_entries(self, title: str, names, colours) -> None:
        self._names = [str(name) for name in names]
        parts = [
            f"<span style='color:{c.name()}'>&#9632;</span>&nbsp;{html.escape(name)}"
            for name, c in zip(self._names, colours)
        ]
        self.setText(f"<b>{html.escape(title)}</b> " + "&nbsp;&nbsp; ".join(parts))

    def names(self) -> list[str]:
        return list(self._names)


class ClassScatter:
    """Points on a plot, one scatter item (and colour) per class, named in the key if there is
    one; moved a piece at a time, and found under the cursor. The latent map's dots.

    With `dense_at` points or more the dots are one density image instead (`dense`): each bin
    of DENSITY_BIN_PX screen pixels takes the mean colour of its points, more opaque where
    more lie. The image is made off the GUI thread (`density_rgba`, then `set_density`); a
    spatial index (`set_index`) finds the dot under the cursor."""

    def __init__(self, plot: pg.PlotWidget, legend: Legend | None = None, dense_at=None) -> None:
        self.plot, self.legend, self.dense_at = plot, legend, dense_at
        self.items: list[tuple[pg.ScatterPlotItem, np.ndarray]] = []  # (item, its dots' mask)
        self._pieces: list[tuple[pg.ScatterPlotItem, np.ndarray]] = []  # still to move
        self.dense = False
        self.classes = self.rgb = None  # per dot: its colour's index; [K, 3] uint8 colours
        self.image = self._drawn = self._index = None
        self._opacity = 1.0

    def draw(self, xy, ids, names=None, opacity: float = 1.0, colours=None, title="") -> None:
        """One item per value of `ids` at `xy` [N, 2], called names[value] (if names), in
        colours[value] (the palette by default), listed in the key under `title`."""
        for item, _ in self.items:
            self.plot.removeItem(item)
        self.items, self._pieces, self._opacity = [], [], opacity
        if xy is None:
            self.dense = False
            self._set_image_visible(False)
            if self.legend is not None:
                self.legend.set_entries(title, [], [])
            return
        ids = np.asarray(ids)
        values, self.classes = np.unique(ids, return_inverse=True)
        if colours is None:
            colours = [colour(k, len(values)) for k in range(len(values))]
        else:
            colours = [colours[v] for v in values]
        self.rgb = np.array([c.getRgb()[:3] for c in colours], np.uint8)
        if self.legend is not None:
            shown = [str(names[v]) if names is not None else str(v) for v in values]
            self.legend.set_entries(title, shown, colours)
        self.dense = self.dense_at is not None and len(xy) >= self.dense_at
        self._set_image_visible(self.dense)
        if self.dense:
            return  # the panel makes the image (density_rgba) and hands it to set_density
        self._drawn = None
        for k in range(len(values)):
            m = self.classes == k
            item = pg.ScatterPlotItem(x=xy[m, 0], y=xy[m, 1], size=5, pen=None, brush=colours[k])
            item.setOpacity(opacity)
            item.setCacheMode(CACHED)
            self.plot.addItem(item)
            self.items.append((item, m))

    def _set_image_visible(self, on: bool) -> None:
        if on and self.image is None:
            self.image = pg.ImageItem(axisOrder="row-major")
            self.image.setZValue(-10)
            self.plot.addItem(self.image, ignoreBounds=True)
        if self.image is not None:
            self.image.setVisible(on and self._drawn is not None)

    def set_density(self, rgba: np.ndarray, rect: QRectF, xy: np.ndarray) -> None:
        """Show a density image (from density_rgba) of the dots at `xy` over `rect`."""
        self._set_image_visible(True)
        self.image.setImage(rgba, autoLevels=False)
        self.image.setRect(rect)
        self.image.setOpacity(self._opacity)
        self._drawn = xy
        self.image.setVisible(True)

    def set_index(self, index) -> None:
        """A spatial index of the dots (from spatial_index), or None: searched in `nearest`."""
        self._index = index

    def index_for(self, xy):
        """The spatial index if it was built for these `xy`, else None."""
        return self._index if self._index is not None and self._index[0] is xy else None

    def set_opacity(self, opacity: float) -> None:
        self._opacity = opacity
        for item, _ in self.items:
            item.setOpacity(opacity)
        if self.image is not None:
            self.image.setOpacity(opacity)

    def start_moving(self) -> None:
        """Queue every item to take new positions (`move_piece(xy)` moves them)."""
        self._pieces = list(self.items)

    def move_piece(self, xy: np.ndarray) -> bool:
        """Move dots to `xy`, about PIECE_POINTS (an item at least) per call: each call repaints
        the map once, so small maps take one. True when all have moved (a density image is
        redrawn whole instead)."""
        moved = 0
        while self._pieces and moved < PIECE_POINTS:
            item, m = self._pieces.pop(0)
            item.setData(x=xy[m, 0], y=xy[m, 1])
            moved += int(m.sum())
        return not self._pieces

    def shown(self) -> np.ndarray:
        """[N, 2] positions the items (or the density image) draw, in the test split's order."""
        if self.dense:
            return np.zeros((0, 2), np.float32) if self._drawn is None else self._drawn.copy()
        n = sum(int(m.sum()) for _, m in self.items)
        out = np.zeros((n, 2), np.float32)
        for item, m in self.items:
            x, y = item.getData()
            out[m, 0], out[m, 1] = x, y
        return out

    def nearest(self, xy: np.ndarray | None, vb: pg.ViewBox, scene_pos) -> int:
        """The dot within HOVER_PX of a scene position, or -1 (through the spatial index when
        it was built for these `xy`)."""
        if xy is None or not len(xy) or not vb.sceneBoundingRect().contains(scene_pos):
            return -1
        p = vb.mapSceneToView(scene_pos)
        px, py = vb.viewPixelSize()
        candidates = None
        if self.index_for(xy) is not None:
            _, tree, scale = self._index
            radius = HOVER_PX * max(px / scale[0], py / scale[1])
            candidates = np.asarray(tree.query_ball_point((p.x() / scale[0], p.y() / scale[1]),
                                                          radius), dtype=np.int64)  # fmt: skip
            if not len(candidates):
                return -1
        near = xy if candidates is None else xy[candidates]
        d = ((near[:, 0] - p.x()) / px) ** 2 + ((near[:, 1] - p.y()) / py) ** 2
        k = int(np.argmin(d))
        if d[k] > HOVER_PX**2:
            return -1
        return k if candidates is None else int(candidates[k])


def spatial_index(xy: np.ndarray):
    """(xy, a k-d tree of xy scaled by its spread, the scale), for ClassScatter.set_index.
    Imports SciPy: call it off the GUI thread."""
    from scipy.spatial import cKDTree

    scale = np.maximum(xy.std(0), 1e-9) if len(xy) else np.ones(2)
    return xy, cKDTree(xy / scale, balanced_tree=False, compact_nodes=False), scale


def density_rgba(xy, classes, rgb, view, size_px, bin_px: int = DENSITY_BIN_PX) -> np.ndarray:
    """The dots at `xy` [N, 2] over `view` ((x0, x1), (y0, y1)) of a plot `size_px` (w, h)
    as an RGBA uint8 image [rows, cols, 4], row 0 at y0: each bin the mean colour rgb[classes]
    of the dots within a bin of it (dots are 3 bins wide), opaque where many lie. Plain numpy
    on whole arrays (for a worker thread)."""
    (x0, x1), (y0, y1) = view
    cols = max(1, int(size_px[0] // bin_px))
    rows = max(1, int(size_px[1] // bin_px))
    c = np.floor(np.clip((xy[:, 0] - x0) * (cols / max(x1 - x0, 1e-12)), -2, cols + 1))
    r = np.floor(np.clip((xy[:, 1] - y0) * (rows / max(y1 - y0, 1e-12)), -2, rows + 1))
    keep = (c >= -1) & (c <= cols) & (r >= -1) & (r <= rows)
    flat = ((r[keep] + 1) * (cols + 2) + (c[keep] + 1)).astype(np.int64)  # a bin of margin
    size, inside = (rows + 2) * (cols + 2), classes[keep]
    grid = np.empty((4, rows + 2, cols + 2), np.float32)  # red, green, blue sums; count
    for ch in range(3):
        weights = rgb[:, ch].astype(np.float32)[inside]
        grid[ch] = np.bincount(flat, weights=weights, minlength=size).reshape(rows + 2, cols + 2)
    grid[3] = np.bincount(flat, minlength=size).reshape(rows + 2, cols + 2)
    across = grid[:, :, :-2] + grid[:, :, 1:-1] + grid[:, :, 2:]  # each dot covers its bin
    spread = across[:, :-2] + across[:, 1:-1] + across[:, 2:]  # and the eight around it
    count = spread[3]
    out = np.empty((rows, cols, 4), np.uint8)
    share = 1.0 / np.maximum(count, 1)
    for ch in range(3):
        out[..., ch] = np.rint(spread[ch] * share)
    top = np.log1p(max(float(count.max()), 1.0))
    out[..., 3] = np.where(count > 0, 255 * (0.45 + 0.55 * np.log1p(count) / top), 0)
    return out


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
