"""A status line for a slow computation off the GUI thread, and the base of analysis panels.

A job is `fn(report)`; it calls `report(fraction)` now and then (which raises `Cancelled`
after Cancel). A job started before the last `invalidate()` (say, a model change) or
replaced by a newer one never delivers its result. The work runs in an `explorer.jobs.Job`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from explorer.jobs import Cancelled, Job

__all__ = ["AnalysisPanel", "Background", "Cancelled"]


class Background(QWidget):
    """A status line with a progress bar and Cancel button, shown while a job runs."""

    finished = Signal()  # after a current job delivered its result or error

    def __init__(self, parent=None, cancellable: bool = True):
        super().__init__(parent)
        self.job = Job(self)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(cancellable)
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        self.job.progressed.connect(self._progressed)
        self.job.finished.connect(self._finished)
        self.setVisible(False)

    def busy(self) -> bool:
        """Whether a job whose result will be delivered is running."""
        return self.job.busy()

    def run(
        self,
        text: str,
        fn: Callable,
        done: Callable,
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        """Start `fn(report)` in a worker thread; `done(result)` runs in the GUI thread."""
        self.label.setText(text)
        self.bar.setRange(0, 0)
        self.setVisible(True)
        self.job.run(fn, done, failed)

    def cancel(self) -> None:
        """Stop the running job at its next progress report and drop its result."""
        self.invalidate()
        self.setVisible(False)
        self.finished.emit()

    def invalidate(self) -> None:
        """Results of jobs started so far will be dropped."""
        self.job.invalidate()

    def _progressed(self, fraction: float) -> None:
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(1000 * min(max(fraction, 0.0), 1.0)))

    def _finished(self) -> None:
        self.setVisible(False)
        self.finished.emit()


class AnalysisPanel(QWidget):
    """Base for panels that compute in the background from the session's model.

    A new model drops the running job; new weights mark the panel stale and it recomputes
    once the running job is done. Work happens only while the panel is visible.
    """

    def __init__(self, session, parent=None, cancellable: bool = True):
        super().__init__(parent)
        self.session = session
        self.job = Background(self, cancellable)
        self._dirty = True
        self._timer = QTimer(self, singleShot=True, interval=300)
        self._timer.timeout.connect(self._flush)
        self.job.finished.connect(self._after_job)
        session.modelChanged.connect(self._model_changed)
        session.weightsChanged.connect(self._weights_changed)

    def busy(self) -> bool:
        return self.job.busy()

    def refresh(self) -> None:
        """Recompute now (dropping any running job) for the session's current model."""
        self._dirty = False
        if self.session.model is None or self.session.dataset is None:
            return
        self.start(copy.deepcopy(self.session.model), self.session.dataset)

    def start(self, model, dataset) -> None:
        """Subclasses start their job here with a private copy of the model."""
        raise NotImplementedError

    def model_changed(self) -> None:
        """Subclasses clear what no longer applies to the new model."""

    def showEvent(self, ev) -> None:  # noqa: N802 (Qt override)
        super().showEvent(ev)
        if self._dirty:
            self._timer.start(0)

    def _model_changed(self) -> None:
        self.job.invalidate()
        self.job.setVisible(False)
        self.model_changed()
        self._schedule()

    def _weights_changed(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        self._dirty = True
        if self.isVisible():
            self._timer.start()

    def _flush(self) -> None:
        if self._dirty and self.isVisible() and not self.job.busy():
            self.refresh()

    def _after_job(self) -> None:
        if self._dirty and self.isVisible():
            self._timer.start()
