"""A training run in its own process: `start()` returns a `Run` the app polls, never waits on.

The child (`trainer.child.main`) loads the dataset, builds the model, drives `Trainer.run()`
and reports `Ready`, `Update`s and `Done` or `Failed` over a pipe; weights come through
shared memory (`trainer.shared_weights`), and pause, resume and stop go back over a second
pipe. `Run.poll()` and `Run.read_weights()` never wait; a child that dies is one sentence
(`Run.death_sentence()`), and `Run.close()` ends a child in bounded time (stop, terminate,
kill) and frees its pipes and memory.

Children are started as trainer/launch.py says (the fork server, or spawn); the names the
app and the tests use from it are importable from here too.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time

from models import ModelConfig
from trainer.child import Done, Failed, Reading, Ready, Update, history_digest, main
from trainer.config import TrainConfig
from trainer.launch import METHOD, context, default_threads, helper_pids, launch, warm_up
from trainer.progress import empty_history
from trainer.shared_weights import SharedWeights, unlink_name

__all__ = ["METHOD", "Done", "Failed", "Reading", "Ready", "Run", "Update", "context",
           "default_threads", "helper_pids", "history_digest", "launch", "start",
           "warm_up"]  # fmt: skip

DEFAULT_LOAD = "trainer.data:load"


def start(
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    load: str = DEFAULT_LOAD,
    threads: int | None = None,
    hold: bool = False,
    state: dict | None = None,
    history: dict | None = None,
) -> Run:
    """Start one run in a new process and return at once (the fork server may block this call
    while it first imports torch: call it off the GUI thread). `load` names a function
    "module:name" that the child calls with the dataset name (tests pass failing datasets).
    `hold`: after Ready the child waits for `Run.go()` (the app shows the model first).
    `state` (name -> numpy array) and `history`: continue that model and its history (steps
    and epochs count on from it; the optimiser and the schedule start afresh)."""
    job = {
        "model": model_config.to_dict(),
        "train": train_config.to_dict(),
        "load": load,
        "threads": threads or default_threads(),
        "hold": hold,
        "state": state,
        "history": history,
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
        self._exitcode = self.exitcode  # read it now: the process object is closed below
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
