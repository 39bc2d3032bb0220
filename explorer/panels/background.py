"""Run one slow computation at a time off the GUI thread, with progress, Cancel and staleness.

A job is `fn(report)`; it calls `report(fraction)` now and then (which raises `Cancelled`
after Cancel). A job started before the last `invalidate()` (say, a model change) or
replaced by a newer one never delivers its result.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class Cancelled(Exception):
    """Raised inside a job when the person pressed Cancel or the job went stale."""


class Background(QWidget):
    """A status line with a progress bar and Cancel button, shown while a job runs."""

    progressed = Signal(int, float)  # generation, fraction; emitted from the worker thread
    finished = Signal()  # after a current job delivered its result or error

    def __init__(self, parent=None, cancellable: bool = True):
        super().__init__(parent)
        self._generation = 0
        self._stop = threading.Event()
        self._callbacks: tuple[Callable, Callable | None] | None = None
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
        self.progressed.connect(self._progressed)
        self.setVisible(False)

    def busy(self) -> bool:
        """Whether a job whose result will be delivered is running."""
        return self._callbacks is not None

    def run(
        self,
        text: str,
        fn: Callable,
        done: Callable,
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        """Start `fn(report)` in a worker thread; `done(result)` runs in the GUI thread."""
        self.invalidate()
        generation, stop = self._generation, self._stop

        def report(fraction: float) -> None:
            if stop.is_set():
                raise Cancelled
            self.progressed.emit(generation, float(fraction))

        def job():
            try:
                return generation, True, fn(report)
            except Exception as error:  # delivered to `failed` in the GUI thread
                return generation, False, error

        self._callbacks = (done, failed)
        self.label.setText(text)
        self.bar.setRange(0, 0)
        self.setVisible(True)
        from superqt.utils import create_worker  # here: superqt pulls in QtOpenGL (~0.1 s)

        worker = create_worker(job, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(self._returned)
        worker.start()

    def cancel(self) -> None:
        """Stop the running job at its next progress report and drop its result."""
        self.invalidate()
        self.setVisible(False)
        self.finished.emit()

    def invalidate(self) -> None:
        """Results of jobs started so far will be dropped."""
        self._stop.set()
        self._stop = threading.Event()
        self._generation += 1
        self._callbacks = None

    def _progressed(self, generation: int, fraction: float) -> None:
        if generation == self._generation:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * min(max(fraction, 0.0), 1.0)))

    def _returned(self, payload) -> None:
        generation, ok, value = payload
        if generation != self._generation or self._callbacks is None:
            return
        done, failed = self._callbacks
        self._callbacks = None
        self.setVisible(False)
        if ok:
            done(value)
        elif not isinstance(value, Cancelled):
            if failed is None:
                raise value
            failed(value)
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
