"""The GUI thread's link to a training process, never waiting on it: `Launcher` starts the
child from a short-lived thread (the fork server may still be importing torch the first
time), `Watcher` says when the child's pipe or its exit has news (a QSocketNotifier on the
pipe and the process sentinel; a short timer where those can't be watched), and `Ender`
ends a child that does not stop when asked."""

from __future__ import annotations

import contextlib
import os
import threading

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from trainer import runner

POLL_MS = 20  # where a pipe can't be watched (Windows), it is read this often
GRACE_MS = 1000  # after Stop: terminate a child still running after this, kill after as long again


class Launcher(QObject):
    """`launch()` starts a child in a thread; `launched` says a result waits for `take()`."""

    launched = Signal()  # the thread left a runner.Run (or the exception) to take

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._pending = None  # what the thread produced, until the GUI thread takes it
        self._token = 0  # which launch is current
        self._lock = threading.Lock()

    def launch(self, model_config, train_config, load: str, **more) -> None:
        """Start a child training `model_config` on `train_config` (`load` and `more`:
        runner.start's)."""
        with self._lock:
            self._token += 1
            token = self._token
        self._thread = threading.Thread(
            target=self._run,
            args=(token, model_config, train_config, load),
            kwargs=more,
            name="le-launch",
        )
        self._thread.start()

    def wait(self, timeout: float) -> None:
        """Wait (at most `timeout` s) for a launch under way."""
        if self._thread is not None:
            self._thread.join(timeout)

    def take(self):
        """The launch's runner.Run or exception (None if there is none); a launch still under
        way from here on is not ours: its child is closed when it arrives."""
        with self._lock:
            result, self._pending = self._pending, None
            self._token += 1
        self._thread = None
        return result

    def _run(self, token: int, mc, tc, load: str, **more) -> None:
        try:
            result = runner.start(mc, tc, load=load, hold=True, **more)
        except Exception as error:  # no process could be started: say so on the GUI thread
            result = error
        with self._lock:
            current = token == self._token
            if current:
                self._pending = result
        if not current:  # take() gave up waiting for this launch long ago
            if isinstance(result, runner.Run):
                result.close(0.1)
            return
        with contextlib.suppress(RuntimeError):  # the window and this object are gone
            self.launched.emit()


class Watcher(QObject):
    """Emits `news` when the watched child's pipe is readable or the child has exited."""

    news = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._notifiers: list[QSocketNotifier] = []
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self.news)

    def watch(self, run: runner.Run) -> None:
        if os.name == "posix":
            for fd in (run.fileno(), run.sentinel):
                notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
                notifier.activated.connect(self.news)
                self._notifiers.append(notifier)
        else:
            self._poll.start()

    def pipe_closed(self) -> None:
        """The pipe reached its end: only the sentinel is news now."""
        if self._notifiers:
            self._notifiers[0].setEnabled(False)

    def stop(self) -> None:
        for notifier in self._notifiers:
            notifier.setEnabled(False)
            notifier.deleteLater()
        self._notifiers = []
        self._poll.stop()


class Ender(QObject):
    """After a Stop: a child still running GRACE_MS later is terminated, and killed after as
    long again. `cancel()` once it has exited."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run: runner.Run | None = None
        self._terminated = False
        self._timer = QTimer(self, singleShot=True, interval=GRACE_MS)
        self._timer.timeout.connect(self._escalate)

    def start(self, run: runner.Run) -> None:
        self._run = run
        self._timer.start()

    def cancel(self) -> None:
        self._timer.stop()
        self._run, self._terminated = None, False

    def _escalate(self) -> None:
        run = self._run
        if run is None or run.exited():
            return
        if self._terminated:
            run.kill()
        else:
            run.terminate()
            self._terminated = True
            self._timer.start()
