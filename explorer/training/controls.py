"""The left dock: the training form, Train / Pause / Stop, and a progress bar with ETA.

The buttons and the bar follow a `TrainingRun` (`follow(run)`): its state enables the
buttons that make sense, its progress fills the bar. The bar's text is the longest of a few
versions of the line that fits it (never clipped); the line under it (`trainDetail`) says
the rest: time left and speed while training, the whole line when the bar had to shorten it.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
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


class FittingBar(QProgressBar):
    """A progress bar that shows the first of `set_texts(texts)` whose width fits inside it;
    `refitted` after a resize changed which one."""

    refitted = Signal()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._texts = ["Ready"]

    def set_texts(self, texts: list[str]) -> None:
        self._texts = [t for t in texts if t] or [""]
        self._fit()

    def full_text(self) -> str:
        return self._texts[0]

    def text_room(self) -> int:
        """The width the text may take: the contents rect less a margin either side."""
        return self.contentsRect().width() - 12

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        before = self.format()
        self._fit()
        if self.format() != before:
            self.refitted.emit()

    def _fit(self) -> None:
        metrics, room = self.fontMetrics(), self.text_room()
        fits = [t for t in self._texts if metrics.horizontalAdvance(t) <= room]
        self.setFormat(
            fits[0] if fits else metrics.elidedText(self._texts[-1], Qt.ElideRight, room)
        )


def _shorter(text: str) -> list[str]:
    """`text`, then its part before a parenthesis or a semicolon, then its first two words."""
    versions = [text, text.split(" (")[0].split(";")[0], " ".join(text.split()[:2])]
    return list(dict.fromkeys(versions))


class TrainingPanel(QWidget):
    """Form + buttons + progress; `follow(run)` subscribes them to a TrainingRun."""

    trainClicked = Signal()
    pauseClicked = Signal()
    stopClicked = Signal()
    continueClicked = Signal()

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
        self.continue_button = QPushButton("Continue", objectName="continueButton")
        self.continue_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.continue_button.setToolTip(
            "Train the current model on from where it stopped: the epochs it had left (or as "
            "many again), its loss history continued (Ctrl+Shift+T)."
        )
        buttons = QGridLayout()  # two rows: a 280 px dock has no room for four side by side
        buttons.setSpacing(4)
        row = (self.train_button, self.continue_button, self.pause_button, self.stop_button)
        for i, button in enumerate(row):
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            buttons.addWidget(button, i // 2, i % 2)

        self.progress = FittingBar(objectName="trainProgress", textVisible=True)
        self.progress.setMinimumHeight(24)
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress.setRange(0, 1000)
        self.progress.setToolTip("Epoch and share of the run done; time left and speed below.")
        self.detail = QLabel(objectName="trainDetail", wordWrap=True)
        self.detail.setToolTip("Time left, training speed and learning rate; how the run ended.")

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.form)
        layout.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        # The buttons and the progress stay in sight below the form, which scrolls.
        bottom = QVBoxLayout()
        bottom.setContentsMargins(6, 4, 6, 6)
        bottom.addLayout(buttons)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.detail)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(scroll, 1)
        outer.addLayout(bottom)

        self.train_button.clicked.connect(self.trainClicked)
        self.pause_button.clicked.connect(self.pauseClicked)
        self.stop_button.clicked.connect(self.stopClicked)
        self.continue_button.clicked.connect(self.continueClicked)
        self._texts = ["Starting..."]  # the newest progress line, long to short
        self._rest = ""  # what the detail line says while training
        self._step = 0
        self._paused = False
        self._shown: tuple[list[str], str | None] = (["Ready"], None)
        self.progress.refitted.connect(lambda: self._show(*self._shown))
        self.set_state(IDLE)

    def follow(self, run) -> None:
        """Show `run` (a TrainingRun): its state on the buttons, its progress in the bar."""
        run.stateChanged.connect(self.set_state)
        run.progress.connect(self.show_progress)
        run.session.modelChanged.connect(lambda: run.state == IDLE and self.set_state(IDLE))
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
            self._texts, self._rest = ["Starting..."], ""
            self._show(["Loading the dataset...", "Loading..."], "")
        elif state == IDLE:
            if not message:  # a new model (or none run yet): nothing stale stays
                self.progress.setValue(0)
            self._show(_shorter(message or "Ready"), None)
        else:
            self._show_text()

    def show_progress(self, progress) -> None:
        """Show a trainer.loop.Progress: epoch, percent, ETA and samples/s."""
        self.progress.setValue(int(round(1000 * min(max(progress.fraction, 0.0), 1.0))))
        percent = f"{100 * progress.fraction:.0f}%"
        epoch = f"Epoch {progress.epoch}/{progress.epochs}"
        self._texts = [f"{epoch} \u00b7 {percent}", percent]
        self._rest = (
            f"ETA {format_eta(progress.eta_s)} \u00b7 {progress.samples_per_s:,.0f} samples/s"
        )
        if getattr(progress, "lr", 0.0) > 0:
            self._rest += f" \u00b7 lr {progress.lr:.2g}"
        self._step = progress.step
        self._show_text()

    def _show_text(self) -> None:
        if self._paused:  # one line, no time left: nothing is running
            texts = [f"Paused \u00b7 {t}" for t in self._texts] + ["Paused"]
            self._show(texts, f"Paused at step {self._step}: Resume (Space) goes on.")
        else:
            self._show(self._texts, self._rest)

    def _show(self, texts: list[str], detail: str | None) -> None:
        """Texts for the bar, long to short; `detail` None: the whole line if it was cut."""
        self._shown = (texts, detail)
        self.progress.set_texts(texts)
        if detail is None:
            detail = texts[0] if self.progress.format() != texts[0] else ""
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
