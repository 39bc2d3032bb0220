"""Live loss curves: one line per term, validation dashed with a marker per epoch end.

Train curves are lines (no symbols), smoothed as TensorBoard does (`set_smoothing`: a
debiased exponential moving average, the raw points drawn faintly behind); x is the step or
the epoch (`set_x_mode`). `show_runs` overlays one term of several runs, a colour each. The
legend is a line of coloured names above the plot (loss_panel.py), so it never covers a
curve. The learning rate of the schedule is a thin grey curve on its own (right, log) axis
(lr_axis.py).

Points go into growable numpy buffers (curves.py); a timer redraws the curves that changed,
at most ~30 times a second and not at all while nothing is new, so thousands of steps stay
smooth. Pens are 1 px wide (Qt's fast path), there is no grid (it doubled the cost of a
redraw), and redraws are spaced by PAINT_SHARE times their measured cost, so the plot takes
about 3% of the GUI thread's time (and of the GIL the training thread needs) while training.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from explorer.training.curves import EpochMap, Series, epoch_map, write_csv
from explorer.training.lr_axis import LrAxis
from explorer.widgets.plotting import PALETTE, SparseLogAxis

COLORS = {
    "loss": "#1f2937",
    "recon": "#2563eb",
    "kl": "#ea580c",
    "sparsity": "#16a34a",
    "contractive": "#9333ea",
}
RAW_ALPHA = 60  # the raw points behind a smoothed curve
REDRAW_MS = 33
PAINT_SHARE = 30  # wait at least this many times the last redraw's cost (setData + paint)
MAX_WAIT_S = 2.0  # ... but never longer than this
X_LABELS = {"step": "step", "epoch": "epoch"}


def faint(color: str) -> QColor:
    c = QColor(color)
    c.setAlpha(RAW_ALPHA)
    return c


class LossPlot(pg.PlotWidget):
    """The `lossPlot` widget: `append()` while training, `set_history()` for a checkpoint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, axisItems={"left": SparseLogAxis("left")})  # a log loss axis
        self.setObjectName("lossPlot")
        item = self.getPlotItem()
        # no grid: pyqtgraph's axis grid doubles the cost of every redraw
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss")  # per example: the legend's tooltip says so
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self._series: dict[tuple[str, str], Series] = {}
        self._curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self._raw: dict[str, pg.PlotDataItem] = {}  # train term -> its faint raw curve
        self.epochs = EpochMap()
        self.smoothing = 0.0
        self.x_mode = "step"
        self.runs: dict[str, tuple[pg.PlotDataItem, Series, EpochMap, str]] = {}  # overlay
        self.lr_axis = LrAxis(item)  # the learning rate, on the right axis
        self.colors: dict[str, str] = {}  # term -> colour, shared by its train and val curves
        self._cost_s = 0.0  # the last redraw's cost: its setData calls and the paints after it
        self._paint_s = 0.0  # paint time since the last redraw
        self._last_redraw = 0.0
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.redraw)

    def clear_curves(self) -> None:
        """Forget every point and curve; autorange follows the next data."""
        for curve in [*self._curves.values(), *self._raw.values()]:
            self.getPlotItem().removeItem(curve)
        self._series.clear()
        self._curves.clear()
        self._raw.clear()
        self.colors.clear()
        self.epochs = EpochMap()
        self.lr_axis.clear()
        self._cost_s = self._paint_s = 0.0
        self.getPlotItem().enableAutoRange()

    def _curve(self, split: str, name: str) -> Series:
        key = (split, name)
        if key not in self._series:
            fallback = pg.intColor(len(self.colors), hues=9).name()
            color = self.colors.setdefault(name, COLORS.get(name, fallback))
            if split == "train":
                self._raw[name] = self.plot(pen=pg.mkPen(faint(color), width=1))
                self._raw[name].setVisible(self.smoothing > 0 and not self.runs)
                curve = self.plot(name=name, pen=pg.mkPen(color, width=1), symbol=None)
            else:
                pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine)
                curve = self.plot(
                    name=f"val {name}", pen=pen, symbol="o", symbolSize=6,
                    symbolBrush=color, symbolPen=None,
                )  # fmt: skip
            curve.setVisible(not self.runs)
            self._series[key] = Series()
            self._curves[key] = curve
        return self._series[key]

    def append(
        self,
        step: float,
        terms: dict | None,
        val_terms: dict | None = None,
        lr: float = 0.0,
        epoch: float | None = None,
    ) -> None:
        """Add the latest train terms, at an epoch end the validation terms (and the epoch),
        and the learning rate (0: not known)."""
        for split, values in (("train", terms), ("val", val_terms)):
            for name, value in (values or {}).items():
                self._curve(split, name).append(step, value)
        self.lr_axis.add(step, lr)
        if epoch is not None and self.epochs.add(step, epoch) and self.x_mode == "epoch":
            self._touch()
        self._schedule()

    def set_history(self, history: dict | None) -> None:
        """Show a whole history ({"train": {"step": [...], term: [...]}, "val": ...})."""
        self.clear_curves()
        self.epochs = epoch_map(history)
        for split in ("train", "val"):
            columns = (history or {}).get(split) or {}
            steps = columns.get("step") or []
            for name, values in columns.items():
                if name == "lr":
                    for step, value in zip(steps, values):
                        self.lr_axis.add(step, value)
                    continue
                if name in ("step", "epoch"):
                    continue
                series = self._curve(split, name)
                for step, value in zip(steps, values):
                    series.append(step, value)
        self.redraw()

    # -- how the curves are drawn ----------------------------------------------------------
    def set_log(self, on: bool) -> None:
        self.getPlotItem().setLogMode(y=on)
        self.getPlotItem().enableAutoRange()

    def set_smoothing(self, weight: float) -> None:
        """TensorBoard's smoothing weight in [0, 1): 0 draws the raw points."""
        self.smoothing = min(max(float(weight), 0.0), 0.999)
        for raw in self._raw.values():
            raw.setVisible(self.smoothing > 0 and not self.runs)
        self._touch()
        self.redraw()

    def set_x_mode(self, mode: str) -> None:
        """x in "step" or "epoch" (from the validation rows' epoch ends)."""
        if mode not in X_LABELS:
            raise ValueError(f"The x axis shows step or epoch, not {mode!r}.")
        self.x_mode = mode
        self.getPlotItem().setLabel("bottom", X_LABELS[mode])
        self._touch()
        self.redraw()
        self.getPlotItem().enableAutoRange()

    def set_steps_per_epoch(self, steps: float) -> None:
        """An estimate (from the run's progress) used until the first epoch ends."""
        if steps > 0 and not self.epochs.steps:
            self.epochs.per_epoch = float(steps)

    def to_x(self, steps: np.ndarray, epochs: EpochMap | None = None) -> np.ndarray:
        if self.x_mode == "step":
            return steps
        return (epochs or self.epochs).to_epochs(steps)

    def _touch(self) -> None:
        for series in [*self._series.values(), self.lr_axis.series]:
            series.dirty = True
        for _curve, series, _map, _c in self.runs.values():
            series.dirty = True

    # -- several runs at once --------------------------------------------------------------
    def show_runs(self, runs: list[tuple[str, dict]], term: str = "loss") -> None:
        """Overlay `term` of each (name, history) as one train curve per run, a colour
        each; an empty list goes back to the session's own curves."""
        for curve, *_ in self.runs.values():
            self.getPlotItem().removeItem(curve)
        self.runs = {}
        for i, (name, history) in enumerate(runs):
            columns = (history or {}).get("train") or {}
            series = Series()
            for step, value in zip(columns.get("step") or [], columns.get(term) or []):
                series.append(step, value)
            color = PALETTE[i % len(PALETTE)]
            curve = self.plot(name=name, pen=pg.mkPen(color, width=1.5), symbol=None)
            self.runs[name] = (curve, series, epoch_map(history), color)
        for curve in self._curves.values():
            curve.setVisible(not self.runs)
        for raw in self._raw.values():
            raw.setVisible(self.smoothing > 0 and not self.runs)
        self.lr_axis.set_visible(not self.runs)  # no learning rate per run
        self.getPlotItem().setLabel("left", term if runs else "loss")
        self.redraw()
        self.getPlotItem().enableAutoRange()

    def run_curves(self) -> dict[str, pg.PlotDataItem]:
        """The overlaid runs' curves, by run name."""
        return {name: curve for name, (curve, *_) in self.runs.items()}

    # -- redrawing -------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        start = time.perf_counter()
        super().paintEvent(event)
        self._paint_s += time.perf_counter() - start

    def _schedule(self) -> None:
        """Redraw once the last redraw's cost allows (REDRAW_MS at the soonest)."""
        if not self._timer.isActive():
            wait = min(PAINT_SHARE * (self._cost_s + self._paint_s), MAX_WAIT_S)
            due = self._last_redraw + wait - time.perf_counter()
            self._timer.start(max(REDRAW_MS, int(1000 * due)))

    def redraw(self) -> None:
        """Push changed buffers to their curves (the timer calls this when there is news)."""
        start = time.perf_counter()
        for (split, name), series in self._series.items():
            if not series.dirty:
                continue
            x, y = series.raw()
            x = self.to_x(x)
            if split == "train":
                if self.smoothing > 0:
                    self._raw[name].setData(x, y)
                else:
                    self._raw[name].clear()
                y = series.smoothed(self.smoothing)
            self._curves[(split, name)].setData(x, y)
            series.dirty = False
            self._last_redraw = start
        for curve, series, epochs, _color in self.runs.values():
            if series.dirty:
                curve.setData(self.to_x(series.raw()[0], epochs), series.smoothed(self.smoothing))
                series.dirty = False
        if self.lr_axis.redraw(self.to_x):
            self._last_redraw = start
        if self._last_redraw == start:
            self._cost_s = time.perf_counter() - start
            self._paint_s = 0.0

    # -- reading back ----------------------------------------------------------------------
    def latest_lr(self) -> float | None:
        """The newest learning rate shown, or None."""
        return self.lr_axis.latest()

    def lr_points(self) -> int:
        """How many learning-rate points the right axis's curve displays."""
        return self.lr_axis.points()

    def latest(self, split: str = "train") -> dict[str, float]:
        """The newest raw value of every term of `split`."""
        return {n: s.y[s.n - 1] for (sp, n), s in self._series.items() if sp == split and s.n}

    def point_count(self, split: str = "train") -> int:
        """How many points the curves of `split` hold, all terms together."""
        return sum(s.n for (sp, _), s in self._series.items() if sp == split)

    def drawn_count(self, split: str = "train") -> int:
        """How many points the curves of `split` currently display."""
        total = 0
        for (sp, _), curve in self._curves.items():
            if sp == split and curve.xData is not None:
                total += len(curve.xData)
        return total

    def curve(self, name: str, split: str = "train") -> pg.PlotDataItem:
        """The drawn curve of term `name` (smoothed for train)."""
        return self._curves[(split, name)]

    def raw(self, name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """The raw (step, value) points of term `name`."""
        return self._series[(split, name)].raw()

    def export_csv(self, path: str | Path) -> Path:
        """One row per (split, step): split, step, then every term shown (raw values; ".csv"
        added)."""
        return write_csv(self._series, path)
