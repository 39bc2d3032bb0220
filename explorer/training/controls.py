"""The left dock: the training form, Train / Pause / Stop, and a progress bar with ETA.

The buttons and the bar follow a `TrainingRun` (`follow(run)`): its state enables the
buttons that make sense, its progress fills the bar.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from explorer.training.form import TrainingForm
from explorer.training.run import IDLE, LOADING, PAUSED, TRAINING


def format_eta(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class TrainingPanel(QWidget):
    """Form + buttons + progress; `follow(run)` subscribes them to a TrainingRun."""

    trainClicked = Signal()
    pauseClicked = Signal()
    stopClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.form = TrainingForm()

        style = self.style()
        self.train_button = QPushButton("Train", objectName="trainButton")
        self.train_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.train_button.setToolTip("Build a new model from these settings and train it (Ctrl+T).")
        self.pause_button = QPushButton("Pause", objectName="pauseButton")
        self.pause_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        self.pause_button.setToolTip("Pause or resume training between two steps (Ctrl+P).")
        self.stop_button = QPushButton("Stop", objectName="stopButton")
        self.stop_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        self.stop_button.setToolTip("Stop training and keep the model as it is now (Esc).")
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            buttons.addWidget(button)

        self.progress = QProgressBar(objectName="trainProgress", textVisible=True)
        self.progress.setMinimumHeight(24)
        self.progress.setRange(0, 1000)
        self.progress.setToolTip("Epoch, share of the run done, time left and training speed.")

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.form)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.train_button.clicked.connect(self.trainClicked)
        self.pause_button.clicked.connect(self.pauseClicked)
        self.stop_button.clicked.connect(self.stopClicked)
        self._text = "Starting..."  # the newest progress line (the run's state is the run's)
        self._paused = False
        self.set_state(IDLE)

    def follow(self, run) -> None:
        """Show `run` (a TrainingRun): its state on the buttons, its progress in the bar."""
        run.stateChanged.connect(self.set_state)
        run.progress.connect(self.show_progress)
        self.form.follow(run)

    def set_state(self, state: str, message: str = "") -> None:
        """Enable the buttons that make sense in `state`; idle shows `message` in the bar."""
        busy = state != IDLE
        self.train_button.setEnabled(not busy)
        self.pause_button.setEnabled(state in (TRAINING, PAUSED))
        self.stop_button.setEnabled(busy)
        paused = self._paused = state == PAUSED
        self.pause_button.setText("Resume" if paused else "Pause")
        icon = QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause
        self.pause_button.setIcon(self.style().standardIcon(icon))
        if state == LOADING:
            self.progress.setValue(0)
            self._text = "Starting..."
            self.progress.setFormat("Loading the dataset...")
        elif state == IDLE:
            self.progress.setFormat(message or "Ready")
        else:
            self._show_text()

    def show_progress(self, progress) -> None:
        """Show a trainer.loop.Progress: epoch, percent, ETA and samples/s."""
        self.progress.setValue(int(round(1000 * min(max(progress.fraction, 0.0), 1.0))))
        self._text = (
            f"Epoch {progress.epoch}/{progress.epochs} \u00b7 {100 * progress.fraction:.0f}% "
            f"\u00b7 ETA {format_eta(progress.eta_s)} \u00b7 "
            f"{progress.samples_per_s:,.0f} samples/s"
        )
        if getattr(progress, "lr", 0.0) > 0:
            self._text += f" \u00b7 lr {progress.lr:.2g}"
        self._show_text()

    def _show_text(self) -> None:
        prefix = "Paused \u00b7 " if self._paused else ""
        self.progress.setFormat(prefix + self._text)
