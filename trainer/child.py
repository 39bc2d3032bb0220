"""The training process's side of a run: load, build, train, report; and the messages it sends.

`trainer.runner.start` runs `main` in a fresh child. It sends `Ready` once (the model's input
shape, its loss terms and where its weights lie in shared memory), then `Update`s (the newest
Progress without weights, the history rows the trainer appended since the last one, the
newest weights version) at most every SEND_S and at every pause, epoch end, error and end,
then `Done` or `Failed`: plain data, pickled small. Weights go through `SharedWeights` about
every PUBLISH_S and at the end. The child lowers its priority, trains on the threads it was
given, stops when the app's end of the control pipe closes, and imports no Qt.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import inspect
import json
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field, replace

from models import ModelConfig
from trainer.config import TrainConfig
from trainer.progress import Progress
from trainer.shared_weights import SharedWeights, digest, layout_of

SEND_S = 0.05  # at most one Update per this many seconds between pauses, epochs' ends and errors
PUBLISH_S = 0.25  # weights are published about this often
NICE = 10  # the child's priority below the app's


@dataclass
class Ready:
    input_shape: tuple[int, int, int]  # the dataset's, which the model was built for
    dataset: str
    names: list[str]  # the loss terms the history records ("loss" first)
    layout: list  # where each weight tensor lies in the shared block
    threads: int


@dataclass
class Reading:
    done: int  # files of a folder read so far (before Ready, while the data loads)
    total: int


@dataclass
class Update:
    progress: Progress  # weights is None: they come through shared memory
    rows: dict  # {"train": {column: [values]}, "val": {...}}: what the trainer's history gained
    version: int  # the newest weights version published so far
    paused: bool = False  # the child is waiting in a pause (this was its last Update before it)


@dataclass
class Done:
    began: bool  # False: stopped before the first step
    stopped: bool = False
    error: str | None = None  # divergence, bad data, out of memory ... (one sentence)
    version: int = 0  # the final weights' version
    digest: str = ""  # of the final weights, to check the copy that arrived
    rows: dict = field(default_factory=dict)  # {"train": n, "val": n}: the history's length
    history_digest: str = ""  # of the trainer's history, to check the one rebuilt from rows
    seconds: float = 0.0  # wall time from the first step to the end, in the child


@dataclass
class Failed:
    text: str  # one sentence: the run could not start, or crashed in its process


def _reading(conn):
    """progress(done, total) for the loader: a Reading at most every SEND_S, and the last."""
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] >= SEND_S:
            last[0] = now
            _send(conn, Reading(done, total))

    return progress


def main(job: dict, conn, control, locks) -> None:
    """The child process: train, report, exit without the interpreter's slow teardown."""
    code = 0
    try:
        _train(job, conn, control, locks)
    except Exception as error:  # anything unexpected: one sentence, the details on stderr
        traceback.print_exc()
        text = str(error).strip().splitlines()[0].rstrip(".") if str(error).strip() else ""
        _send(conn, Failed(f"Training failed in its process ({type(error).__name__}: {text})."))
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        conn.close()
        os._exit(code)


def _send(conn, message) -> None:
    try:
        conn.send(message)
    except (BrokenPipeError, OSError):  # the app went away: nothing to report to
        os._exit(0)


def _train(job: dict, conn, control, locks) -> None:
    import torch

    from trainer import relay
    from trainer.data import DatasetError, options
    from trainer.loop import Trainer

    os.environ.clear()
    os.environ.update(job["env"])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the app's to handle
    if hasattr(os, "nice"):
        os.nice(NICE)
    torch.set_num_threads(job["threads"])
    gate = _Gate(job["hold"])
    threading.Thread(target=gate.listen, args=(control,), daemon=True).start()
    module, name = job["load"].split(":")
    tc = TrainConfig.from_dict(job["train"])
    nproc = relay.wanted(tc.device)  # every GPU: ranks train, this process relays (cpu copy)
    try:
        loader = getattr(importlib.import_module(module), name)
        extra = {}  # a loader that reports its reading, and stops it when the run is stopped
        if "progress" in inspect.signature(loader).parameters:
            extra = {"progress": _reading(conn), "cancel": gate.cancel}
        dataset = loader(tc.dataset, **options(tc), **extra)
        mc = ModelConfig.from_dict(job["model"])  # after the loader: it may register objectives
        mc.input_shape = tuple(dataset.shape)
        trainer = Trainer(mc, tc if nproc == 1 else replace(tc, device="cpu"), dataset,
                          *_continued(mc, job))  # fmt: skip
    except (DatasetError, ValueError) as error:
        _send(conn, Failed(str(error)))
        return
    gc.freeze()  # what exists now lives until the end: full collections need not scan it
    state = trainer.model.state_dict()
    layout = layout_of(state)
    weights = SharedWeights(job["shm"], layout, locks, create=True)
    weights.publish(state)
    _send(conn, Ready(tuple(dataset.shape), dataset.name, trainer.names, layout, job["threads"]))
    if nproc > 1:
        relay.serve(job, nproc, conn, gate, weights, _send)
        weights.close()
        return
    if not gate.attach(trainer):
        _send(conn, Done(began=False, version=weights.version, digest=digest(state)))
        return
    sent = {split: 0 for split in trainer.history}
    began = last_send = last_publish = time.perf_counter()
    last = None
    for last in trainer.run():
        now = time.perf_counter()
        final = last.done or last.stopped or last.error is not None
        paused = last.paused  # the pause itself, not a pause asked for since this step
        if final or paused or now - last_publish >= PUBLISH_S:
            weights.publish(trainer.model.state_dict())
            last_publish = now
        if final or paused or last.val_terms is not None or now - last_send >= SEND_S:
            last.weights = None
            rows = _new_rows(trainer.history, sent)
            _send(conn, Update(last, rows, weights.version, paused))
            last_send = now
    final_state = trainer.model.state_dict()
    _send(
        conn,
        Done(
            began=True,
            stopped=bool(last and last.stopped),
            error=last.error if last else None,
            version=weights.version,
            digest=digest(final_state),
            rows={split: len(trainer.history[split]["step"]) for split in trainer.history},
            history_digest=history_digest(trainer.history),
            seconds=time.perf_counter() - began,
        ),
    )
    weights.close()


def _continued(mc: ModelConfig, job: dict) -> tuple:
    """(model, history) for a run that continues a model (job "state", numpy arrays), else
    (None, None): the trainer builds a fresh one."""
    if job.get("state") is None:
        return None, None
    import torch

    from models import build

    model = build(mc)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in job["state"].items()})
    return model, job.get("history")


def history_digest(history: dict) -> str:
    """sha256 of a history's JSON: equal digests mean equal histories."""
    text = json.dumps(history, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _new_rows(history: dict, sent: dict) -> dict:
    """The rows each split gained since `sent` (updated): every column cut the same way."""
    rows = {}
    for split, columns in history.items():
        n = len(columns["step"])
        if n > sent[split]:
            rows[split] = {key: values[sent[split] : n] for key, values in columns.items()}
            sent[split] = n
    return rows


class _Gate:
    """The child's end of the control pipe: pause, resume, stop; the app gone means stop."""

    def __init__(self, hold: bool) -> None:
        self._lock = threading.Lock()
        self._trainer = None
        self._paused = self._stopped = False
        self._go = threading.Event()
        self.cancel = threading.Event()  # set by a stop: ends the reading of a folder
        if not hold:
            self._go.set()

    def listen(self, control) -> None:
        while True:
            try:
                command = control.recv()
            except (EOFError, OSError):
                command = "stop"
            with self._lock:
                if command != "go":
                    self._paused = command == "pause" or (self._paused and command != "resume")
                self._stopped |= command == "stop"
                if self._trainer is not None:
                    self._apply(self._trainer)
            if command in ("go", "stop"):
                self._go.set()
            if command == "stop":
                self.cancel.set()
            if command == "stop":
                return

    def attach(self, trainer) -> bool:
        """Wait for the go (when held), hand the trainer what arrived so far; False when a
        stop came before training."""
        self._go.wait()
        with self._lock:
            self._trainer = trainer
            self._apply(trainer)
            return not self._stopped

    def _apply(self, trainer) -> None:
        if self._stopped:
            trainer.stop()
        elif self._paused:
            trainer.pause()
        else:
            trainer.resume()
