"""Drag latency: the real latent panel's point moved along a path, each move timed to the repaint.

Prints one JSON object. A 28x28 conv VAE (code size 2, a few Adam steps) on a synthetic
10-class 28x28 dataset (no download) is shown in a real LatentPanel offscreen, with its
10 000 test codes on the map. Each move calls `move_point` (what a mouse drag calls) and then
processes events until the decoded image and the moved target are repainted; p50/p99/max are
over all moves (wall clock; the CPU time of the GUI thread is reported beside it). The same
path is then dragged while the panel's session trains through a real `TrainingRun` (a child
process, as the Train button starts it): `training_*`, with the weights versions that arrived
and the map refreshes during the drag. The bare decoder forward for one code is timed in the
same run, with torch's default thread count and with one thread. The GUI process runs torch
on one thread, as the window sets it (`use_one_gui_thread`).

    python benchmarks/drag_latency.py [--moves 1000] [--steps 30]
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
from PySide6.QtWidgets import QApplication  # noqa: E402
from synthetic import synthetic_digits  # noqa: E402  (same folder)

from explorer.panels.latent import LatentPanel  # noqa: E402
from explorer.session import Session, use_one_gui_thread  # noqa: E402
from explorer.training.run import TRAINING, TrainingRun  # noqa: E402
from models import ModelConfig, build  # noqa: E402
from trainer import runner  # noqa: E402
from trainer.config import TrainConfig  # noqa: E402
from trainer.data import Dataset, as_float  # noqa: E402

DEFAULT_THREADS = torch.get_num_threads()
CONFIG = dict(backbone="conv", objective="vae", input_shape=(1, 28, 28), code_size=2,
              hidden=[32, 64], loss="bce")  # fmt: skip

BUDGET_P99_MS = 8.0


def train(data: Dataset, steps: int) -> torch.nn.Module:
    config = ModelConfig(**CONFIG)
    torch.manual_seed(0)
    model = build(config)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(steps):
        idx = torch.randint(0, len(data.train_x), (128,))
        opt.zero_grad()
        model(as_float(data.train_x[idx])).loss.backward()
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


def start_training(app, session) -> TrainingRun:
    """The session's model trains in a child process, as the window's Train button does."""
    run = TrainingRun(session, load="synthetic:load_digits_28")
    tc = TrainConfig(dataset="synthetic-28", epochs=10_000, batch_size=128, device="cpu")
    run.start(ModelConfig(**CONFIG), tc)
    end = time.perf_counter() + 120
    while not (run.state == TRAINING and run.child.version > 2) and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)
    if run.state != TRAINING:
        sys.exit("drag_latency: the training process did not start training")
    return run


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
    gc.freeze()  # as run_app does (explorer.app.freeze_heap)

    xy = panel.positions()
    lo, hi = np.percentile(xy, 2, axis=0), np.percentile(xy, 98, axis=0)
    t = np.linspace(0, 2 * np.pi, args.moves)
    path = lo + (hi - lo) * (0.5 + 0.5 * np.stack([np.sin(3 * t), np.sin(2 * t + 0.5)], 1))
    drag(app, panel, path[:50])  # warm-up

    threads = DEFAULT_THREADS
    bare = [bare_decode_ms(session.model, 300, n) for n in (threads, 1)]
    moves, cpu, missed = drag(app, panel, path)
    bare = [(b + bare_decode_ms(session.model, 300, n)) / 2 for b, n in zip(bare, (threads, 1))]
    runner.warm_up()
    run = start_training(app, session)
    versions, refreshes = [], []
    run.weightsArrived.connect(versions.append)
    panel.mapRefreshed.connect(lambda: refreshes.append(1))
    busy, _, busy_missed = drag(app, panel, path)
    run.shutdown()

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
                "training_weights_versions": len(versions),
                "training_map_refreshes": len(refreshes),
                "training_run_threads": runner.default_threads(),
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
