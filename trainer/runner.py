"""A training run in its own process: `start()` returns a `Run` the app polls, never waits on.

The child loads the dataset, builds the model, drives `Trainer.run()` and sends what the
app needs over a pipe as plain data: `Ready` once (the model's input shape and where its
weights are), `Update`s (the newest Progress without weights, the history rows the trainer
appended since the last one, the newest weights version) at most every SEND_S and at every
pause, error and end, then `Done` or `Failed`. Weights go through `SharedWeights` about
every PUBLISH_S and at the end. Pause, resume and stop cross a second pipe; a child whose
app went away stops. The child lowers its priority (os.nice) and trains on `threads` torch
threads; it imports no Qt.

Children are started by the fork server where there is one (Linux, macOS): it imports
torch once, then forks each child in milliseconds from a process that never ran Qt or a
thread. Elsewhere (Windows) they are spawned. Either way a child is a fresh process whose
crash can't touch the app; `Run` turns its death into one sentence.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import secrets
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field

from models import ModelConfig
from trainer.config import TrainConfig
from trainer.loop import Progress, empty_history
from trainer.shared_weights import SharedWeights, digest, layout_of, unlink_name

SEND_S = 0.05  # at most one Update per this many seconds between pauses, epochs' ends and errors
PUBLISH_S = 0.25  # weights are published about this often
NICE = 10  # the child's priority below the app's
METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
DEFAULT_LOAD = "trainer.data:load"
# What the fork server imports once for every child: torch, our training code, and
# torch._dynamo (~900 modules), which the optimiser's first step would import otherwise.
PRELOAD = ["trainer.runner", "torch._dynamo"]


@dataclass
class Ready:
    input_shape: tuple[int, int, int]  # the dataset's, which the model was built for
    dataset: str
    names: list[str]  # the loss terms the history records ("loss" first)
    layout: list  # where each weight tensor lies in the shared block
    threads: int


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


@dataclass
class Failed:
    text: str  # one sentence: the run could not start, or crashed in its process


def default_threads() -> int:
    """Torch threads for a run: OMP_NUM_THREADS when set, else every core."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return os.cpu_count() or 1


def context():
    ctx = multiprocessing.get_context(METHOD)
    if METHOD == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    return ctx


def warm_up() -> None:
    """Start the fork server now (it imports torch in its own process), not at the first run."""
    if METHOD == "forkserver":
        context()
        from multiprocessing import forkserver

        forkserver.ensure_running()


def helper_pids() -> set[int]:
    """multiprocessing's own long-lived helpers (fork server, resource tracker), if started."""
    from multiprocessing import forkserver, resource_tracker

    pids = {forkserver._forkserver._forkserver_pid, resource_tracker._resource_tracker._pid}
    return {p for p in pids if p}


def start(
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    load: str = DEFAULT_LOAD,
    threads: int | None = None,
    hold: bool = False,
) -> Run:
    """Start one run in a new process and return at once (the fork server may block this call
    while it first imports torch: call it off the GUI thread). `load` names a function
    "module:name" that the child calls with the dataset name (tests pass failing datasets).
    `hold`: after Ready the child waits for `Run.go()` (the app shows the model first)."""
    ctx = context()
    job = {
        "model": model_config.to_dict(),
        "train": train_config.to_dict(),
        "load": load,
        "threads": threads or default_threads(),
        "hold": hold,
        "shm": f"le_{secrets.token_hex(6)}",
        "env": dict(os.environ),  # a fork server's children would get its own, older copy
    }
    messages, child_end = ctx.Pipe(duplex=False)
    control_end, control = ctx.Pipe(duplex=False)
    locks = (ctx.Lock(), ctx.Lock())
    process = ctx.Process(
        target=_child, args=(job, child_end, control_end, locks), name="le-training", daemon=True
    )
    with _main_left_out():
        process.start()
    child_end.close()
    control_end.close()
    return Run(process, messages, control, locks, job)


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_left_out():
    """Start children without re-importing the parent's __main__ in them (multiprocessing
    does that so pickled functions from it resolve; ours live in this module). A script
    that imports Qt at its top would otherwise bring Qt into the child."""
    main = sys.modules["__main__"]
    keys = ("__spec__", "__file__")
    with _MAIN_LOCK:
        saved = {k: main.__dict__[k] for k in keys if k in main.__dict__}
        main.__dict__.update(__spec__=None)
        main.__dict__.pop("__file__", None)
        try:
            yield
        finally:
            main.__dict__.update(saved)
            if "__file__" not in saved:
                main.__dict__.pop("__file__", None)


class Run:
    """The app's handle on one child: poll() its messages, read its weights, control it."""

    def __init__(self, process, messages, control, locks, job) -> None:
        self.process, self.pid = process, process.pid
        self._messages, self._control, self._locks = messages, control, locks
        self.shm_name = job["shm"]
        self.threads = job["threads"]
        self.weights: SharedWeights | None = None
        self.version = 0  # the newest weights version read
        self.state: dict | None = None  # ... and those weights (CPU tensors)
        self.step = 0  # the newest step reported
        self.history: dict | None = None  # the trainer's history, rebuilt from the rows
        self.ready: Ready | None = None
        self.paused = False  # the child said it waits in a pause (its last Update)
        self.outcome: Done | Failed | None = None
        self._eof = False
        self._closed = False
        self._exitcode: int | None = None

    # -- what the app calls ----------------------------------------------------------------
    def fileno(self) -> int:
        """The message pipe's descriptor: readable when poll() has something."""
        return self._messages.fileno()

    @property
    def sentinel(self) -> int:
        """Readable once the child has ended."""
        return self.process.sentinel

    def poll(self, limit: int = 64) -> list:
        """Up to `limit` messages that have arrived (Ready, Update, Done, Failed); never waits."""
        out = []
        while not self._eof and len(out) < limit:
            try:
                if not self._messages.poll(0):
                    break
                message = self._messages.recv()
            except (EOFError, OSError):
                self._eof = True
                break
            out.append(self._take(message))
        return out

    def read_weights(self, timeout: float | None = None):
        """(version, state dict) newer than the last read, or None; never waits unless told."""
        if self.weights is None:
            return None
        got = self.weights.read(self.version, timeout)
        if got is not None:
            self.version, self.state = got
        return got

    @property
    def final_state(self) -> dict | None:
        """The weights the run ended with, once Done has arrived and they were read whole."""
        done = self.outcome
        if isinstance(done, Done) and self.version == done.version:
            return self.state
        return None

    def go(self) -> None:
        """Let a child started with `hold` begin training."""
        self._send("go")

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def stop(self) -> None:
        self._send("stop")

    def terminate(self) -> None:
        if self.alive():
            self.process.terminate()

    def kill(self) -> None:
        if self.alive():
            self.process.kill()

    @property
    def eof(self) -> bool:
        """The child closed its end of the message pipe (it ended, or is ending)."""
        return self._eof

    def alive(self) -> bool:
        return self.exitcode is None

    def exited(self) -> bool:
        """Whether the child has ended (reaped: no zombie); never waits."""
        return self.exitcode is not None

    @property
    def exitcode(self) -> int | None:
        """The child's exit status (negative: the signal that ended it); None while it runs."""
        if self._exitcode is None and not self._closed:
            self._exitcode = self.process.exitcode
        return self._exitcode

    def exit_reason(self) -> str:
        """How the child ended, as words: "exited with code 3", "was killed by signal 9 ..."."""
        code = self.exitcode
        if code is None:
            return "is still running"
        if code >= 0:
            return f"exited with code {code}"
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "an unknown signal"
        hint = " (out of memory, or killed from outside)" if -code == signal.SIGKILL else ""
        return f"was killed by signal {-code} ({name}){hint}"

    def death_sentence(self) -> str:
        """One sentence for a child that ended without saying Done or Failed."""
        return (
            f"The training process (pid {self.pid}) {self.exit_reason()} at step {self.step}: "
            "the last weights it sent are kept, so you can save them or train again."
        )

    def close(self, grace_s: float = 1.0) -> None:
        """Stop the child (bounded: stop, then terminate, then kill) and free everything."""
        if self._closed:
            return
        if self.alive():
            self.stop()
            self._wait(grace_s)
        if self.alive():
            self.process.terminate()
            self._wait(grace_s)
        if self.alive():
            self.process.kill()
            self.process.join()
        self.cleanup()

    def _wait(self, seconds: float) -> None:
        """Join for up to `seconds`, reading messages meanwhile so a full pipe can't block it."""
        end = time.monotonic() + seconds
        while self.alive() and time.monotonic() < end:
            self.poll()
            self.process.join(0.02)

    def cleanup(self) -> None:
        """After the child ended: unlink the shared block, close the pipes, reap the process."""
        if self._closed:
            return
        self.process.join(0)
        self.exitcode  # noqa: B018  (kept: the process object is closed below)
        self._closed = True
        if self.weights is not None:
            self.weights.close()
            self.weights.unlink()
            self.weights = None
        else:
            unlink_name(self.shm_name)
        for conn in (self._messages, self._control):
            conn.close()
        if self._exitcode is not None:
            self.process.close()

    # -- internals ------------------------------------------------------------------------
    def _send(self, command: str) -> None:
        if not self._closed:
            with contextlib.suppress(OSError, ValueError):  # the child is gone: its end closed
                self._control.send(command)

    def _take(self, message):
        if isinstance(message, Ready):
            self.ready = message
            self._attach()
        elif isinstance(message, Update):
            self.step, self.paused = message.progress.step, message.paused
            self._add_rows(message.rows)
        elif isinstance(message, Done | Failed):
            self.outcome = message
            if isinstance(message, Done):  # the child writes no more: its slot is free
                self.read_weights(timeout=5.0)
        return message

    def _attach(self) -> None:
        self.history = empty_history(self.ready.names)
        self.weights = SharedWeights(self.shm_name, self.ready.layout, self._locks)

    def _add_rows(self, rows: dict) -> None:
        for split, columns in rows.items():
            for key, values in columns.items():
                self.history.setdefault(split, {}).setdefault(key, []).extend(values)


def _child(job: dict, conn, control, locks) -> None:
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
    import importlib

    import torch

    from trainer.data import DatasetError
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
    try:
        dataset = getattr(importlib.import_module(module), name)(tc.dataset)
        mc = ModelConfig.from_dict(job["model"])  # after the loader: it may register objectives
        mc.input_shape = tuple(dataset.shape)
        trainer = Trainer(mc, tc, dataset)
    except (DatasetError, ValueError) as error:
        _send(conn, Failed(str(error)))
        return
    state = trainer.model.state_dict()
    layout = layout_of(state)
    weights = SharedWeights(job["shm"], layout, locks, create=True)
    weights.publish(state)
    _send(conn, Ready(tuple(dataset.shape), dataset.name, trainer.names, layout, job["threads"]))
    if not gate.attach(trainer):
        _send(conn, Done(began=False, version=weights.version, digest=digest(state)))
        return
    sent = {split: 0 for split in trainer.history}
    last_send = last_publish = time.perf_counter()
    last = None
    for last in trainer.run():
        now = time.perf_counter()
        final = last.done or last.stopped or last.error is not None
        paused = trainer.paused and not final
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
        ),
    )
    weights.close()


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
