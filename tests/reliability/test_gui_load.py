"""Load: 50 start/stop cycles from the GUI and a multi-epoch run with the latent map dragged the
whole time end with no leaked processes, threads or shared memory, bounded memory and a live
event loop."""

from __future__ import annotations

import gc
import math

import numpy as np
from children import gone, shared_block_exists
from PySide6.QtCore import QThread, QThreadPool, QTimer
from support import LONG_MS, live_threads, os_threads, rss_mb

from trainer import runner

CYCLES = 50
WARM_UP = 3  # the first runs load digits, build the optimiser's kernels, grow the heaps
RSS_BOUND_MB = 20.0  # growth allowed over the 50 cycles after warm-up (measured: about 1 MiB)


def _alive(kind) -> int:
    gc.collect()
    return sum(type(o) is kind for o in gc.get_objects())


class Ticker:
    """A GUI-thread timer that counts its firings: it fires only while the event loop runs."""

    def __init__(self, interval_ms: int = 10, action=None) -> None:
        self.ticks = 0
        self.action = action
        self.timer = QTimer(interval=interval_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.ticks += 1
        if self.action is not None:
            self.action(self.ticks)

    def stop(self) -> None:
        self.timer.stop()


def _cycle(window, qtbot, ticker, index: int, pids: list[int], blocks: list[str]) -> None:
    assert window.start_training()
    if index % 2:  # every other run trains a little before the stop; the rest stop at once
        seen = ticker.ticks
        qtbot.waitUntil(lambda: window.run.step > 0, timeout=LONG_MS)
        qtbot.waitUntil(lambda: ticker.ticks > seen, timeout=LONG_MS)  # the GUI kept ticking
        pids.append(window.run.pid)
        blocks.append(window.run.child.shm_name)  # its weights' shared memory block
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG_MS)


def test_fifty_start_stop_cycles_leak_nothing(window, qtbot, choose):
    choose(window, epochs=5, batch_size=32)
    ticker, pids, blocks = Ticker(), [], []
    for i in range(WARM_UP):
        _cycle(window, qtbot, ticker, i, pids, blocks)
    gc.collect()
    rss, threads, names = rss_mb(), os_threads(), live_threads()
    for i in range(CYCLES):
        _cycle(window, qtbot, ticker, i, pids, blocks)
    ticker.stop()
    gc.collect()
    growth = rss_mb() - rss
    print(f"\nstart/stop x{CYCLES}: RSS growth {growth:+.1f} MiB, threads {threads}")
    assert growth < RSS_BOUND_MB
    qtbot.waitUntil(lambda: os_threads() == threads, timeout=LONG_MS)  # the last launch thread
    assert live_threads() == names
    # the run list writes each kept run in a background job: it ends on its own
    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=LONG_MS)
    assert _alive(runner.Run) == 0 and window.run.child is None
    assert len(pids) >= CYCLES // 2 and all(gone(pid) for pid in pids)  # no child, no zombie
    assert not any(shared_block_exists(name) for name in blocks)  # every one unlinked
    threads_left = [o for o in gc.get_objects() if QThread in type(o).__mro__]
    assert not any(t.isRunning() for t in threads_left)
    assert window.training.train_button.isEnabled()


def test_dragging_the_latent_map_through_a_multi_epoch_run(window, qtbot, choose):
    choose(window, objective="vae", epochs=25, batch_size=32)
    latent = window.panel("latent")
    window.tabs.setCurrentWidget(latent)
    threads = os_threads()
    moves: list[np.ndarray] = []

    def drag(tick: int) -> None:  # round and round, as a hand would, on every timer tick
        angle = tick / 10
        latent.move_point([1.5 * math.cos(angle), 1.5 * math.sin(angle)])
        if window.is_training():
            moves.append(latent.decoded())

    ticker = Ticker(15, drag)
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=3 * LONG_MS)
    ticker.stop()
    assert "Finished: 25 epochs" in window.training.progress.format()
    assert window.session.history["val"]["epoch"][-1] == 25
    assert len(moves) > 10  # the map was dragged while training ran
    image = latent.decoded()
    assert image.shape == (8, 8) and image.min() >= 0 and image.max() <= 1
    qtbot.waitUntil(lambda: os_threads() == threads, timeout=LONG_MS)
    assert _alive(runner.Run) == 0
