"""Helpers for tests that start training processes: datasets the child loads (named
"children:NAME" in `trainer.runner.start(load=...)`) and checks on processes and memory."""

from __future__ import annotations

import ctypes
import os
import sys
import time
from pathlib import Path

from trainer.data import load

QT = ("PySide6", "pyqtgraph", "superqt")


def digits_without_qt(name: str):
    """Digits, after checking that the child imported no Qt (a ValueError says which)."""
    found = sorted(m for m in sys.modules if m.split(".")[0] in QT)
    if found:
        raise ValueError(f"the training process imported Qt: {', '.join(found[:5])}.")
    return load(name)


def slow_digits(name: str):
    """Digits after two seconds, as a slow disk or download would be."""
    time.sleep(2.0)
    return load(name)


def raising(name: str):
    raise RuntimeError("the loader broke on purpose")


def exiting(name: str):
    os._exit(3)


def segfaulting(name: str):
    ctypes.string_at(0)  # reads address 0: SIGSEGV


def gone(pid: int) -> bool:
    """True when no process (not even a zombie) has this PID."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("X",)  # dead; a "Z" zombie still counts as left behind


def shared_block_exists(name: str) -> bool:
    return Path("/dev/shm", name).exists()


def children_of(pid: int) -> list[int]:
    """PIDs whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def slow_folder(name: str, progress=None, cancel=None, **options):
    """A folder read slowly (20 ms a file), reporting and cancellable as trainer.data.load."""

    def slow(done: int, total: int) -> None:
        time.sleep(0.02)
        progress(done, total)

    return load(name, progress=slow, cancel=cancel, **options)
