"""A status line for a slow computation off the GUI thread, and the base of analysis panels.

A job is `fn(report)`; it calls `report(fraction)` now and then (which raises `Cancelled`
after Cancel). A job started before the last `invalidate()` (say, a model change) or
replaced by a newer one never delivers its result. The work runs in an `explorer.jobs.Job`.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from explorer.jobs import Cancelled
from explorer.widgets.job_status import JobStatus

__all__ = ["AnalysisPanel", "Cancelled"]


class AnalysisPanel(QWidget):
    """Base for panels that compute in the background from the session's model.

    A new model drops the running job; new weights mark the panel stale and it recomputes
    once the running job is done. Work happens only while the panel is visible.
    """

    def __init__(self, session, parent=None, cancellable: bool = True):
        super().__init__(parent)
        self.session = session
        self.job = JobStatus(self, cancellable)
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

    def showEvent(self, ev) -> None:
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
