"""Helpers for the reliability tests: bounded calls, sentences, threads and memory."""

from __future__ import annotations

import threading

import numpy as np

from benchmarks.procstats import os_threads, rss_mb  # the soak benchmark measures the same

__all__ = [
    "GRID",
    "LONG_MS",
    "LONG_S",
    "assert_sentence",
    "bounded",
    "live_threads",
    "os_threads",
    "rss_mb",
]

LONG_S = 60.0  # generous bound for a shared, slow CPU; a hang fails, slowness does not
LONG_MS = int(LONG_S * 1000)
GRID = np.array([[x, y] for x in (-1.5, 0.0, 1.5) for y in (-1.5, 0.0, 1.5)], np.float32)


def bounded(fn, *args, timeout: float = LONG_S, **kwargs):
    """Run `fn` in a thread; return (result, exception). Fails if it is still running after
    `timeout` seconds (pytest-timeout is not installed, so hangs are bounded by hand)."""
    box: dict = {}

    def target() -> None:
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as error:  # the caller checks what it was
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True, name="bounded-call")
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{getattr(fn, '__name__', fn)} hung for over {timeout} s"
    return box.get("result"), box.get("error")


def assert_sentence(text: str) -> None:
    """A message a person can read: non-empty, one line, ends with a full stop."""
    assert isinstance(text, str) and text.strip(), "empty message"
    assert text.rstrip().endswith("."), f"not a sentence: {text!r}"
    assert "Traceback" not in text, text


def live_threads() -> list[str]:
    """Names of the Python threads alive now (Qt's own threads appear once Python runs in them)."""
    return sorted(t.name for t in threading.enumerate() if t.is_alive())
