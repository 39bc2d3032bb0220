"""The latent map at scale: drag latency and the refresh after new weights at 10,000 and
100,000 test points, with the longest block of the GUI thread during the refresh.

Prints one JSON object. A 28x28 mlp VAE (code size 2, a few Adam steps) on the synthetic
10-class 28x28 data (benchmarks/synthetic.py, no download) is shown in a real LatentPanel
offscreen, its N test codes on the map (from view.DENSE_POINTS on, a density image with a
k-d tree). Drag: `move_point` along a path, each move timed to the repaint (as
benchmarks/drag_latency.py); pan: the view moved a 200th of its width per step, timed to the
repaint (a density image is redrawn in a job once the view rests). Refresh:
`session.apply_weights` of another set of weights to the `mapRefreshed` signal (the dots, or
the density image, show the new codes), while a 1 ms precise QTimer on the GUI thread
records the gaps between its ticks: `block_max_ms` is the longest time the GUI thread did
not get back to its event loop, `block_cpu_max_ms` the most CPU time the GUI thread itself
spent within one such gap (the rest of a gap is waiting: the machine's load, or the GIL),
and `idle_block_*` the same ticks for a second with nothing to do (the machine's load
alone). The references in the same run: the bare encoding of the N test points on one torch
thread (`bare_encode_s`), what any refresh must at least spend, and the same map with every
dot drawn as scatter items (`scatter_*`, the map before density rendering) at the largest N.
`conv`: the same figures for drag_latency.py's 28x28 conv VAE (DESIGN.md's drag budget names
a conv decoder; one refresh each: its encoder is slow). The top-level `drag_p99_ms` is the
conv model's, `refresh_s` and `block_max_ms` the mlp's, all at the largest N.

    python benchmarks/map_scale.py [--sizes 10000,100000] [--moves 500] [--refreshes 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from synthetic import synthetic_digits  # noqa: E402  (same folder)

from explorer.panels.latent import LatentPanel, view, work  # noqa: E402
from explorer.session import Session, use_one_gui_thread  # noqa: E402
from models import ModelConfig, build  # noqa: E402

BUDGETS = {"drag_p99_ms": 8.0, "refresh_s": 1.0, "block_max_ms": 16.0}
N_TRAIN = 2000
CONV_HIDDEN = [32, 64]  # benchmarks/drag_latency.py's model


def config(backbone: str, hidden) -> ModelConfig:
    return ModelConfig(backbone=backbone, objective="vae", input_shape=(1, 28, 28),
                       code_size=2, hidden=hidden, loss="bce")  # fmt: skip


def trained(data, backbone: str, hidden, steps: int, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = build(config(backbone, hidden))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(steps):
        idx = torch.randint(0, len(data.train_x), (128,))
        opt.zero_grad()
        model(data.train_x[idx]).loss.backward()
        opt.step()
    return model.eval()


def settle(app, panel, limit_s: float = 120.0) -> None:
    end = time.perf_counter() + limit_s
    while time.perf_counter() < end:
        app.processEvents()
        done = panel.map_ready() and not panel.busy() and not panel.is_stale()
        if done and (not panel.dots.dense or panel.dots.image is not None):
            return
        time.sleep(0.002)
    sys.exit("map_scale: the map did not settle")


def drag(app, panel, moves: int) -> dict:
    xy = panel.positions()
    lo, hi = np.percentile(xy, 2, axis=0), np.percentile(xy, 98, axis=0)
    t = np.linspace(0, 2 * np.pi, moves + 50)
    path = lo + (hi - lo) * (0.5 + 0.5 * np.stack([np.sin(3 * t), np.sin(2 * t + 0.5)], 1))
    ms = []
    for k, p in enumerate(path):
        t0 = time.perf_counter()
        panel.move_point(p)
        app.processEvents()
        if k >= 50:  # the first 50 warm up
            ms.append((time.perf_counter() - t0) * 1e3)
    q = np.percentile(ms, [50, 99])
    return {"drag_p50_ms": round(float(q[0]), 3), "drag_p99_ms": round(float(q[1]), 3),
            "drag_max_ms": round(max(ms), 3)}  # fmt: skip


def pan(app, panel, moves: int) -> dict:
    """Per step: the view panned by a 200th of its width, timed to the repaint."""
    ms = []
    for k in range(moves):
        (x0, x1), _ = panel.vb.viewRange()
        step = (x1 - x0) / 200 * (1 if (k // 50) % 2 == 0 else -1)
        t0 = time.perf_counter()
        panel.vb.translateBy(x=step)
        app.processEvents()
        ms.append((time.perf_counter() - t0) * 1e3)
    q = np.percentile(ms, [50, 99])
    return {"pan_p50_ms": round(float(q[0]), 3), "pan_p99_ms": round(float(q[1]), 3)}


def ticking(loop: QEventLoop, start) -> tuple[float, float]:
    """Run `loop` (after calling start()) with a 1 ms precise timer ticking on the GUI thread:
    (the longest gap between ticks, the most GUI-thread CPU time within one gap), in ms."""
    ticks = []
    timer = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), time.thread_time())))
    timer.start()
    ticks.append((time.perf_counter(), time.thread_time()))
    start()
    loop.exec()
    ticks.append((time.perf_counter(), time.thread_time()))
    timer.stop()
    gaps = np.diff(np.array(ticks), axis=0) * 1e3
    return float(gaps[:, 0].max()), float(gaps[:, 1].max())


def refresh(panel, state) -> tuple[float, float, float]:
    """(seconds from apply_weights to mapRefreshed, the longest gap between 1 ms ticks and
    the most GUI-thread CPU in one gap, in ms)."""
    loop, done, began = QEventLoop(), [], []
    panel.mapRefreshed.connect(loop.quit)
    panel.mapRefreshed.connect(lambda: done.append(time.perf_counter()))
    QTimer.singleShot(60_000, loop.quit)

    def start():
        began.append(time.perf_counter())
        panel.session.apply_weights(state)

    block, cpu = ticking(loop, start)
    panel.mapRefreshed.disconnect()
    if not done:
        sys.exit("map_scale: no refresh within 60 s")
    return done[0] - began[0], block, cpu


def idle_block() -> tuple[float, float]:
    """The same ticks for a second with nothing to do: what the machine's load alone costs."""
    loop = QEventLoop()
    QTimer.singleShot(1000, loop.quit)
    return ticking(loop, lambda: None)


def bare_encode_s(model, x) -> float:
    t0 = time.perf_counter()
    with torch.no_grad():
        work.encode(model, x, lambda _f: None)
    return time.perf_counter() - t0


def measure(app, n: int, backbone: str, hidden, moves: int, refreshes: int, dense_at: int):
    data = synthetic_digits(N_TRAIN, n)
    models = [trained(data, backbone, hidden, 30, s) for s in (0, 1)]
    states = [{k: v.clone() for k, v in m.state_dict().items()} for m in models]
    session = Session()
    session.set_model(models[0], data)
    view.DENSE_POINTS = dense_at
    panel = LatentPanel(session)
    panel.resize(1100, 700)
    panel.show()
    settle(app, panel)
    gc.freeze()  # as run_app does (explorer.app.freeze_heap)
    figures = {"points": n, "model": f"{backbone} vae 28x28, hidden {hidden}, code size 2",
               "dense": panel.dots.dense, **drag(app, panel, moves)}  # fmt: skip
    figures.update(pan(app, panel, 200))
    panel.follower.follow = True  # as after a new model: refreshes fit the view again
    settle(app, panel)
    times, blocks, cpus = [], [], []
    for k in range(refreshes):
        seconds, block, cpu = refresh(panel, states[(k + 1) % 2])
        times.append(seconds)
        blocks.append(block)
        cpus.append(cpu)
        settle(app, panel)
    idle, idle_cpu = idle_block()
    bare = statistics.median(bare_encode_s(session.model, data.test_x) for _ in range(2))
    figures.update(
        refresh_s=round(statistics.median(times), 3),
        refresh_max_s=round(max(times), 3),
        block_max_ms=round(max(blocks), 2),
        block_cpu_max_ms=round(max(cpus), 2),
        idle_block_max_ms=round(idle, 2),
        idle_block_cpu_max_ms=round(idle_cpu, 2),
        bare_encode_s=round(bare, 3),
    )
    panel.close()
    panel.deleteLater()
    app.processEvents()
    gc.unfreeze()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--hidden", default="256,128", help="the mlp's layer widths")
    parser.add_argument("--moves", type=int, default=500)
    parser.add_argument("--refreshes", type=int, default=3)
    args = parser.parse_args()
    hidden = [int(h) for h in args.hidden.split(",")]
    app = QApplication.instance() or QApplication([])
    use_one_gui_thread()  # as MainWindow does
    dense_at = view.DENSE_POINTS
    sizes = [int(s) for s in args.sizes.split(",")]
    results, conv = [], []
    for n in sizes:  # the mlp for the refresh, DESIGN.md's 28x28 conv decoder for the drag
        results.append(measure(app, n, "mlp", hidden, args.moves, args.refreshes, dense_at))
        conv.append(measure(app, n, "conv", CONV_HIDDEN, args.moves, 1, dense_at))
    largest = sizes[-1]
    reference = {}
    if largest >= dense_at:  # the same map drawn as scatter items: what density rendering saves
        scatter = measure(app, largest, "mlp", hidden, args.moves, args.refreshes, largest + 1)
        reference = {f"scatter_{k}": v for k, v in scatter.items() if k != "dense"}
    top = {**results[-1], "drag_p99_ms": conv[-1]["drag_p99_ms"]}
    print(
        json.dumps(
            {
                "benchmark": "map_scale",
                "results": results,
                "conv": conv,
                "drag_p99_ms": top["drag_p99_ms"],
                "refresh_s": top["refresh_s"],
                "block_max_ms": top["block_max_ms"],
                **reference,
                "budgets": BUDGETS,
                "within_budget": all(top[k] <= v for k, v in BUDGETS.items()),
                "dense_points": dense_at,
                "torch_threads": torch.get_num_threads(),
                "cpu_count": os.cpu_count(),
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
