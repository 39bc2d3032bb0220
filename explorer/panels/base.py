"""What every explorer panel shares: the session, its change signals, and staleness.

A panel shows the session's model. `Panel` wires the session's `modelChanged` and
`weightsChanged` to the hooks `model_changed()` and `weights_changed()` and keeps track of
whether the view is stale (it no longer shows the current weights). A stale panel refreshes
only while it is shown: `refresh()` runs `COALESCE_MS` after the first of a burst of changes
(training publishes weights many times a second), at once with `mark_stale(now=True)`, or
when the panel is next shown. `up_to_date()` refreshes a stale panel at once: the
test-contract getters call it, so they never answer from an older model. `can_refresh()`
holds a refresh back (a running job, a drag); `refresh_soon()` asks again once it may.

`AnalysisPanel` adds a background job with a status line (`explorer.widgets.job_status`):
a new model drops the running job, new weights recompute once the running job is done.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from explorer.jobs import Cancelled
from explorer.widgets.job_status import JobStatus

__all__ = ["AnalysisPanel", "Cancelled", "Panel"]


class Panel(QWidget):
    """Base of the explorer panels, built as `cls(session, parent=None)`.

    Subclasses build their widgets, then call `follow_session()`; they override
    `model_changed()` (a new model or dataset; the default marks the panel stale at once),
    `weights_changed()` (the default marks it stale, coalesced) and `refresh()`.
    """

    COALESCE_MS = 250  # changes within this time are served by one refresh

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._stale = True  # nothing is shown yet
        self._timer = QTimer(self, singleShot=True, interval=self.COALESCE_MS)
        self._timer.timeout.connect(self._due)

    def follow_session(self) -> None:
        """Subscribe to the session (after the widgets exist) and show its model, if any."""
        self.session.modelChanged.connect(self.model_changed)
        self.session.weightsChanged.connect(self.weights_changed)
        if self.session.model is not None:
            self.model_changed()

    def ready(self) -> bool:
        """Whether the session has a model and data to show."""
        return self.session.model is not None and self.session.dataset is not None

    # -- hooks ------------------------------------------------------------------------------
    def model_changed(self) -> None:
        """A new model or dataset."""
        self.mark_stale(now=True)

    def weights_changed(self) -> None:
        """New weights of the same model."""
        self.mark_stale()

    def refresh(self) -> None:
        """Bring the view up to date with the session's model (only called when ready)."""

    def can_refresh(self) -> bool:
        """Whether a due refresh may run now (else call `refresh_soon()` when it may)."""
        return True

    # -- staleness --------------------------------------------------------------------------
    def is_stale(self) -> bool:
        return self._stale

    def mark_stale(self, now: bool = False) -> None:
        """The view no longer shows the model: refresh when shown (at once when `now`)."""
        self._stale = True
        if not self.isVisible():
            return
        if now:
            self.up_to_date()
        else:
            self.refresh_soon()

    def refresh_soon(self, delay_ms: int | None = None) -> None:
        """Refresh a stale, shown panel within `delay_ms` (COALESCE_MS): a refresh already
        due by then is the one."""
        if not (self._stale and self.isVisible()):
            return
        delay = self.COALESCE_MS if delay_ms is None else delay_ms
        if not self._timer.isActive() or self._timer.remainingTime() > delay:
            self._timer.start(delay)

    def refresh_now(self) -> None:
        """Refresh at once, shown or not (a person asked for it)."""
        self._stale = True
        self.up_to_date()

    def up_to_date(self) -> None:
        """Refresh now if stale."""
        if self._stale and self.ready():
            self._timer.stop()
            self._stale = False
            self.refresh()

    def _due(self) -> None:
        if self._stale and self.isVisible() and self.can_refresh():
            self.up_to_date()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh_soon(0)  # once the panel has painted


class AnalysisPanel(Panel):
    """Base for panels that compute in the background from the session's model.

    A new model drops the running job; new weights mark the panel stale and it recomputes
    once the running job is done. Work happens only while the panel is visible.
    """

    COALESCE_MS = 300

    def __init__(self, session, parent=None, cancellable: bool = True):
        super().__init__(session, parent)
        self.job = JobStatus(self, cancellable)
        self.job.finished.connect(lambda: self.refresh_soon())
        self._result = None

    def busy(self) -> bool:
        return self.job.busy()

    def result(self):
        """What the last job for the current model computed (None before it delivered)."""
        return self._result

    def run_job(self, text: str, fn, done, failed=None) -> None:
        """Start `fn(report)` in the background with `text` on the status line; its result is
        kept (`result()`) and handed to `done` on the GUI thread, an error to `failed`."""

        def deliver(out) -> None:
            self._result = out
            done(out)

        self.job.run(text, fn, deliver, failed)

    def refresh(self) -> None:
        """Recompute now (dropping any running job) for the session's current model."""
        self.start(copy.deepcopy(self.session.model), self.session.dataset)

    def start(self, model, dataset) -> None:
        """Subclasses start their job here with a private copy of the model."""
        raise NotImplementedError

    def reset(self) -> None:
        """Subclasses clear what no longer applies to a new model."""

    def can_refresh(self) -> bool:
        return not self.job.busy()

    def model_changed(self) -> None:
        self.job.invalidate()
        self.job.setVisible(False)
        self._result = None
        self.reset()
        self.mark_stale()
