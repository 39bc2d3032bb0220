"""GUI event-loop stall while training, and samples/s through the GUI worker vs a bare loop.

The real main window (offscreen) trains a real model through `trainer.worker` while a
5 ms QTimer on the GUI thread records how late each tick fires (p50 / p99 / max ms).
In the same process, a bare PyTorch loop trains the same model config on the same data,
batch size and epochs (with the same epoch-end validation) in a plain Python thread while
the event loop idles; runs are interleaved and `ratio` is the median of worker samples/s
over bare samples/s. The same timer also runs with nothing training (`idle_*`) and beside
the bare loop (`bare_*`), which shows what the machine and a busy training thread cost the
GUI thread before the window does anything. Prints one JSON object.

    python benchmarks/gui_stall.py [--dataset shapes] [--epochs 2] [--repeats 3]
        [--device cpu|cuda|auto] [--threads N] [--no-panels] [--tab latent]

Both loops train with torch's default CPU threads; `--threads N` sets that default first.

`--no-panels` empties the PANELS list first, to tell the window's own cost (worker, loss
plot, progress, snapshots) from the explorer panels' redraws.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LATENT_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="le-bench-")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from train_throughput import bare_sps as plain_loop_sps  # noqa: E402  (same folder)

from explorer.app import make_app  # noqa: E402
from models import ModelConfig  # noqa: E402
from trainer import data  # noqa: E402
from trainer import worker as worker_module  # noqa: E402
from trainer.config import TrainConfig  # noqa: E402
from trainer.loop import resolve_device  # noqa: E402

TICK_MS = 5
SETTLE_S = 2.0  # event loop time after a worker run, before the next run starts
BUDGETS = {"p99_ms": 16.0, "max_ms": 50.0, "ratio": 0.90}


def bare_sps(
    config: ModelConfig, dataset, epochs: int, bs: int, lr: float, device, threads: int
) -> float:
    """Samples/s of the headless benchmark's plain loop, on `threads` torch threads."""
    torch.set_num_threads(threads)
    tc = TrainConfig(epochs=epochs, batch_size=bs, lr=lr, device=str(device), seed=0)
    return plain_loop_sps(config, tc, dataset, time.perf_counter)


class Ticks:
    """One 5 ms GUI-thread timer, always running; each tick's lateness (ms) goes to `into`."""

    def __init__(self) -> None:
        self.into: list[float] | None = None
        self._last = time.perf_counter()
        self.timer = QTimer(interval=TICK_MS, timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.into is not None:
            self.into.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now


def run_loop_until(done) -> None:
    """Run the Qt event loop until done() is true (polled every 20 ms)."""
    loop = QEventLoop()
    poll = QTimer(interval=20)
    poll.timeout.connect(lambda: done() and loop.quit())
    poll.start()
    if not done():
        loop.exec()
    poll.stop()


def settle(seconds: float) -> None:
    """Run the event loop for `seconds`."""
    end = time.perf_counter() + seconds
    run_loop_until(lambda: time.perf_counter() > end)


def bare_run(ticks: Ticks, late: list[float] | None, args: tuple) -> float:
    """bare_sps in a plain thread (the kind the worker trains in) with the event loop live."""
    result: dict[str, float] = {}
    thread = threading.Thread(target=lambda: result.setdefault("sps", bare_sps(*args)))
    ticks.into = late
    thread.start()
    run_loop_until(lambda: not thread.is_alive())
    ticks.into = None
    thread.join()
    return result["sps"]


def worker_run(window, ticks: Ticks, late: list[float]) -> float:
    """Train once through the window; samples/s timed in the worker thread itself."""
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks.setdefault(name, time.perf_counter())
        ticks.into = late if name == "start" else None

    window.start_training()
    worker = window.controller.worker
    direct = Qt.ConnectionType.DirectConnection  # runs in the worker thread, at the emit
    worker.ready.connect(lambda *_: mark("start"), direct)
    worker.finished.connect(lambda *_: mark("end"), direct)
    worker.failed.connect(lambda text: marks.setdefault("failed", text))
    run_loop_until(lambda: not window.is_training())
    ticks.into = None
    if "failed" in marks:
        sys.exit(f"training failed: {marks['failed']}")
    epochs, n = window.form.epochs.value(), len(window.session.dataset.train_x)
    return epochs * n / (marks["end"] - marks["start"])


def stats(late: list[float], prefix: str = "") -> dict[str, float]:
    a = np.asarray(late or [0.0])
    return {
        f"{prefix}p50_ms": round(float(np.percentile(a, 50)), 2),
        f"{prefix}p99_ms": round(float(np.percentile(a, 99)), 2),
        f"{prefix}max_ms": round(float(a.max()), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="shapes")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--tab", default="latent", help="the explorer panel shown while training")
    parser.add_argument("--no-panels", action="store_true", help="the window without panels")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
        worker_module.DEFAULT_THREADS = args.threads  # what a run uses unless told otherwise
    if args.no_panels:
        from explorer.panels import PANELS

        PANELS.clear()
    device = resolve_device(args.device)
    bare_threads = torch.get_num_threads()
    app = make_app([])
    from explorer.window import MainWindow

    window = MainWindow()
    window.resize(1360, 860)
    window.show()
    if args.tab in window._panels:
        window.tabs.setCurrentWidget(window.panel(args.tab))
    app.processEvents()

    form = window.form
    form.set_dataset(args.dataset)
    form.backbone.setCurrentIndex(form.backbone.findData("conv"))
    form.objective.setCurrentIndex(form.objective.findData("vae"))
    form.code_size.setValue(2)
    form.hidden.setText("16,32")
    form.epochs.setValue(args.epochs)
    form.batch_size.setValue(args.batch_size)
    form.device.setCurrentIndex(max(form.device.findData(device.type), 0))
    dataset = data.load(args.dataset)
    config = form.model_config()
    config.input_shape = tuple(dataset.shape)
    lr = form.lr.value()
    bare_args = (config, dataset, args.epochs, args.batch_size, lr, device, bare_threads)

    ticks = Ticks()
    idle, beside_bare, training = [], [], []
    ticks.into = idle
    run_loop_until(lambda: len(idle) >= 400)  # about 2 s of an idle window
    bare_run(ticks, None, (config, dataset, 1, args.batch_size, lr, device, bare_threads))
    ours, bare, ratios = [], [], []
    for r in range(args.repeats):
        got = {}
        for kind in ("worker", "bare") if r % 2 == 0 else ("bare", "worker"):
            if kind == "worker":
                got[kind] = worker_run(window, ticks, training)
                settle(SETTLE_S)  # the panels finish their last redraw
            else:
                got[kind] = bare_run(ticks, beside_bare, bare_args)
        ours.append(got["worker"])
        bare.append(got["bare"])
        ratios.append(got["worker"] / got["bare"])
    window.close()
    result = {
        **stats(training),
        "ticks": len(training),
        "ratio": round(statistics.median(ratios), 3),
        "worker_sps": round(statistics.median(ours), 1),
        "bare_sps": round(statistics.median(bare), 1),
        **stats(idle, "idle_"),
        **stats(beside_bare, "bare_"),
        "reference": "bare PyTorch loop in a plain thread, same model/data/batch/epochs/process",
        "budget": BUDGETS,
        "tick_ms": TICK_MS,
        "model": "conv vae hidden=16,32 code=2",
        "dataset": dataset.name,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "panels": len(window._panels),
        "panel_shown": args.tab if window._panels else None,
        "device": str(device),
        "bare_threads": bare_threads,
        "worker_threads": worker_module.DEFAULT_THREADS,
        "cpus": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "torch": torch.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
