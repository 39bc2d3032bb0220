"""`TrainingRun`: the GUI's half of a training run. It owns the run state and follows the child.

States: idle -> loading (the child starts, loads the data and builds the model; the window
gets the same data and a CPU display copy in the background) -> training <-> paused -> idle.
The form, the buttons, the progress bar and the loss plot follow the signals; the session's
model is the display copy, and every new weights version the child publishes goes into it.

Nothing here waits: the child is started and its pipe watched through `child_link`, the
weights are read without waiting for a lock, and Stop escalates by timers (stop, then
terminate a second later, then kill). Only `shutdown()` (closing the window, opening a
file) waits, for at most a few seconds.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import QObject, QTimer, Signal

from explorer.jobs import Job
from explorer.session import model_from
from explorer.training.child_link import Ender, Launcher, Watcher
from explorer.training.continuation import continuation, has_trained
from explorer.training.outcome import ending
from models import ModelConfig
from trainer import runner
from trainer.config import TrainConfig
from trainer.data import load, options

IDLE, LOADING, TRAINING, PAUSED = "idle", "loading", "training", "paused"
TEXT_MS = 100  # the newest Progress goes out at most this often


class TrainingRun(QObject):
    """One run at a time for `session`: start, pause / resume, stop; signals for the views."""

    stateChanged = Signal(str, str)  # (state, a line for the progress bar when idle)
    progress = Signal(object)  # the newest trainer.loop.Progress (no weights), <= 1 / TEXT_MS
    weightsArrived = Signal(int)  # a weights version went into the session's model
    finished = Signal(object)  # RunResult: the run trained and ended (done, stopped, or an error)
    failed = Signal(str)  # one sentence: the run could not start, or its process died
    message = Signal(str)  # a status-bar line
    replacing = Signal()  # the session's model is about to be replaced by the run's

    def __init__(self, session, parent: QObject | None = None, load: str = runner.DEFAULT_LOAD):
        super().__init__(parent)
        self.session, self.load = session, load
        self._state = IDLE
        self.step = 0
        self.child: runner.Run | None = None  # the training process, while there is one
        self.history: dict | None = None  # the trainer's history as it arrives
        self._configs: tuple[ModelConfig, TrainConfig] | None = None
        self._model = None  # the session model this run feeds (None until it is set)
        self._wanted = "train"  # what the person asked for last: train, pause or stop
        self._latest = None  # the newest Progress not yet sent out
        self._newest = None  # the newest Progress of this run
        self._applied = 0  # the weights version the session's model holds
        self._prepare = Job(self)
        self._text = QTimer(self, interval=TEXT_MS)
        self._text.timeout.connect(self._send_latest)
        self._launcher = Launcher(self)
        self._launcher.launched.connect(self._on_launched)
        self._watcher = Watcher(self)
        self._watcher.news.connect(self._check)
        self._ender = Ender(self)

    # -- what the window calls ---------------------------------------------------------------
    @property
    def state(self) -> str:
        """idle, loading, training or paused."""
        return self._state

    def is_training(self) -> bool:
        return self.state != IDLE

    @property
    def pid(self) -> int | None:
        """The training process's PID while there is one."""
        return self.child.pid if self.child is not None else None

    def start(self, model_config: ModelConfig, train_config: TrainConfig, **more) -> bool:
        """Start a run; False (and a message) when one is going. `more`: runner.start's
        `state` and `history`, to continue a model."""
        if self.is_training():
            self.message.emit("A run is already going: stop it before starting another.")
            return False
        mc, tc = model_config.copy(), copy.copy(train_config)
        self._configs, self.step, self.history = (mc, tc), 0, None
        self._model, self._latest, self._newest, self._wanted = None, None, None, "train"
        self._applied = 0
        self._set_state(LOADING)
        self.message.emit(f"Loading {tc.dataset}...")
        self._text.start()
        self._launcher.launch(mc, tc, self.load, **more)
        return True

    def can_continue(self) -> bool:
        """The session's model has trained (a history and its settings) and no run is going."""
        return not self.is_training() and has_trained(self.session)

    def continue_run(self) -> bool:
        """Train the session's model on from where it stopped, its history continued: the
        epochs left of its run, or as many again when it finished them."""
        if not self.can_continue():
            text = "A run is going." if self.is_training() else "Nothing to continue yet."
            self.message.emit(f"{text} Train a model first, or stop the current run.")
            return False
        model_config, train_config, more = continuation(self.session)
        return self.start(model_config, train_config, **more)

    def pause(self) -> None:
        self._hold(True)

    def resume(self) -> None:
        self._hold(False)

    def _hold(self, pause: bool) -> None:
        """Pause a training run, or resume a paused one, between two of its steps."""
        if self.state != (TRAINING if pause else PAUSED):
            return
        self._wanted = "pause" if pause else "train"
        if self.child is not None:
            (self.child.pause if pause else self.child.resume)()
        self._set_state(PAUSED if pause else TRAINING)

    def toggle_pause(self) -> None:
        self.resume() if self.state == PAUSED else self.pause()

    def stop(self) -> None:
        """Ask the run to stop after its current step; a child that does not is ended."""
        if not self.is_training():
            return
        self._wanted = "stop"
        if self.child is not None:
            self.child.stop()
            self._ender.start(self.child)
        self.message.emit("Stopping after the current step...")

    def shutdown(self, grace_s: float = 0.5) -> None:
        """Stop now and wait (a few seconds at most) until the child is gone; the newest
        weights it published go into the session first. For closing and opening files."""
        if not self.is_training():
            return
        self._wanted = "stop"
        self._launcher.wait(10.0)  # the launch itself takes milliseconds once warm
        launched = self._launcher.take()
        if isinstance(launched, runner.Run):
            self.child = launched
        if self.child is not None:
            self._apply_weights()
            self.child.close(grace_s)
        self._finish_quietly()

    # -- starting ---------------------------------------------------------------------------
    def _on_launched(self) -> None:
        result = self._launcher.take()
        if result is None:
            return  # shutdown() took it already
        if not isinstance(result, runner.Run):
            self._end_idle("Training could not run")
            self.failed.emit(f"The training process could not start ({result}): try again.")
            return
        self.child = result
        if self._wanted == "stop":
            self.stop()
        self._watcher.watch(result)
        self._check()

    # -- following the child ----------------------------------------------------------------
    def _check(self, *_) -> None:
        """Read what arrived (never waiting); when the child has ended, finish the run."""
        run = self.child
        if run is None:
            return
        for message in run.poll():
            if isinstance(message, runner.Ready):
                self._ready(message)
            elif isinstance(message, runner.Update):
                self._update(message)
            elif isinstance(message, runner.Reading):  # a folder being read before Ready
                self.message.emit(f"Reading images: {message.done:,} of {message.total:,} files")
        self._apply_weights()
        if run.exited():
            self._ended()
        elif run.eof:
            self._watcher.pipe_closed()

    def _ready(self, ready: runner.Ready) -> None:
        """The child has its data and model: get the same data and a display copy, off the GUI
        thread, then hand them to the session."""
        self.history = self.child.history
        mc, tc = self._configs
        mc.input_shape = tuple(ready.input_shape)
        got = self.child.read_weights()
        state = got[1] if got else None
        session = self.session
        data = session.dataset

        def prepare(_report):
            dataset = data
            if dataset is None or dataset.name != ready.dataset or dataset.shape != mc.input_shape:
                dataset = load(tc.dataset, **options(tc))
            return dataset, model_from(mc, state)

        self._prepare.run(prepare, self._prepared, self._prepare_failed)

    def _prepared(self, got) -> None:
        if self.child is None or self._wanted == "stop":
            return
        dataset, model = got
        mc, tc = self._configs
        self.replacing.emit()  # the window keeps an unsaved model before it goes
        self.session.set_model(model, dataset, history=self.history, train_config=tc)
        self._model = self.session.model
        self._apply_weights()
        self.child.go()  # it waited after Ready: the curves and the panels start with step 0
        self._set_state(TRAINING)
        self.message.emit(f"Training {mc.backbone} {mc.objective} on {tc.dataset}")

    def _prepare_failed(self, error: Exception) -> None:
        self.failed.emit(f"The window could not load {self._configs[1].dataset}: {error}")
        self.stop()

    def _ours(self) -> bool:
        return self._model is not None and self.session.model is self._model

    def _update(self, update: runner.Update) -> None:
        self.step = update.progress.step
        self._latest = self._newest = update.progress
        if self._ours() and update.rows:
            self.session.extend_history(update.rows)

    def _apply_weights(self) -> None:
        """Put the newest weights the child published into the session's model (also those
        the runner read itself when Done arrived)."""
        child = self.child
        if child is None or not self._ours():
            return
        child.read_weights()
        if child.state is not None and child.version > self._applied:
            self._applied = child.version
            self.session.apply_weights(child.state)
            self.weightsArrived.emit(child.version)

    def _ended(self) -> None:
        """The child is gone (reaped): take its last words and weights, free everything, and
        tell how it ended (outcome.ending)."""
        run = self.child
        for message in run.poll(limit=100_000):
            if isinstance(message, runner.Update):
                self._update(message)
        self._apply_weights()
        end = ending(
            run, self._wanted, self.step, self._configs, self._newest, self.history, self._ours()
        )
        self._stop_following()
        self._end_idle(end.idle)
        if end.line is not None:
            self.message.emit(end.line)
        if end.result is not None:
            self.finished.emit(end.result)
        if end.failure is not None:
            self.failed.emit(end.failure)

    def _stop_following(self) -> None:
        self._watcher.stop()
        self._ender.cancel()
        self._prepare.invalidate()
        if self.child is not None:
            self.child.cleanup()
        self.child = None

    def _finish_quietly(self) -> None:
        self._stop_following()
        self._end_idle(f"Stopped at step {self.step} (model kept)" if self.step else "Ready")

    def _end_idle(self, text: str) -> None:
        self._text.stop()
        self._send_latest()
        self._set_state(IDLE, text)

    def _send_latest(self) -> None:
        p, self._latest = self._latest, None
        if p is not None and self._ours():
            self.progress.emit(p)

    def _set_state(self, state: str, text: str = "") -> None:
        self._state = state
        self.stateChanged.emit(state, text)
