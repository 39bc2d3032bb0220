"""A status line for a slow computation off the GUI thread: a label, a progress bar, Cancel.

A job is `fn(report)`; it calls `report(fraction)` now and then (which raises `Cancelled`
after Cancel). A job started before the last `invalidate()` (say, a model change) or
replaced by a newer one never delivers its result. The work runs in an `explorer.jobs.Job`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from explorer.jobs import Job

__all__ = ["JobStatus"]


class JobStatus(QWidget):
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
        self.cancel_button.setToolTip("Stop this computation; the panel keeps what it showed")
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
