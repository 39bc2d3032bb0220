"""Connects the training panel, a TrainingWorker, the session and the loss plot.

The GUI thread's share of the work is kept small, because every moment it runs Python it
holds the GIL the training thread needs: progress text is refreshed at most 10 times a
second, and weight snapshots reach the panels at most every SNAPSHOT_MS; when the GUI
thread was busy for more than BUSY_SHARE of the time since the last snapshot (panels
redrawing, the loss plot), the next one waits twice as long, up to MAX_SNAPSHOT_MS. The GUI
thread runs torch on one thread (`use_one_gui_thread`), so its small encodes and decodes never
wait for cores the training thread keeps busy; the run uses torch's original thread count.
"""

from __future__ import annotations

import time
import weakref

import torch
from PySide6.QtCore import QObject, QTimer, Signal

from explorer.loss_plot import LossPanel
from explorer.training_panel import IDLE, LOADING, PAUSED, TRAINING, TrainingPanel
from models import build
from trainer.worker import TrainingResult, TrainingWorker

SNAPSHOT_MS = 1000  # the panels redraw from a new weight snapshot at most this often
MAX_SNAPSHOT_MS = 8000  # ... and at least this often
BUSY_SHARE = 0.1  # the GUI thread's CPU share above which snapshots come less often
TEXT_MS = 100  # progress bar and loss summary refresh
_ORPHANS: set[TrainingWorker] = set()  # workers still ending after their window closed


class TrainingController(QObject):
    """One run at a time: start, pause/resume, stop; throttled snapshots go to the session."""

    stateChanged = Signal(str)
    replacing = Signal()  # the session model is about to be replaced by a new run's model
    message = Signal(str)  # a status-bar line
    error = Signal(str)  # a sentence to show the person (divergence, missing dataset, ...)

    def __init__(self, session, panel: TrainingPanel, loss: LossPanel, parent=None) -> None:
        super().__init__(parent)
        self.session, self.panel, self.loss = session, panel, loss
        self.worker: TrainingWorker | None = None
        self.step = 0  # the latest step reported by the running trainer
        self._model = None  # the session model this run feeds (None before `ready`)
        self._pending: dict | None = None
        self._throttle = QTimer(self, singleShot=True, interval=SNAPSHOT_MS)
        self._throttle.timeout.connect(self._apply_pending)
        self._snapshot_ms = SNAPSHOT_MS
        self._clock = (0.0, 0.0)  # (wall, GUI-thread CPU) at the last snapshot
        self._latest = None  # the newest Progress not yet shown as text
        self._shown = None  # the newest Progress shown
        self._text_timer = QTimer(self, interval=TEXT_MS)
        self._text_timer.timeout.connect(self._show_latest)

    def is_training(self) -> bool:
        return self.worker is not None

    def start(self, model_config, train_config) -> bool:
        """Start a run in the background; False (and a message) when one is running."""
        if self.worker is not None:
            self.message.emit("A run is already going: stop it before starting another.")
            return False
        self.worker = TrainingWorker(model_config, train_config)
        self.worker.ready.connect(self._on_ready)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.step, self._model, self._pending, self._shown = 0, None, None, None
        self._snapshot_ms, self._clock = SNAPSHOT_MS, (time.perf_counter(), time.thread_time())
        self._set_state(LOADING)
        self._text_timer.start()
        self.message.emit(f"Loading {train_config.dataset}...")
        self.worker.start()
        return True

    def toggle_pause(self) -> None:
        if self.worker is None or self.panel.state == LOADING:
            return
        if self.worker.paused:
            self.worker.resume()
            self._set_state(TRAINING)
        else:
            self.worker.pause()
            self._set_state(PAUSED)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.message.emit("Stopping after the current step...")

    def shutdown(self, timeout_ms: int = 10_000) -> TrainingResult | None:
        """Stop the run and wait (bounded) for its thread; returns what it left, if anything."""
        worker = self.worker
        if worker is None:
            return None
        for signal in (worker.ready, worker.progress, worker.finished, worker.failed):
            signal.disconnect()
        worker.stop()
        _release(worker, timeout_ms)
        self.worker = None
        self._text_timer.stop()
        self._throttle.stop()
        self._set_state(IDLE)
        return worker.result

    def _set_state(self, state: str, message: str = "") -> None:
        self.panel.set_state(state, message)
        self.stateChanged.emit(state)

    # -- worker signals --------------------------------------------------------------------
    def _on_ready(self, dataset, model) -> None:
        tc = self.worker.train_config
        self.replacing.emit()  # the window keeps an unsaved model before it goes
        self.session.set_model(model, dataset, history=None, train_config=tc)
        self._model = self.session.model
        self.session.history = {"train": {"step": []}, "val": {"step": [], "epoch": []}}
        self._set_state(PAUSED if self.worker.paused else TRAINING)
        self.message.emit(
            f"Training {model.config.backbone} {model.config.objective} on {tc.dataset}"
        )

    def _on_progress(self, p) -> None:
        if self.session.model is not self._model:
            return  # the person opened another model meanwhile
        new_step = p.step != self.step or p.val_terms is not None
        self.step = p.step
        if new_step and p.terms:
            self.loss.plot.append(p.step, p.terms, p.val_terms, lr=getattr(p, "lr", 0.0))
            self._record(p)
        self._latest = p
        if p.weights is not None:
            self._pending = p.weights
            if not self._throttle.isActive():
                self._apply_pending()
        if p.error:
            self.error.emit(p.error)

    def _record(self, p) -> None:
        """Keep a light copy of the curves in the session, so a save mid-run has them."""
        for split, terms in (("train", p.terms), ("val", p.val_terms)):
            if not terms:
                continue
            columns = self.session.history.setdefault(split, {})
            columns.setdefault("step", []).append(p.step)
            if split == "val":
                columns.setdefault("epoch", []).append(p.epoch)
            for name, value in terms.items():
                columns.setdefault(name, []).append(value)
            if split == "train" and getattr(p, "lr", 0.0) > 0:
                columns.setdefault("lr", []).append(p.lr)

    def _show_latest(self) -> None:
        p, self._latest = self._latest, None
        if p is not None:
            self._shown = p
            self.panel.show_progress(p)
            self.loss.refresh_legend()

    def _apply_pending(self) -> None:
        if self._pending is None or self.session.model is not self._model:
            return
        wall, cpu = time.perf_counter(), time.thread_time()
        busy = (cpu - self._clock[1]) / max(wall - self._clock[0], 1e-3)
        if busy > BUSY_SHARE:
            self._snapshot_ms = min(2 * self._snapshot_ms, MAX_SNAPSHOT_MS)
        else:
            self._snapshot_ms = max(self._snapshot_ms // 2, SNAPSHOT_MS)
        self.session.apply_weights(self._pending)
        self._pending = None
        self._clock = (wall, cpu)
        self._throttle.start(self._snapshot_ms)

    def _on_finished(self, result: TrainingResult | None) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            _release(worker, 2000)
        self._throttle.stop()
        self._pending = None
        self._text_timer.stop()
        last = self._latest or self._shown
        self._show_latest()
        if result is None:
            self._set_state(IDLE, "Stopped before training began")
            self.message.emit("Stopped before training began.")
            return
        if self.session.model is self._model:
            self.session.apply_weights(result.state)
            self.session.set_history(result.history)
        text = (
            "Stopped by a problem: kept the last good weights"
            if result.error
            else f"Stopped at step {self.step} (model kept)"
            if result.stopped
            else f"Finished: {result.train_config.epochs} epochs, {self.step} steps"
        )
        if not (result.error or result.stopped) and last is not None and last.epoch < last.epochs:
            text = (
                f"Stopped early at epoch {last.epoch} of {last.epochs} (no better validation "
                f"loss for {result.train_config.patience} epochs); kept epoch {last.best_epoch}"
            )
        self._set_state(IDLE, text)
        self.message.emit(text + ".")

    def _on_failed(self, text: str) -> None:
        self._text_timer.stop()
        worker, self.worker = self.worker, None
        if worker is not None:
            _release(worker, 2000)
        self._set_state(IDLE, "Training could not run")
        self.error.emit(text)


def use_one_gui_thread() -> None:
    """Run the calling (GUI) thread's torch work on one thread; runs keep DEFAULT_THREADS."""
    torch.set_num_threads(1)


def _release(worker: TrainingWorker, timeout_ms: int) -> None:
    """Wait (bounded) for the worker's thread; one still running is kept alive until it ends."""
    if not worker.wait(timeout_ms):
        _ORPHANS.add(worker)
        ref = weakref.ref(worker)  # the connection must not keep the worker alive itself
        worker._thread.finished.connect(lambda: _ORPHANS.discard(ref()))


def wait_for_orphans(timeout_ms: int = 30_000) -> bool:
    """At exit: wait for runs still ending after their window closed; False if one is stuck."""
    return all(worker.wait(timeout_ms) for worker in list(_ORPHANS))


def result_model(result: TrainingResult):
    """Rebuild the model a TrainingResult describes (for the recovery file on close)."""
    model = build(result.model_config)
    model.load_state_dict(result.state)
    return model.eval()
