"""Live loss curves: one curve per term, train solid, validation dashed with symbols.

The legend is a line of coloured term names with their latest values above the plot, so
it never covers a curve. The learning rate of the schedule is a thin grey curve on its own
(right, log) axis.

Points are appended to growable numpy buffers; a timer redraws the curves that changed, at
most ~30 times a second and not at all while nothing is new, so thousands of steps stay
smooth. Pens are 1 px wide (Qt's fast path), there is no grid (it doubled the cost of a
redraw), and redraws are spaced by PAINT_SHARE times their measured cost, so the plot takes
about 3% of the GUI thread's time (and of the GIL the training thread needs) while training.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

COLORS = {
    "loss": "#1f2937",
    "recon": "#2563eb",
    "kl": "#ea580c",
    "sparsity": "#16a34a",
    "contractive": "#9333ea",
}
LR_COLOR = "#9ca3af"
REDRAW_MS = 33
PAINT_SHARE = 30  # wait at least this many times the last redraw's cost (setData + paint)
MAX_WAIT_S = 2.0  # ... but never longer than this


class _Series:
    """x, y float buffers that double when full."""

    def __init__(self) -> None:
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.dirty = False

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.resize(self.x, 2 * self.n)
            self.y = np.resize(self.y, 2 * self.n)
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1
        self.dirty = True


class LossPlot(pg.PlotWidget):
    """The `lossPlot` widget: `append()` while training, `set_history()` for a checkpoint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossPlot")
        item = self.getPlotItem()
        # no grid: pyqtgraph's axis grid doubles the cost of every redraw
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss per example")
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self._series: dict[tuple[str, str], _Series] = {}
        self._curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        # The learning rate: its own view box, linked to the steps, on the right axis.
        self.lr_view = pg.ViewBox()
        item.showAxis("right")
        item.scene().addItem(self.lr_view)
        item.getAxis("right").linkToView(self.lr_view)
        item.getAxis("right").setLabel("learning rate", color=LR_COLOR)
        item.getAxis("right").setLogMode(True)
        item.getAxis("right").enableAutoSIPrefix(False)
        self.lr_view.setXLink(item)
        self.lr_view.setMouseEnabled(x=False, y=False)
        self.lr_curve = pg.PlotDataItem(pen=pg.mkPen(LR_COLOR, width=1), name="lr")
        self.lr_curve.setLogMode(False, True)
        self.lr_view.addItem(self.lr_curve)
        self._lr = _Series()
        item.vb.sigResized.connect(self._fit_lr_view)
        self.colors: dict[str, str] = {}  # term -> colour, shared by its train and val curves
        self._cost_s = 0.0  # the last redraw's cost: its setData calls and the paints after it
        self._paint_s = 0.0  # paint time since the last redraw
        self._last_redraw = 0.0
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.redraw)

    def clear_curves(self) -> None:
        """Forget every point and curve; autorange follows the next data."""
        for curve in self._curves.values():
            self.getPlotItem().removeItem(curve)
        self._series.clear()
        self._curves.clear()
        self.colors.clear()
        self._lr = _Series()
        self.lr_curve.setData([], [])
        self._cost_s = self._paint_s = 0.0
        self.getPlotItem().enableAutoRange()

    def _curve(self, split: str, name: str) -> _Series:
        key = (split, name)
        if key not in self._series:
            fallback = pg.intColor(len(self.colors), hues=9).name()
            color = self.colors.setdefault(name, COLORS.get(name, fallback))
            if split == "train":
                pen = pg.mkPen(color, width=1)
                curve = self.plot(name=name, pen=pen)
            else:
                pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine)
                curve = self.plot(
                    name=f"val {name}", pen=pen, symbol="o", symbolSize=6,
                    symbolBrush=color, symbolPen=None,
                )  # fmt: skip
            self._series[key] = _Series()
            self._curves[key] = curve
        return self._series[key]

    def _fit_lr_view(self) -> None:
        self.lr_view.setGeometry(self.getPlotItem().vb.sceneBoundingRect())

    def append(
        self, step: float, terms: dict | None, val_terms: dict | None = None, lr: float = 0.0
    ) -> None:
        """Add the latest train terms, at an epoch end the validation terms, and the learning
        rate (0: not known)."""
        for split, values in (("train", terms), ("val", val_terms)):
            for name, value in (values or {}).items():
                self._curve(split, name).append(step, value)
        if lr > 0:
            self._lr.append(step, lr)
        self._schedule()

    def set_history(self, history: dict | None) -> None:
        """Show a whole history ({"train": {"step": [...], term: [...]}, "val": ...})."""
        self.clear_curves()
        for split in ("train", "val"):
            columns = (history or {}).get(split) or {}
            steps = columns.get("step") or []
            for name, values in columns.items():
                if name == "lr":
                    for step, value in zip(steps, values):
                        if value > 0:
                            self._lr.append(step, value)
                    continue
                if name in ("step", "epoch"):
                    continue
                series = self._curve(split, name)
                for step, value in zip(steps, values):
                    series.append(step, value)
        self.redraw()

    def set_log(self, on: bool) -> None:
        self.getPlotItem().setLogMode(y=on)
        self.getPlotItem().enableAutoRange()

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
        for key, series in self._series.items():
            if series.dirty:
                self._curves[key].setData(series.x[: series.n], series.y[: series.n])
                series.dirty = False
                self._last_redraw = start
        if self._lr.dirty:
            self.lr_curve.setData(self._lr.x[: self._lr.n], self._lr.y[: self._lr.n])
            self._lr.dirty = False
            self._last_redraw = start
        if self._last_redraw == start:
            self._cost_s = time.perf_counter() - start
            self._paint_s = 0.0

    def latest_lr(self) -> float | None:
        """The newest learning rate shown, or None."""
        return float(self._lr.y[self._lr.n - 1]) if self._lr.n else None

    def lr_points(self) -> int:
        """How many learning-rate points the right axis's curve displays."""
        return 0 if self.lr_curve.xData is None else len(self.lr_curve.xData)

    def latest(self, split: str = "train") -> dict[str, float]:
        """The newest value of every term of `split`."""
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

    def export_csv(self, path: str | Path) -> Path:
        """One row per (split, step): split, step, then every term shown (".csv" added)."""
        names = sorted({name for _, name in self._series})
        rows: dict[tuple[str, float], dict[str, float]] = {}
        for (split, name), series in self._series.items():
            for x, y in zip(series.x[: series.n], series.y[: series.n]):
                rows.setdefault((split, x), {})[name] = y
        path = Path(path)
        path = path if path.suffix.lower() == ".csv" else path.with_name(path.name + ".csv")
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["split", "step", *names])
            for (split, step), values in sorted(rows.items()):
                writer.writerow([split, int(step), *(values.get(n, "") for n in names)])
        return path


class LossPanel(QWidget):
    """The bottom dock: a small bar (log scale toggle, last values) above the LossPlot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = LossPlot()
        self.log_check = QCheckBox("Log scale", objectName="logScaleCheck", checked=True)
        self.log_check.setToolTip("Show the loss axis on a log scale (terms differ by decades).")
        self.legend = QLabel(objectName="lossLegend", textFormat=Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)  # a narrow window wraps it instead of widening
        self.legend.setToolTip(
            "Solid: training batches (per example, unweighted terms; loss is the weighted sum). "
            "Dashed with dots: the validation split (held out from training) at each epoch end. "
            "Grey, right axis: the learning rate."
        )
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 2, 8, 0)
        bar.addWidget(self.legend, 1)
        bar.addWidget(self.log_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        self.log_check.toggled.connect(self.plot.set_log)
        self.plot.set_log(True)

    def set_history(self, history: dict | None) -> None:
        self.plot.set_history(history)
        self.refresh_legend()

    def follow(self, run, session) -> None:
        """Show `session`'s loss history as it is replaced and extended; the legend follows
        the progress of `run` (a TrainingRun)."""
        session.modelChanged.connect(lambda: self.set_history(session.history))
        session.historyChanged.connect(lambda: self.set_history(session.history))
        session.historyExtended.connect(self.append_rows)
        run.progress.connect(lambda _progress: self.refresh_legend())

    def append_rows(self, rows: dict) -> None:
        """Add history rows ({"train": {"step": [...], term: [...]}, "val": ...})."""
        for split in ("train", "val"):
            columns = rows.get(split) or {}
            names = [k for k in columns if k not in ("step", "epoch", "lr")]
            rates = columns.get("lr") or ()
            for i, step in enumerate(columns.get("step", ())):
                terms = {name: columns[name][i] for name in names}
                lr = rates[i] if i < len(rates) else 0.0
                pair = (terms, None) if split == "train" else (None, terms)
                self.plot.append(step, *pair, lr=lr)

    def refresh_legend(self) -> None:
        """Coloured term names with their latest train values, then the validation key."""
        train, val = self.plot.latest("train"), self.plot.latest("val")
        parts = [
            f'<span style="color:{self.plot.colors[name]}"><b>\u2501\u2501</b></span>'
            f"&nbsp;{name}&nbsp;{value:.4g}"
            for name, value in train.items()
        ]
        lr = self.plot.latest_lr()
        if lr is not None:
            parts.append(
                f"<span style='color:{LR_COLOR}'>\u2501\u2501</span>&nbsp;lr&nbsp;{lr:.3g}"
            )
        if val:
            parts.append(
                f"<span style='color:#555'>\u254c\u25cf\u254c</span>&nbsp;validation"
                f"&nbsp;(loss&nbsp;{val.get('loss', float('nan')):.4g})"
            )
        self.legend.setText("&nbsp;&nbsp; ".join(parts) or "No loss history yet")
