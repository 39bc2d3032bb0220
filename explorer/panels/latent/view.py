"""The latent map's widgets: the plot with its dots, the draggable point and the decoded grid,
and the side column (decoded point, hover preview, map controls). `build(panel)` makes them,
keeps them on the panel under plain names and wires them to the panel's methods.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.panels.latent.colouring import MODES
from explorer.widgets.image_view import ImageView
from explorer.widgets.layouts import row
from explorer.widgets.plotting import CACHED, ClassScatter, Legend, Plot

REFIT_S = 2.0  # while training, the view shrinks to the dots at most this often
DENSE_POINTS = 20_000  # from this many test points the dots are a density image
POINT_FILL = (255, 212, 0, 215)  # the draggable point: a gold disc ...
RING_LIGHT, RING_DARK = "#000000", "#ffffff"  # ... in a ring that contrasts with the plot
SELECTED = "#e6007e"  # the ring around the test example last clicked
HOVER_HINT = "Hover a dot to see its image; click it to move the point."


class Point(pg.TargetItem):
    """The draggable point. It never sets the map's range, so a move needn't repaint the view."""

    def informViewBoundsChanged(self) -> None:
        pass


def ring_colour(background) -> str:
    """Black on a light plot, white on a dark one."""
    return RING_LIGHT if background.lightnessF() >= 0.5 else RING_DARK


class Follower:
    """Keeps the map's range around the dots and the point as refreshes move them, until the
    person pans or zooms (`stop()`); a new model (`follow = True`) starts following again."""

    PAD = 0.06  # share of the extent left free around it

    def __init__(self, vb: pg.ViewBox) -> None:
        self.vb = vb
        self.follow = True
        self._fitted = 0.0  # when the view was last fitted

    def stop(self) -> None:
        self.follow = False

    @staticmethod
    def extent(xy: np.ndarray, point=None) -> tuple[np.ndarray, np.ndarray]:
        cols = xy[:, 0], xy[:, 1]  # a column at a time: 50x faster than min(0) on [N, 2]
        lo = np.array([c.min() for c in cols])
        hi = np.array([c.max() for c in cols])
        if point is not None:
            lo, hi = np.minimum(lo, point), np.maximum(hi, point)
        return lo, hi

    def fit(self, xy: np.ndarray | None, point=None) -> None:
        """Show every dot and the point, then hold the range (no auto-range: it repainted the
        axes at every refresh)."""
        if xy is None or not len(xy):
            return
        lo, hi = self.extent(xy, point)
        half = np.maximum((hi - lo) / 2, 1e-3) * (1 + 2 * self.PAD)
        mid = (lo + hi) / 2
        self.vb.setRange(xRange=(mid[0] - half[0], mid[0] + half[0]),
                         yRange=(mid[1] - half[1], mid[1] + half[1]), padding=0)  # fmt: skip
        self._fitted = time.monotonic()

    def outside(self, xy: np.ndarray | None, point=None) -> bool:
        """Whether a dot or the point lies outside the view."""
        if xy is None or not len(xy):
            return False
        lo, hi = self.extent(xy, point)
        (x0, x1), (y0, y1) = self.vb.viewRange()
        return bool(lo[0] < x0 or lo[1] < y0 or hi[0] > x1 or hi[1] > y1)

    def follow_dots(self, xy: np.ndarray | None, point=None) -> None:
        """After a refresh: refit at once when a dot or the point left the view; when they fill
        under a tenth of it, at most every REFIT_S."""
        if not self.follow or xy is None or not len(xy):
            return
        if self.outside(xy, point):
            self.fit(xy, point)
            return
        if time.monotonic() - self._fitted < REFIT_S:
            return
        (x0, x1), (y0, y1) = self.vb.viewRange()
        lo, hi = self.extent(xy, point)
        if (hi[0] - lo[0]) * (hi[1] - lo[1]) < 0.1 * max((x1 - x0) * (y1 - y0), 1e-12):
            self.fit(xy, point)


def build(panel) -> None:
    """The plot (dots, point, grid) left, the decoded point and the controls right."""
    panel.plot = Plot()
    panel.plot.setMinimumSize(360, 320)
    # No grid: its lines span the map and made each re-ranged repaint cost 40 ms, not 10.
    for axis in ("left", "bottom"):
        panel.plot.getAxis(axis).setCacheMode(CACHED)
    panel.vb = panel.plot.getViewBox()
    panel.legend = Legend()  # above the plot: it never covers a dot
    panel.legend.setObjectName("latentLegend")
    panel.dots = ClassScatter(panel.plot, panel.legend, dense_at=DENSE_POINTS)
    panel.grid_item = pg.ImageItem(axisOrder="row-major")
    panel.grid_item.setZValue(-20)
    panel.grid_item.setVisible(False)
    panel.plot.addItem(panel.grid_item, ignoreBounds=True)
    ring = ring_colour(panel.plot.backgroundBrush().color())
    panel.selection = pg.ScatterPlotItem(size=24, pen=pg.mkPen(SELECTED, width=2.5), brush=None)
    panel.selection.setZValue(25)  # above the dots, under the point
    panel.plot.addItem(panel.selection, ignoreBounds=True)
    panel.target = Point(
        size=20, symbol="o", pen=pg.mkPen(ring, width=3), brush=POINT_FILL,
        hoverPen=pg.mkPen(SELECTED, width=3.5), hoverBrush=POINT_FILL,
    )  # fmt: skip
    panel.target.setZValue(30)  # the most visible thing on the map, above everything
    panel.target.setToolTip("Drag the point: the decoded image on the right follows it")
    panel.plot.addItem(panel.target, ignoreBounds=True)
    panel.target.sigPositionChanged.connect(panel.dragged)
    panel.target.sigPositionChangeFinished.connect(lambda _: panel.request())
    panel.vb.sigRangeChanged.connect(lambda *_: panel.request("density", "grid"))
    panel.vb.sigResized.connect(lambda *_: panel.request("density", "grid"))
    panel.vb.sigRangeChangedManually.connect(lambda *_: panel.follower.stop())
    panel.plot.scene().sigMouseMoved.connect(panel.hover)
    panel.plot.scene().sigMouseClicked.connect(panel.clicked)

    panel.info = QLabel("Loading the model…", wordWrap=True)
    panel.view = ImageView(min_side=140)
    panel.coords = QLabel(wordWrap=True)
    panel.coords.setFixedHeight(30)
    panel.coords.setStyleSheet("font-family: monospace; font-size: 10px;")
    panel.hover_view = ImageView(min_side=64)
    panel.hover_view.setFixedSize(64, 64)
    panel.hover_label = QLabel(HOVER_HINT)
    panel.hover_label.setWordWrap(True)
    panel.axes = QComboBox()
    panel.axes.addItems(["PCA of the codes", "Two code dimensions"])
    panel.dim_x, panel.dim_y = QSpinBox(prefix="x = z"), QSpinBox(prefix="y = z")
    panel.hold_button = QPushButton("Hold the rest at the mean")
    panel.grid_check = QCheckBox("Decoded grid")
    panel.axes.setToolTip("What the map's axes show: the codes' two principal components, "
                          "or two chosen code dimensions")  # fmt: skip
    panel.dim_x.setToolTip("The code dimension along the map's x axis")
    panel.dim_y.setToolTip("The code dimension along the map's y axis")
    panel.hold_button.setToolTip("Set the code dimensions not on the map to the codes' mean")
    panel.grid_check.setToolTip("Draw decoded images on a grid behind the dots")
    panel.grid_size = QSpinBox(minimum=3, maximum=30, value=12, prefix="n = ")
    panel.grid_size.setToolTip("Cells along the shorter side of the decoded grid")
    panel.axes.currentIndexChanged.connect(panel.reproject)
    panel.dim_x.valueChanged.connect(panel.reproject)
    panel.dim_y.valueChanged.connect(panel.reproject)
    panel.hold_button.clicked.connect(panel.hold_mean)
    panel.grid_check.toggled.connect(panel.show_grid)
    panel.grid_size.valueChanged.connect(lambda _: panel.request("grid"))
    panel.colour_by = QComboBox(objectName="latentColourCombo")
    for mode, text, tip in MODES:
        panel.colour_by.addItem(text, mode)
        panel.colour_by.setItemData(panel.colour_by.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
    panel.colour_by.setToolTip("What the dots' colours show; the key above the map names them")
    panel.colour_by.currentIndexChanged.connect(lambda _: panel.colour_changed())

    form = QFormLayout()
    form.addRow("Colour by", panel.colour_by)
    form.addRow("Map axes", panel.axes)
    form.addRow("Dimensions", row(panel.dim_x, panel.dim_y))
    form.addRow(panel.hold_button)
    form.addRow(row(panel.grid_check, panel.grid_size))
    side = QVBoxLayout()
    side.addWidget(QLabel("<b>Decoded point</b>"))
    side.addWidget(panel.view, 1)
    side.addWidget(panel.coords)
    side.addLayout(row(panel.hover_view, panel.hover_label))
    side.addLayout(form)
    right = QWidget()
    right.setFixedWidth(270)
    right.setLayout(side)
    left = QVBoxLayout()
    left.addWidget(panel.info)
    left.addWidget(panel.legend)
    left.addWidget(panel.plot, 1)
    layout = QHBoxLayout(panel)
    layout.addLayout(left, 1)
    layout.addWidget(right)
