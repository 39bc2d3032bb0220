"""Samples/s of 2 CPU ranks (DDP over gloo, one torch thread each) against one process of
one thread, on the same compute-bound model, data and global batch.

Prints one JSON object. The model: an mlp autoencoder with hidden 1024,1024 and code size 32
on 8,192 smooth random 28x28 images (benchmarks/train_throughput.py's), global batch 1,024.
Both sides run the real `Trainer`; the ranks are started by torch's elastic launcher (what
`train --nproc 2` uses) and join through trainer/distributed.py. A side's samples/s is the
samples trained between the first and the last epoch end over the wall time between them
(the first epoch is warm-up). Runs alternate; `speedup` is the median of the pairs' ratios.

    flock /work/bench.lock python benchmarks/ddp_scaling.py [--repeats 3] [--epochs 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_throughput import synthetic_28  # noqa: E402

from models import ModelConfig  # noqa: E402
from trainer import distributed  # noqa: E402
from trainer.config import TrainConfig  # noqa: E402
from trainer.loop import Trainer  # noqa: E402

BUDGET = 1.6
HIDDEN = [1024, 1024]
BATCH = 1024


def configs(epochs: int) -> tuple[ModelConfig, TrainConfig]:
    model = ModelConfig(input_shape=(1, 28, 28), backbone="mlp", hidden=HIDDEN, code_size=32)
    train = TrainConfig(epochs=epochs, batch_size=BATCH, lr=1e-3, schedule="constant",
                        val_fraction=0.0, patience=0, device="cpu", seed=0)  # fmt: skip
    return model, train


def measure(epochs: int) -> tuple[float, float]:
    """Train in this process (one of the ranks when a group was set up): samples/s by the
    wall clock, and by this process's CPU time (what it would be with a core of its own)."""
    torch.set_num_threads(1)
    model_config, train_config = configs(epochs)
    trainer = Trainer(model_config, train_config, synthetic_28(n_train=8192))
    ends = []
    for p in trainer.run():
        if p.val_terms is not None:
            ends.append((time.perf_counter(), time.process_time(), p.step))
        if p.error:
            raise RuntimeError(p.error)
    (t0, c0, s0), (t1, c1, s1) = ends[0], ends[-1]
    return (s1 - s0) * BATCH / (t1 - t0), (s1 - s0) * BATCH / (c1 - c0)


def rank(epochs: int) -> tuple[float, float]:
    """A rank's body, started by the elastic launcher."""
    distributed.setup("cpu")
    try:
        return measure(epochs)
    finally:
        distributed.teardown()


def two_ranks(epochs: int) -> tuple[float, float]:
    """Rank 0's wall-clock samples/s (of the global batch), and the CPU-time figure of the
    slower rank."""
    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    config = LaunchConfig(
        min_nodes=1, max_nodes=1, nproc_per_node=2, run_id=f"bench-{uuid.uuid4().hex[:8]}",
        rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0,
        logs_specs=DefaultLogsSpecs(log_dir=os.devnull), start_method="spawn",
    )  # fmt: skip
    results = elastic_launch(config, rank)(epochs)
    return results[0][0], min(r[1] for r in results.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    one, two = [], []
    for _ in range(args.repeats):
        one.append(measure(args.epochs))
        two.append(two_ranks(args.epochs))
    speedup = statistics.median(b[0] / a[0] for a, b in zip(one, two))
    cpu_speedup = statistics.median(b[1] / a[1] for a, b in zip(one, two))
    print(json.dumps({
        "model": f"mlp ae hidden {','.join(map(str, HIDDEN))} code 32, 28x28 synthetic, "
                 f"8192 images, global batch {BATCH}",
        "cores": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2),
        "one_rank_samples_per_s": [round(v[0], 1) for v in one],
        "two_ranks_samples_per_s": [round(v[0], 1) for v in two],
        "speedup": round(speedup, 3),
        # By CPU time: the speedup two ranks would have with a free core each (a loaded
        # machine lends them less); time spent waiting on the other rank is not counted.
        "one_rank_samples_per_cpu_s": [round(v[1], 1) for v in one],
        "two_ranks_samples_per_cpu_s": [round(v[1], 1) for v in two],
        "cpu_time_speedup": round(cpu_speedup, 3),
        "budget": BUDGET,
        "meets_budget": speedup >= BUDGET,
        "torch": torch.__version__,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
