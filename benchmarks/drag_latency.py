"""Drag latency: the real latent panel's point moved along a path, each move timed to the repaint.

Prints one JSON object. A 28x28 conv VAE (code size 2, a few Adam steps) on a synthetic
10-class 28x28 dataset (no download) is shown in a real LatentPanel offscreen, with its
10 000 test codes on the map. Each move calls `move_point` (what a mouse drag calls) and then
processes events until the decoded image and the moved target are repainted; p50/p99/max are
over all moves (wall clock; the CPU time of the GUI thread is reported beside it); the same
path is then dragged again while a thread trains another copy of the model (`training_*`,
as when a person drags during training; not part of the budget). The bare
decoder forward for one code is timed in the same run, with torch's default thread count and
with one thread. The GUI thread runs torch on one thread, as the window sets it
(`use_one_gui_thread`); the training thread uses the default count, as the app's worker does.

    python benchmarks/drag_latency.py [--moves 1000] [--steps 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from explorer.panels.latent import LatentPanel  # noqa: E402
from explorer.session import Session  # noqa: E402
from explorer.training_control import use_one_gui_thread  # noqa: E402
from models import ModelConfig, build  # noqa: E402
from trainer.data import Dataset  # noqa: E402
from trainer.worker import DEFAULT_THREADS  # noqa: E402

BUDGET_P99_MS = 8.0


def synthetic_digits(n_train: int = 4000, n_test: int = 10_000, seed: int = 0) -> Dataset:
    """10 classes of 28x28 grey images: a blurred blob whose place depends on the class."""
    g = torch.Generator().manual_seed(seed)
    n = n_train + n_test
    y = torch.randint(0, 10, (n,), generator=g)
    angle = y * (2 * torch.pi / 10) + 0.3 * torch.randn(n, generator=g)
    cy, cx = 14 + 8 * torch.sin(angle), 14 + 8 * torch.cos(angle)
    grid = torch.arange(28.0)
    blob = torch.exp(
        -(
            (grid[None, :, None] - cy[:, None, None]) ** 2
            + (grid[None, None] - cx[:, None, None]) ** 2
        )
        / 18.0
    )
    x = (blob + 0.1 * torch.rand(n, 28, 28, generator=g)).clamp(0, 1)[:, None]
    return Dataset(
        name="synthetic-28",
        train_x=x[:n_train],
        test_x=x[n_train:],
        train_y=y[:n_train],
        test_y=y[n_train:],
        classes=[str(c) for c in range(10)],
    )


def train(data: Dataset, steps: int) -> torch.nn.Module:
    config = ModelConfig(
        backbone="conv", objective="vae", input_shape=(1, 28, 28), code_size=2,
        hidden=[32, 64], loss="bce",
    )  # fmt: skip
    torch.manual_seed(0)
    model = build(config)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(steps):
        idx = torch.randint(0, len(data.train_x), (128,))
        opt.zero_grad()
        model(data.train_x[idx]).loss.backward()
        opt.step()
    return model.eval()


def percentiles(ms: list[float]) -> dict[str, float]:
    q = np.percentile(ms, [50, 99])
    return {"p50_ms": round(float(q[0]), 3), "p99_ms": round(float(q[1]), 3),
            "max_ms": round(max(ms), 3)}  # fmt: skip


def bare_decode_ms(model, repeats: int, threads: int) -> float:
    """Median ms of model.decode for one code, no_grad, with `threads` intra-op threads."""
    z = torch.zeros(1, model.code_size)
    times = []
    default = torch.get_num_threads()
    torch.set_num_threads(threads)
    with torch.no_grad():
        for i in range(repeats):
            z[0, 0] = i / repeats
            t0 = time.perf_counter()
            model.decode(z)
            times.append((time.perf_counter() - t0) * 1e3)
    torch.set_num_threads(default)
    return statistics.median(times)


def train_in_background(data: Dataset, stop: threading.Event) -> threading.Thread:
    """A thread that trains another copy of the model until `stop`, as the app's worker does."""

    def run() -> None:
        torch.set_num_threads(DEFAULT_THREADS)  # as TrainingWorker._train does
        model = train(data, 0).train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        while not stop.is_set():
            idx = torch.randint(0, len(data.train_x), (128,))
            opt.zero_grad()
            model(data.train_x[idx]).loss.backward()
            opt.step()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def drag(app, panel, path) -> tuple[list[float], list[float], int]:
    """Per move: wall ms and GUI-thread CPU ms from move_point to the repainted image."""
    moves, cpu, missed = [], [], 0
    for p in path:
        t0, c0 = time.perf_counter(), time.thread_time()
        panel.move_point(p)
        app.processEvents()
        moves.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.thread_time() - c0) * 1e3)
        missed += panel.view.item.qimage is None  # the image item renders when it paints
    return moves, cpu, missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=30, help="Adam steps before measuring")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    data = synthetic_digits()
    session = Session()
    session.set_model(train(data, args.steps), data)
    use_one_gui_thread()  # as MainWindow does
    panel = LatentPanel(session)
    panel.resize(1100, 700)
    panel.show()
    for _ in range(20):
        app.processEvents()

    xy = panel.positions()
    lo, hi = np.percentile(xy, 2, axis=0), np.percentile(xy, 98, axis=0)
    t = np.linspace(0, 2 * np.pi, args.moves)
    path = lo + (hi - lo) * (0.5 + 0.5 * np.stack([np.sin(3 * t), np.sin(2 * t + 0.5)], 1))
    drag(app, panel, path[:50])  # warm-up

    threads = DEFAULT_THREADS
    bare = [bare_decode_ms(session.model, 300, n) for n in (threads, 1)]
    moves, cpu, missed = drag(app, panel, path)
    bare = [(b + bare_decode_ms(session.model, 300, n)) / 2 for b, n in zip(bare, (threads, 1))]
    stop = threading.Event()
    worker = train_in_background(data, stop)
    busy, _, busy_missed = drag(app, panel, path)
    stop.set()
    worker.join()

    figures = percentiles(moves)
    training = {f"training_{k}": v for k, v in percentiles(busy).items()}
    print(
        json.dumps(
            {
                "benchmark": "drag_latency",
                **figures,
                "budget_p99_ms": BUDGET_P99_MS,
                "within_budget": figures["p99_ms"] <= BUDGET_P99_MS,
                "bare_decode_p50_ms": round(bare[0], 3),
                "bare_decode_1thread_p50_ms": round(bare[1], 3),
                "move_cpu_p50_ms": round(statistics.median(cpu), 3),
                "move_cpu_p99_ms": round(float(np.percentile(cpu, 99)), 3),
                **training,
                "moves": len(moves),
                "moves_not_repainted": int(missed + busy_missed),
                "test_points_on_map": len(xy),
                "model": "conv vae 28x28, hidden [32, 64], code size 2",
                "torch_threads": threads,
                "cpu_count": os.cpu_count(),
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
