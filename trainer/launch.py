"""How a training child is started: by the fork server where there is one (Linux, macOS),
else spawned (Windows), with the threads it may use; trainer.runner re-exports these.

The fork server imports torch once, then forks each child in milliseconds from a process
that never ran Qt or a thread. Either way a child is a fresh process whose crash can't
touch the app.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading

METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
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
    does that so pickled functions from it resolve; ours live in trainer). A script that
    imports Qt at its top would otherwise bring Qt into the child."""
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
