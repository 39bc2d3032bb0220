"""The latent map's widgets: the plot with its dots, the draggable point and the decoded grid,
and the side column (decoded point, hover preview, map controls). `build(panel)` makes them,
keeps them on the panel under plain names and wires them to the panel's methods.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
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

from explorer.widgets.image_view import ImageView
from explorer.widgets.layouts import row
from explorer.widgets.plotting import CACHED, ClassScatter

REFIT_S = 2.0  # while training, the view follows the dots at most this often


class Point(pg.TargetItem):
    """The draggable point. It never sets the map's range, so a move needn't repaint the view."""

    def informViewBoundsChanged(self) -> None:
        pass


class Follower:
    """Keeps the map's range around the dots as refreshes move them, until the person pans or
    zooms (`stop()`); a new model (`follow = True`) starts following again."""

    def __init__(self, vb: pg.ViewBox) -> None:
        self.vb = vb
        self.follow = True
        self._fitted = 0.0  # when the view was last fitted to the dots

    def stop(self) -> None:
        self.follow = False

    def fit(self) -> None:
        """Show all the dots (and the point), then hold the range: auto-ranging at every
        refresh repainted the axes each time."""
        self.vb.enableAutoRange()
        self.vb.updateAutoRange()
        self.vb.disableAutoRange()
        self._fitted = time.monotonic()

    def follow_dots(self, xy: np.ndarray | None) -> None:
        """After a refresh: refit when dots left the view or fill under a tenth of it, at most
        every REFIT_S."""
        if not self.follow or xy is None or not len(xy):
            return
        if time.monotonic() - self._fitted < REFIT_S:
            return
        (x0, x1), (y0, y1) = self.vb.viewRange()
        lo, hi = xy.min(0), xy.max(0)
        outside = lo[0] < x0 or lo[1] < y0 or hi[0] > x1 or hi[1] > y1
        area = max((x1 - x0) * (y1 - y0), 1e-12)
        if outside or (hi[0] - lo[0]) * (hi[1] - lo[1]) < 0.1 * area:
            self.fit()


def build(panel) -> None:
    """The plot (dots, point, grid) left, the decoded point and the controls right."""
    panel.plot = pg.PlotWidget()
    panel.plot.setMinimumSize(360, 320)
    # No grid: its lines span the map and made each re-ranged repaint cost 40 ms, not 10.
    for axis in ("left", "bottom"):
        panel.plot.getAxis(axis).setCacheMode(CACHED)
    panel.vb = panel.plot.getViewBox()
    panel.legend = panel.plot.addLegend(
        offset=(-6, 6), labelTextSize="8pt", labelTextColor="w", colCount=2
    )
    panel.legend.setBrush(pg.mkBrush(0, 0, 0, 210))
    panel.legend.setCacheMode(CACHED)
    panel.dots = ClassScatter(panel.plot, panel.legend)
    panel.grid_item = pg.ImageItem(axisOrder="row-major")
    panel.grid_item.setZValue(-20)
    panel.grid_item.setVisible(False)
    panel.plot.addItem(panel.grid_item, ignoreBounds=True)
    panel.target = Point(
        size=18, symbol="o", pen=pg.mkPen("w", width=2.5), brush=(255, 255, 255, 40),
        hoverPen=pg.mkPen("y", width=3), hoverBrush=(255, 255, 0, 60),
    )  # fmt: skip
    panel.target.setZValue(30)
    panel.plot.addItem(panel.target, ignoreBounds=True)
    panel.target.sigPositionChanged.connect(panel.dragged)
    panel.target.sigPositionChangeFinished.connect(lambda _: panel.request())
    panel.vb.sigRangeChanged.connect(lambda *_: panel.request("grid"))
    panel.vb.sigResized.connect(lambda *_: panel.request("grid"))
    panel.vb.sigRangeChangedManually.connect(lambda *_: panel.follower.stop())
    panel.plot.scene().sigMouseMoved.connect(panel.hover)
    panel.plot.scene().sigMouseClicked.connect(panel.clicked)

    panel.info = QLabel("Loading the model…", wordWrap=True)
    panel.view = ImageView(min_side=200)
    panel.coords = QLabel(wordWrap=True)
    panel.coords.setFixedHeight(30)
    panel.coords.setStyleSheet("font-family: monospace; font-size: 10px;")
    panel.hover_view = ImageView(min_side=84)
    panel.hover_view.setFixedSize(84, 84)
    panel.hover_label = QLabel("Hover a dot to see its image; click it to move the point.")
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

    form = QFormLayout()
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
    left.addWidget(panel.plot, 1)
    layout = QHBoxLayout(panel)
    layout.addLayout(left, 1)
    layout.addWidget(right)
