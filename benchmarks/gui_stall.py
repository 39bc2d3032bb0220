"""GUI event-loop stall while training in the child process, the latent map's refresh rate,
and samples/s of the run against a bare loop in a plain child process.

The real main window (offscreen, all panels, the latent map shown) trains a real model with
`start_training()`, as the Train button does: the run is a child process (`trainer.runner`).
A 5 ms QTimer on the GUI thread records how late each tick fires (p50 / p99 / max ms):
`first_run_*` from pressing Train to the first progress of the first run, `p*` while runs
train, `idle_*` with nothing running, `bare_*` beside the bare loop. `map_refresh_ms` is the
median and max interval between the latent map's refreshes (`mapRefreshed`) while training.
The bare loop (benchmarks/train_throughput.py's, same model, data, batch, epochs and
epoch-end validation) runs in a plain child started the same way, at the same priority and
threads; runs alternate and `ratio` is the median of run / bare samples/s, each timed in its
child (the run from its first step to its end). `stop_ms` is Stop to the child's exit.
Prints one JSON object.

    python benchmarks/gui_stall.py [--dataset shapes] [--epochs 3] [--repeats 3]
        [--threads N] [--no-panels] [--tab latent]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LATENT_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="le-bench-")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TICK_MS = 5
SETTLE_S = 2.0  # event loop time after a run, before the next one starts
BUDGETS = {"p99_ms": 8.0, "max_ms": 30.0, "map_refresh_median_ms": 500.0,
           "first_run_max_ms": 50.0, "ratio": 0.95}  # fmt: skip


def stats(late: list[float], prefix: str = "") -> dict[str, float]:
    import numpy as np

    a = np.asarray(late or [0.0])
    return {
        f"{prefix}p50_ms": round(float(np.percentile(a, 50)), 2),
        f"{prefix}p99_ms": round(float(np.percentile(a, 99)), 2),
        f"{prefix}max_ms": round(float(a.max()), 2),
    }


def main() -> None:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from train_throughput import bare_child  # same folder

    from explorer.app import freeze_heap, make_app
    from trainer import runner
    from trainer.child import NICE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="shapes")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads of a run")
    parser.add_argument("--tab", default="latent", help="the explorer panel shown while training")
    parser.add_argument("--no-panels", action="store_true", help="the window without panels")
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # what runs use (default_threads)
    threads = runner.default_threads()
    if args.no_panels:
        from explorer.panels import PANELS as ALL

        ALL.clear()

    class Ticks:
        """One 5 ms GUI-thread timer; each tick's lateness (ms) goes to `into`."""

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
        loop, poll = QEventLoop(), QTimer(interval=5)
        poll.timeout.connect(lambda: done() and loop.quit())
        poll.start()
        if not done():
            loop.exec()
        poll.stop()

    def settle(seconds: float) -> None:
        end = time.perf_counter() + seconds
        run_loop_until(lambda: time.perf_counter() > end)

    app = make_app([])
    from explorer.window import MainWindow

    window = MainWindow()
    window.resize(1360, 860)
    window.show()
    from explorer.panels import PANELS

    for name, _title, _cls in PANELS:  # every panel built (the window builds them when shown)
        window.panel(name)
    if args.tab in window.tabs.built():
        window.tabs.setCurrentWidget(window.panel(args.tab))
    app.processEvents()
    runner.warm_up()  # as run_app does once the window shows
    freeze_heap()

    form = window.form
    form.set_dataset(args.dataset)
    form.backbone.setCurrentIndex(form.backbone.findData("conv"))
    form.objective.setCurrentIndex(form.objective.findData("vae"))
    form.code_size.setValue(2)
    form.hidden.setText("16,32")
    form.epochs.setValue(args.epochs)
    form.batch_size.setValue(args.batch_size)
    form.device.setCurrentIndex(max(form.device.findData("cpu"), 0))

    ticks = Ticks()
    idle, first_run, training, beside_bare, stops = [], [], [], [], []
    refreshes: list[list[float]] = []  # per run: when the map refreshed while it trained
    latent = window.panel("latent") if "latent" in window.tabs.built() else None
    if latent is not None:
        latent.mapRefreshed.connect(
            lambda: window.run.state == "training" and refreshes[-1].append(time.perf_counter())
        )
    ticks.into = idle
    run_loop_until(lambda: len(idle) >= 400)  # about 2 s of an idle window
    ticks.into = None
    settle(3.0)  # the fork server finishes importing torch, as it would before a first click

    def through_window(first: bool) -> float:
        """One run through the window; its samples/s as timed in the child."""
        outcome: dict = {}
        run = window.run
        handlers = (
            (run.failed, lambda text: outcome.setdefault("failed", text)),
            (run.finished, lambda result: outcome.setdefault("result", result)),
            (run.progress, lambda _p: outcome.setdefault("progress", True)),
        )
        for signal, handler in handlers:
            signal.connect(handler)
        ticks.into = first_run if first else training
        refreshes.append([])
        window.start_training()
        if first:
            run_loop_until(lambda: "progress" in outcome or not window.is_training())
            ticks.into = training
        run_loop_until(lambda: not window.is_training())
        ticks.into = None
        for signal, handler in handlers:
            signal.disconnect(handler)
        if "result" not in outcome:
            sys.exit(f"training failed: {outcome.get('failed')}")
        return args.epochs * len(window.session.dataset.train_x) / outcome["result"].seconds

    def bare() -> float:
        parent_end, child_end = runner.context().Pipe(duplex=False)
        config, tc = form.model_config(), form.train_config()
        process = runner.launch(
            bare_child, child_end, config.to_dict(), tc.to_dict(), runner.DEFAULT_LOAD,
            threads, NICE,
        )  # fmt: skip
        child_end.close()
        ticks.into = beside_bare
        run_loop_until(lambda: parent_end.poll(0) or not process.is_alive())
        ticks.into = None
        sps = parent_end.recv()
        process.join()
        return sps

    ours, plain, ratios = [], [], []
    for r in range(args.repeats):
        got = {}
        for kind in ("run", "bare") if r % 2 == 0 else ("bare", "run"):
            if kind == "run":
                got[kind] = through_window(first=r == 0)
                settle(SETTLE_S)  # the panels finish their last redraw
            else:
                got[kind] = bare()
        ours.append(got["run"])
        plain.append(got["bare"])
        ratios.append(got["run"] / got["bare"])

    # Stop: from the press to the child's exit, on a long run.
    for _ in range(3):
        form.epochs.setValue(1000)
        window.start_training()
        refreshes.append([])
        run_loop_until(lambda: window.run.state == "training" and window.run.step > 10)
        start = time.perf_counter()
        window.stop_training()
        run_loop_until(lambda: window.run.state == "idle")
        stops.append((time.perf_counter() - start) * 1000)
    window.close()

    gaps = [1000 * (b - a) for run in refreshes for a, b in zip(run, run[1:])]
    result = {
        **stats(training),
        "ticks": len(training),
        "map_refresh_ms": {
            "median": round(statistics.median(gaps), 1) if gaps else None,
            "max": round(max(gaps), 1) if gaps else None,
            "refreshes": sum(len(run) for run in refreshes),
        },
        "first_run_max_ms": round(max(first_run or [0.0]), 2),
        "first_run_ticks": len(first_run),
        "ratio": round(statistics.median(ratios), 3),
        "run_sps": round(statistics.median(ours), 1),
        "bare_sps": round(statistics.median(plain), 1),
        "stop_ms": [round(s) for s in stops],
        **stats(idle, "idle_"),
        **stats(beside_bare, "bare_"),
        "reference": "bare PyTorch loop in a plain child process (same start method, priority "
        "and threads), same model/data/batch/epochs",
        "budget": BUDGETS,
        "tick_ms": TICK_MS,
        "model": "conv vae hidden=16,32 code=2",
        "dataset": args.dataset,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "panels": len(window.tabs.built()),
        "panel_shown": args.tab if window.tabs.built() else None,
        "run_threads": threads,
        "start_method": runner.METHOD,
        "cpus": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
