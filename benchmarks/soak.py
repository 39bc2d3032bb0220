"""Soak: many training start/stop cycles from the real window, then a long run with the latent
map dragged on every timer tick; prints one JSON object of memory, thread and stall figures.

The test suite (tests/reliability/test_gui_load.py) runs a short version with assertions;
this is the longer one whose figures go into docs/reliability.md.

    python benchmarks/soak.py [--cycles 200] [--epochs 100]

RSS is VmRSS of /proc/self/status, measured after a warm-up of 3 cycles; threads are the
OS's list without Qt's idle pool threads (those end on their own 30 s after their last
job); a 10 ms GUI timer records the largest gaps between its ticks (a stall detector).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LATENT_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="le-soak-")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from procstats import os_threads, rss_mb  # noqa: E402  (same folder)
from PySide6.QtCore import QEventLoop, QThreadPool, QTimer  # noqa: E402

from explorer.app import make_app  # noqa: E402
from trainer import runner  # noqa: E402

WARM_UP = 3


class Gaps:
    """A 10 ms GUI-thread timer; each tick records the time since the previous one."""

    def __init__(self, action=None) -> None:
        self.gaps: list[float] = []
        self.ticks, self.action, self.last = 0, action, time.perf_counter()
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last) * 1000)
        self.last, self.ticks = now, self.ticks + 1
        if self.action is not None:
            self.action(self.ticks)

    def figures(self, prefix: str) -> dict:
        gaps = sorted(self.gaps) or [math.nan]
        p99 = gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))]
        return {f"{prefix}_gap_p50_ms": round(statistics.median(gaps), 1),
                f"{prefix}_gap_p99_ms": round(p99, 1), f"{prefix}_gap_max_ms": round(gaps[-1], 1),
                f"{prefix}_ticks": self.ticks}  # fmt: skip


def run_until(done, limit_s: float = 120.0) -> None:
    """Run the event loop until done() (polled every 5 ms) or `limit_s` passes."""
    loop, poll, end = QEventLoop(), QTimer(interval=5), time.perf_counter() + limit_s
    poll.timeout.connect(lambda: (done() or time.perf_counter() > end) and loop.quit())
    poll.start()
    if not done():
        loop.exec()
    poll.stop()
    if not done():
        raise SystemExit(f"soak: gave up waiting after {limit_s} s")


def choose(window, epochs: int, objective: str = "ae") -> None:
    form = window.form
    form.set_dataset("digits")
    form.backbone.setCurrentIndex(form.backbone.findData("mlp"))
    form.objective.setCurrentIndex(form.objective.findData(objective))
    form.code_size.setValue(2)
    form.hidden.setText("16")
    form.epochs.setValue(epochs)
    form.batch_size.setValue(32)
    form.device.setCurrentIndex(form.device.findData("cpu"))


def cycle(window, index: int) -> None:
    window.start_training()
    if index % 2:
        run_until(lambda: window.run.step > 0)
    window.stop_training()
    run_until(lambda: not window.is_training())


def cycles(window, count: int) -> dict:
    choose(window, epochs=5)
    for i in range(WARM_UP):
        cycle(window, i)
    gc.collect()
    rss, threads, gaps, start = rss_mb(), os_threads(), Gaps(), time.perf_counter()
    for i in range(count):
        cycle(window, i)
    gaps.timer.stop()
    elapsed = time.perf_counter() - start
    run_until(lambda: os_threads() == threads)
    gc.collect()
    growth = rss_mb() - rss
    return {"cycles": count, "cycles_s": round(elapsed, 1), "rss_start_mib": round(rss, 1),
            "rss_growth_mib": round(growth, 1),
            "rss_growth_per_cycle_kib": round(1024 * growth / count, 1),
            "threads_before": len(threads), "threads_after": len(os_threads()),
            "runs_alive": sum(type(o) is runner.Run for o in gc.get_objects()),
            "shared_blocks_left": len(list(Path("/dev/shm").glob("le_*"))),
            "pool_active": QThreadPool.globalInstance().activeThreadCount(),
            **gaps.figures("cycles")}  # fmt: skip


def drag_run(window, epochs: int) -> dict:
    choose(window, epochs=epochs, objective="vae")
    latent = window.panel("latent")
    window.tabs.setCurrentWidget(latent)
    rss, moves = rss_mb(), [0]

    def drag(tick: int) -> None:
        latent.move_point([1.5 * math.cos(tick / 10), 1.5 * math.sin(tick / 10)])
        moves[0] += window.is_training()

    gaps, start = Gaps(drag), time.perf_counter()
    window.start_training()
    run_until(lambda: not window.is_training(), limit_s=3600)
    gaps.timer.stop()
    return {"drag_epochs": epochs, "drag_run_s": round(time.perf_counter() - start, 1),
            "drag_moves": moves[0], "drag_finished": window.training.progress.format(),
            "drag_rss_growth_mib": round(rss_mb() - rss, 1),
            **gaps.figures("drag")}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    app = make_app([])
    from explorer.window import MainWindow

    window = MainWindow()
    window.show()
    app.processEvents()
    runner.warm_up()
    report = {"machine": f"{os.cpu_count()} CPUs", **cycles(window, args.cycles)}
    report.update(drag_run(window, args.epochs))
    window.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
