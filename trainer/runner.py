"""A training run in its own process: `start()` returns a `Run` the app polls, never waits on.

The child (`trainer.child.main`) loads the dataset, builds the model, drives `Trainer.run()`
and reports `Ready`, `Update`s and `Done` or `Failed` over a pipe; weights come through
shared memory (`trainer.shared_weights`), and pause, resume and stop go back over a second
pipe. `Run.poll()` and `Run.read_weights()` never wait; a child that dies is one sentence
(`Run.death_sentence()`), and `Run.close()` ends a child in bounded time (stop, terminate,
kill) and frees its pipes and memory.

Children are started by the fork server where there is one (Linux, macOS): it imports
torch once, then forks each child in milliseconds from a process that never ran Qt or a
thread. Elsewhere (Windows) they are spawned. Either way a child is a fresh process whose
crash can't touch the app.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import secrets
import signal
import sys
import threading
import time

from models import ModelConfig
from trainer.child import Done, Failed, Ready, Update, history_digest, main
from trainer.config import TrainConfig
from trainer.progress import empty_history
from trainer.shared_weights import SharedWeights, unlink_name

__all__ = ["Done", "Failed", "Ready", "Run", "Update", "history_digest", "start"]

METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
DEFAULT_LOAD = "trainer.data:load"
# What the fork server imports once for every child: torch, our training code, and
# torch._dynamo (~900 modules), which the optimiser's first step would import otherwise.
PRELOAD = ["trainer.runner", "torch._dynamo"]


def default_threads() -> int:
    """Torch threads for a run: OMP_NUM_THREADS when set, else every core but one, which the
    window keeps. (Measured on 2 cores: with both given to training, a window waking 200 times
    a second preempted one OpenMP thread so often that the other spun at every barrier and a
    small conv trained at 245 samples/s instead of 2,928 on one thread.)"""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return max(1, (os.cpu_count() or 1) - 1)


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
    job = {
        "model": model_config.to_dict(),
        "train": train_config.to_dict(),
        "load": load,
        "threads": threads or default_threads(),
        "hold": hold,
        "shm": f"le_{secrets.token_hex(6)}",
        "env": dict(os.environ),  # a fork server's children would get its own, older copy
    }
    ctx = context()
    messages, child_end = ctx.Pipe(duplex=False)
    control_end, control = ctx.Pipe(duplex=False)
    locks = (ctx.Lock(), ctx.Lock())
    process = launch(main, job, child_end, control_end, locks)
    child_end.close()
    control_end.close()
    return Run(process, messages, control, locks, job)


def launch(target, *args):
    """Start `target(*args)` in a fresh child as runs are started (a started Process)."""
    process = context().Process(target=target, args=args, name="le-training", daemon=True)
    with _main_left_out():
        process.start()
    return process


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
