"""Runs `Trainer.run()` in a QThread: the only trainer module that imports Qt.

The thread loads the dataset (it may download), builds the model, hands the GUI a CPU
copy of both (`ready`), then streams every `Progress` (`progress`) and ends with a
`TrainingResult` (`finished`) or one sentence (`failed`). The GUI never touches the
model being trained: it only receives copies.

The run sets its own thread's torch thread count at its start (DEFAULT_THREADS, torch's count
when this module was imported, unless `cpu_threads` says otherwise), because the GUI thread
runs torch on one thread.
"""

from __future__ import annotations

import copy
import traceback
from dataclasses import dataclass

import torch
from PySide6.QtCore import QObject, QThread, Signal

from models import ModelConfig
from trainer.config import TrainConfig
from trainer.data import DatasetError, load
from trainer.loop import Trainer

DEFAULT_THREADS = torch.get_num_threads()  # torch's CPU thread count when the app started


@dataclass
class TrainingResult:
    """What a finished, stopped or diverged run leaves: CPU weights and the full history."""

    model_config: ModelConfig
    train_config: TrainConfig
    dataset: object
    state: dict
    history: dict
    stopped: bool = False
    error: str | None = None


class _Thread(QThread):
    def __init__(self, target) -> None:
        super().__init__()
        self._target = target

    def run(self) -> None:
        self._target()


class TrainingWorker(QObject):
    """One training run off the GUI thread; start() once, then pause/resume/stop."""

    ready = Signal(object, object)  # (Dataset, CPU model copy) before the first step
    progress = Signal(object)  # trainer.loop.Progress
    finished = Signal(object)  # TrainingResult, or None when stopped before training began
    failed = Signal(str)  # one sentence: the run could not start or crashed

    def __init__(
        self,
        model_config: ModelConfig,
        train_config: TrainConfig,
        parent: QObject | None = None,
        cpu_threads: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.cpu_threads = cpu_threads or DEFAULT_THREADS
        self.model_config = model_config.copy()
        self.train_config = copy.copy(train_config)
        self.trainer: Trainer | None = None
        self.result: TrainingResult | None = None
        self._stop_requested = False
        self._pause_requested = False
        self._thread = _Thread(self._run)

    # -- control (GUI thread) -------------------------------------------------------------
    def start(self) -> None:
        # The first optimizer step imports torch._dynamo (~900 modules). Done in the worker it
        # raced the GUI thread's own lazy imports and could hang both; do it here, once.
        import torch._dynamo  # noqa: F401

        self._thread.start()

    def pause(self) -> None:
        self._pause_requested = True
        if self.trainer is not None:
            self.trainer.pause()

    def resume(self) -> None:
        self._pause_requested = False
        if self.trainer is not None:
            self.trainer.resume()

    def stop(self) -> None:
        self._stop_requested = True
        if self.trainer is not None:
            self.trainer.stop()

    @property
    def paused(self) -> bool:
        return self._pause_requested

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, ms: int) -> bool:
        """Block up to `ms` milliseconds for the thread to end; True when it has."""
        return self._thread.wait(ms) if self._thread.isRunning() else True

    # -- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._train()
        except (DatasetError, ValueError) as error:
            self.failed.emit(str(error))
        except Exception as error:  # anything else: report it, keep the app alive
            traceback.print_exc()
            self.failed.emit(f"Training failed ({type(error).__name__}: {error}); see the log.")

    def _train(self) -> None:
        tc = self.train_config
        torch.set_num_threads(self.cpu_threads)
        dataset = load(tc.dataset)
        config = self.model_config
        config.input_shape = tuple(dataset.shape)
        trainer = Trainer(config, tc, dataset)
        if self._stop_requested:
            self.finished.emit(None)
            return
        self.trainer = trainer
        if self._pause_requested:
            trainer.pause()
        if self._stop_requested:  # stop() may have run before self.trainer was set
            trainer.stop()
        self.ready.emit(dataset, copy.deepcopy(trainer.model).to("cpu"))
        last = None
        for last in trainer.run():
            self.progress.emit(last)
        state = {k: v.detach().to("cpu", copy=True) for k, v in trainer.model.state_dict().items()}
        self.result = TrainingResult(
            model_config=config,
            train_config=tc,
            dataset=dataset,
            state=state,
            history=copy.deepcopy(trainer.history),
            stopped=bool(last and last.stopped),
            error=last.error if last else None,
        )
        self.finished.emit(self.result)
