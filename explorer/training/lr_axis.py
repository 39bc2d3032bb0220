"""The loss plot's learning-rate curve: thin and grey, in its own view box on the plot's right
(log) axis, its x linked to the plot's."""

from __future__ import annotations

import pyqtgraph as pg

from explorer.training.curves import Series
from explorer.widgets.plotting import SparseLogAxis

LR_COLOR = "#9ca3af"


class LrAxis:
    """The schedule's learning rate on `item`'s right axis: `add()` points, `redraw()`."""

    def __init__(self, item: pg.PlotItem) -> None:
        self.item = item
        self.view = pg.ViewBox()
        item.setAxisItems({"right": SparseLogAxis("right")})
        item.showAxis("right")
        item.scene().addItem(self.view)
        item.getAxis("right").linkToView(self.view)
        item.getAxis("right").setLabel("learning rate", color=LR_COLOR)
        item.getAxis("right").setLogMode(True)
        item.getAxis("right").enableAutoSIPrefix(False)
        self.view.setXLink(item)
        self.view.setMouseEnabled(x=False, y=False)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(LR_COLOR, width=1), name="lr")
        self.curve.setLogMode(False, True)
        self.view.addItem(self.curve)
        self.series = Series()
        item.vb.sigResized.connect(self._fit_view)

    def _fit_view(self) -> None:
        self.view.setGeometry(self.item.vb.sceneBoundingRect())

    def clear(self) -> None:
        self.series = Series()
        self.curve.setData([], [])

    def add(self, step: float, lr: float) -> None:
        """One point of the schedule; a rate of 0 (not known) is left out."""
        if lr > 0:
            self.series.append(step, lr)

    def set_visible(self, on: bool) -> None:
        """The curve and its axis (hidden while runs are overlaid: no learning rate per run)."""
        self.curve.setVisible(on)
        self.item.showAxis("right", on)

    def redraw(self, to_x) -> bool:
        """Push new points to the curve, x through `to_x`; True when there were any."""
        if not self.series.dirty:
            return False
        x, y = self.series.raw()
        self.curve.setData(to_x(x), y)
        self.series.dirty = False
        return True

    def latest(self) -> float | None:
        """The newest learning rate, or None."""
        return float(self.series.y[self.series.n - 1]) if self.series.n else None

    def points(self) -> int:
        """How many points the curve displays."""
        return 0 if self.curve.xData is None else len(self.curve.xData)
