"""The loss dock: a bar (legend, smoothing, x axis, term, log scale) above the LossPlot."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from explorer.training.loss_plot import LossPlot
from explorer.training.lr_axis import LR_COLOR

SMOOTHING = 0.6  # TensorBoard's default


class LossPanel(QWidget):
    """The bottom dock's plot and its controls; `follow(run, session)` keeps it current."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = LossPlot()
        self.log_check = QCheckBox("Log", objectName="logScaleCheck", checked=True)
        self.log_check.setToolTip("Show the loss axis on a log scale (terms differ by decades).")
        self.smoothing = QSlider(Qt.Orientation.Horizontal, objectName="smoothingSlider")
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(round(100 * SMOOTHING))
        self.smoothing.setFixedWidth(90)
        self.smoothing.setToolTip(
            "Smoothing of the training curves, as TensorBoard's: an exponential moving average "
            "(debiased) with this weight; the raw points stay drawn faintly behind. Raising it "
            "shows the trend of a noisy run; 0 draws the raw batches. Validation is not smoothed."
        )
        self.smoothing_label = QLabel()
        self.smoothing_label.setFixedWidth(28)
        self.x_combo = QComboBox(objectName="xAxisCombo")
        self.x_combo.addItem("Steps", "step")
        self.x_combo.addItem("Epochs", "epoch")
        self.x_combo.setToolTip("The x axis: optimiser steps, or epochs (passes over the data).")
        self.term_combo = QComboBox(objectName="termCombo")
        self.term_combo.setToolTip("The loss term drawn for each selected run.")
        self.term_combo.setVisible(False)
        self.legend = QLabel(
            objectName="lossLegend", textFormat=Qt.TextFormat.RichText, wordWrap=True
        )
        self.legend.setToolTip(
            "Solid: training batches (per example, unweighted terms; loss is the weighted sum), "
            "smoothed, the raw points faint behind. Dashed with dots: the validation split "
            "(held out from training) at each epoch end. Grey, right axis: the learning rate."
        )
        self.legend.setMinimumWidth(80)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 2, 8, 0)
        bar.addWidget(self.legend, 1)
        bar.addWidget(self.term_combo)
        bar.addWidget(QLabel("Smooth"))
        bar.addWidget(self.smoothing)
        bar.addWidget(self.smoothing_label)
        bar.addWidget(self.x_combo)
        bar.addWidget(self.log_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        self.log_check.toggled.connect(self.plot.set_log)
        self.smoothing.valueChanged.connect(self._smoothing_changed)
        self.x_combo.currentIndexChanged.connect(
            lambda _i: self.plot.set_x_mode(self.x_combo.currentData())
        )
        self.term_combo.currentIndexChanged.connect(lambda _i: self.overlay(self._runs))
        self.plot.set_log(True)
        self._runs: list[tuple[str, dict]] = []
        self._smoothing_changed(self.smoothing.value())

    def _smoothing_changed(self, value: int) -> None:
        self.smoothing_label.setText(f"{value / 100:.2f}")
        self.plot.set_smoothing(value / 100)

    def set_history(self, history: dict | None) -> None:
        self.plot.set_history(history)
        self.refresh_legend()

    def follow(self, run, session) -> None:
        """Show `session`'s loss history as it is replaced and extended; the legend follows
        the progress of `run` (a TrainingRun)."""
        session.modelChanged.connect(lambda: self.set_history(session.history))
        session.historyChanged.connect(lambda: self.set_history(session.history))
        session.historyExtended.connect(self.append_rows)
        run.progress.connect(self._progressed)

    def _progressed(self, progress) -> None:
        if progress.fraction > 0 and progress.epochs:
            self.plot.set_steps_per_epoch(progress.step / (progress.fraction * progress.epochs))
        self.refresh_legend()

    def append_rows(self, rows: dict) -> None:
        """Add history rows ({"train": {"step": [...], term: [...]}, "val": ...})."""
        for split in ("train", "val"):
            columns = rows.get(split) or {}
            names = [k for k in columns if k not in ("step", "epoch", "lr")]
            rates = columns.get("lr") or ()
            epochs = columns.get("epoch") or ()
            for i, step in enumerate(columns.get("step", ())):
                terms = {name: columns[name][i] for name in names}
                lr = rates[i] if i < len(rates) else 0.0
                epoch = epochs[i] if i < len(epochs) else None
                pair = (terms, None) if split == "train" else (None, terms)
                self.plot.append(step, *pair, lr=lr, epoch=epoch)

    def overlay(self, runs: list[tuple[str, dict]]) -> None:
        """Overlay the chosen term of several runs ((name, history) each); fewer than two
        go back to the session's own curves."""
        self._runs = list(runs)
        if len(runs) < 2:
            self.term_combo.setVisible(False)
            self.plot.show_runs([])
            self.refresh_legend()
            return
        terms = []
        for _name, history in runs:
            for key in (history or {}).get("train") or {}:
                if key not in ("step", "epoch", "lr") and key not in terms:
                    terms.append(key)
        chosen = self.term_combo.currentData() or "loss"
        self.term_combo.blockSignals(True)
        self.term_combo.clear()
        for term in terms:
            self.term_combo.addItem(term, term)
        self.term_combo.setCurrentIndex(max(self.term_combo.findData(chosen), 0))
        self.term_combo.blockSignals(False)
        self.term_combo.setVisible(True)
        self.plot.show_runs(self._runs, self.term_combo.currentData() or "loss")
        self.refresh_legend()

    def refresh_legend(self) -> None:
        """Coloured run names while runs are overlaid; else the term names with their latest
        train values, then the validation key."""
        if self.plot.runs:
            parts = [
                f'<span style="color:{color}"><b>\u2501\u2501</b></span>&nbsp;{name}'
                for name, (_c, _s, _e, color) in self.plot.runs.items()
            ]
            self.legend.setText(" &nbsp; ".join(parts))
            return
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
        self.legend.setText(" &nbsp; ".join(parts) or "No loss history yet")
