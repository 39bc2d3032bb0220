"""One slow computation at a time off the GUI thread; a newer request drops a stale one.

A `Job` runs `fn(report)` on Qt's global thread pool and hands the result to `done(result)`
(or the exception to `failed(error)`) on the GUI thread. `report(fraction)` may be called
now and then; it raises `Cancelled` once the job was cancelled or replaced, so long jobs end
early. A job started before the last `invalidate()` (a new model, a newer request) never
delivers. Every heavy thing the window does besides training goes through one of these:
the latent map's encoding and projection, the decoded grid, the analysis panels, a run's
data and display model.

QRunnable rather than superqt's `create_worker`: importing superqt (53 modules, 0.1 to
0.4 s) on the GUI thread after the window shows was itself a stall.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class Cancelled(Exception):
    """Raised inside a job when it was cancelled or went stale."""


class _Task(QRunnable):
    def __init__(self, body: Callable[[], None]) -> None:
        super().__init__()
        self._body = body
        self.setAutoDelete(True)

    def run(self) -> None:
        self._body()


class Job(QObject):
    """At most one current job; `run()` replaces (and cancels) the one before."""

    progressed = Signal(float)  # the current job's report(fraction), on the GUI thread
    finished = Signal()  # after a current job delivered its result or error
    _returned = Signal(int, bool, object)  # (generation, ok, value), from the pool thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._stop = threading.Event()
        self._callbacks: tuple[Callable, Callable | None] | None = None
        self._returned.connect(self._deliver)

    def busy(self) -> bool:
        """Whether a job whose result will be delivered is running."""
        return self._callbacks is not None

    def run(self, fn: Callable, done: Callable, failed: Callable | None = None) -> None:
        """Start `fn(report)` on the pool; `done(result)` / `failed(error)` on the GUI thread."""
        self.invalidate()
        generation, stop = self._generation, self._stop
        returned, progressed = self._returned, self.progressed

        def report(fraction: float) -> None:
            if stop.is_set():
                raise Cancelled
            if generation == self._generation:
                progressed.emit(float(fraction))

        def body() -> None:
            try:
                value, ok = fn(report), True
            except Exception as error:  # delivered to `failed` on the GUI thread
                value, ok = error, False
            with contextlib.suppress(RuntimeError):  # the Job was deleted (window closed)
                returned.emit(generation, ok, value)

        self._callbacks = (done, failed)
        QThreadPool.globalInstance().start(_Task(body))

    def invalidate(self) -> None:
        """Results of jobs started so far will be dropped; they stop at their next report."""
        self._stop.set()
        self._stop = threading.Event()
        self._generation += 1
        self._callbacks = None

    def _deliver(self, generation: int, ok: bool, value) -> None:
        if generation != self._generation or self._callbacks is None:
            return
        done, failed = self._callbacks
        self._callbacks = None
        if ok:
            done(value)
        elif not isinstance(value, Cancelled):
            if failed is None:
                raise value
            failed(value)
        self.finished.emit()
