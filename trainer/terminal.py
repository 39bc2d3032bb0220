"""What `train` writes to the terminal: a progress bar redrawn in place on a TTY
(occasional lines otherwise), epoch lines, and how far reading a folder of images has got."""

from __future__ import annotations

import math
import sys
import time

BAR_S = 0.1  # the TTY progress bar is redrawn at most this often
LINE_S = 10.0  # without a TTY, a progress line at most this often
BAR_WIDTH = 24


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressPrinter:
    """A one-line bar redrawn with \\r on a TTY (occasional lines otherwise), and epoch lines."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last = 0.0
        self.width = 0

    def _write(self, text: str, end: str) -> None:
        if self.tty:
            pad = max(self.width - len(text), 0)
            self.stream.write(f"\r{text}{' ' * pad}{end}")
            self.width = 0 if end else len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def update(self, p) -> None:
        now = time.monotonic()
        rate = f"{p.samples_per_s:,.0f} samples/s  ETA {_clock(p.eta_s)}"
        loss = p.terms.get("loss", math.nan)
        if p.val_terms is not None:
            val = p.val_terms.get("loss", math.nan)
            line = f"epoch {p.epoch}/{p.epochs}  train loss {loss:.4f}  val loss {val:.4f}  {rate}"
            self._write(line, "\n")
        elif now - self.last >= (BAR_S if self.tty else LINE_S):
            filled = int(BAR_WIDTH * p.fraction)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            where = f"step {p.step}  epoch {p.epoch}/{p.epochs}"
            self._write(f"[{bar}] {100 * p.fraction:3.0f}%  {where}  loss {loss:.4f}  {rate}", "")
        else:
            return
        self.last = now

    def close(self) -> None:
        if self.tty and self.width:
            self._write("", "\n")


def reading(stream=None):
    """A progress(done, total) that prints how far reading a folder has got."""
    printer = ProgressPrinter(stream)

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - printer.last < (BAR_S if printer.tty else LINE_S):
            return
        printer.last = now
        printer._write(
            f"Reading images: {done:,} of {total:,} files", "\n" if done == total else ""
        )

    return progress
