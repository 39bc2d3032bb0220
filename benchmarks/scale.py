"""Training at scale: samples/s and peak RSS of a warm epoch on synthetic images, uint8 in RAM
against a float32 reference in the same run, and the memory-mapped path.

    flock /work/bench.lock .venv/bin/python benchmarks/scale.py [--threads 1] [--quick]

Each configuration runs in a fresh subprocess (peak RSS is its ru_maxrss); a memory-mapped
one first writes its cache file in another subprocess, so the writing is not counted. Prints
one JSON object: per configuration samples/s, seconds per epoch, peak RSS and the budget
1.3 x (uint8 data + model + 500 MB); the slope of log(seconds per epoch) against log(N) for
28x28 uint8 (1.0 is linear); the float32 reference's RSS beside uint8's; and the fixed cost
(a 1000-image run's peak RSS: torch's import and its optimizer's first step are most of it)
with what each configuration adds to it per MB of uint8 data and model.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEST = 1000  # test images of every configuration (the validation split: val_fraction 0)
CHUNK_BYTES = 8 << 20  # images generated at once: about this many bytes of uint8
HIDDEN = [64]  # a small mlp, so the data path (not the model) is what grows with N
BATCH = 256
SLACK_MB = 500  # the budget's allowance for the interpreter, torch and the loop
SIZES_28 = (10_000, 60_000, 200_000)
EPOCHS = 3  # the first warms up; the fastest of the others is timed (the machine is shared)
FIXED_N = 1000  # the run whose peak RSS is the fixed cost: torch, its optimizer, the loop
COLOUR_64 = 50_000


def _chunk(shape) -> int:
    return max(1, CHUNK_BYTES // math.prod(shape))


def _images(n: int, shape, dtype, seed: int = 0):
    """n random images of `shape` as uint8 pixels or float32 in [0, 1], made a chunk at a
    time (numpy draws uint8 directly: no wider temporary of the whole set)."""
    import numpy as np
    import torch

    rng = np.random.default_rng(seed)
    out = torch.empty((n, *shape), dtype=dtype)
    for i in range(0, n, _chunk(shape)):
        size = (min(_chunk(shape), n - i), *shape)
        part = torch.from_numpy(rng.integers(0, 256, size, dtype=np.uint8))
        out[i : i + len(part)] = part if dtype == torch.uint8 else part.float().div_(255)
    return out


def _labels(n: int):
    import torch

    return torch.zeros(n, dtype=torch.int64)


def prepare(n: int, shape, key: str) -> None:
    """Write the memory-mapped cache file of n images (in its own process: not measured)."""
    import torch

    from trainer.data import cache

    writer = cache.Writer(key, shape)
    for i in range(0, n + TEST, _chunk(shape)):
        part = _images(min(_chunk(shape), n + TEST - i), shape, torch.uint8, seed=i)
        writer.add(part.numpy())
    writer.finish({"train": n, "labels": [0] * (n + TEST), "classes": ["all"], "skipped": 0})


def measure(n: int, shape, mode: str, key: str, threads: int) -> dict:
    """EPOCHS epochs of the small mlp on n images held as `mode` (uint8, float32 or mapped);
    the fastest epoch after the first (warm-up) one is timed."""
    import torch

    from models import ModelConfig
    from trainer.config import TrainConfig
    from trainer.data import Dataset, cache
    from trainer.loop import Trainer

    imported_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    torch.set_num_threads(threads)
    if mode == "mapped":
        data = cache.open_cache(key, "synthetic", budget=0)
        assert data is not None and data.mapped
    else:
        dtype = torch.uint8 if mode == "uint8" else torch.float32
        x = _images(n + TEST, shape, dtype)
        data = Dataset("synthetic", x[:n], x[n:], _labels(n), _labels(TEST), ["all"])
    model_config = ModelConfig(input_shape=tuple(shape), hidden=HIDDEN, code_size=16)
    train_config = TrainConfig(epochs=EPOCHS, batch_size=BATCH, val_fraction=0.0, device="cpu",
                               schedule="constant")  # fmt: skip
    trainer = Trainer(model_config, train_config, data)
    ends = []
    for last in trainer.run():
        if last.val_terms is not None:
            ends.append(time.perf_counter())
    assert last.done and not last.error and len(ends) == EPOCHS, last.error
    seconds = min(b - a for a, b in zip(ends, ends[1:]))  # validation included
    params = sum(p.numel() * p.element_size() for p in trainer.model.parameters())
    return {
        "n": n,
        "shape": list(shape),
        "mode": mode,
        "epoch_s": round(seconds, 3),
        "samples_per_s": round(n / seconds),
        "loop_samples_per_s": round(last.samples_per_s),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_after_imports_mb": round(imported_mb, 1),
        "uint8_data_mb": round((n + TEST) * math.prod(shape) / 2**20, 1),
        "model_mb": round(4 * params / 2**20, 1),  # weights + gradients + Adam's two moments
    }


def _child(args: list[str], home: str) -> dict:
    env = {**os.environ, "LATENT_EXPLORER_HOME": home, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=1800, check=False)  # fmt: skip
    if done.returncode:
        raise SystemExit(f"{args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a tenth of the images")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child: json [n, shape, mode, key]
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        n, shape, key = json.loads(args.prepare)
        prepare(n, tuple(shape), key)
        return
    if args.one:
        n, shape, mode, key = json.loads(args.one)
        print(json.dumps(measure(n, tuple(shape), mode, key, args.threads)))
        return
    scale = 10 if args.quick else 1
    plan = [(FIXED_N, (1, 28, 28), "uint8")]
    plan += [(n // scale, (1, 28, 28), mode) for n in SIZES_28 for mode in ("uint8", "float32")]
    plan += [(SIZES_28[-1] // scale, (1, 28, 28), "mapped")]
    plan += [(COLOUR_64 // scale, (3, 64, 64), mode) for mode in ("uint8", "float32", "mapped")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="le-scale-") as home:
        for n, shape, mode in plan:
            key = f"scale-{n}-{'x'.join(map(str, shape))}"
            if mode == "mapped":
                _child(["--prepare", json.dumps([n, shape, key])], home)
            row = _child(["--threads", str(args.threads), "--one",
                          json.dumps([n, shape, mode, key])], home)  # fmt: skip
            budget = 1.3 * (row["uint8_data_mb"] + row["model_mb"] + SLACK_MB)
            row["rss_budget_mb"] = round(budget, 1)
            row["within_budget"] = row["peak_rss_mb"] <= budget
            fixed = rows[0]["peak_rss_mb"] if rows else row["peak_rss_mb"]
            above = row["peak_rss_mb"] - fixed  # what the data and model add to the fixed cost
            row["rss_above_fixed_mb"] = round(above, 1)
            row["above_fixed_per_data_and_model"] = round(
                above / (row["uint8_data_mb"] + row["model_mb"]), 3
            )
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    import numpy as np

    grey = [r for r in rows[1:] if r["shape"] == [1, 28, 28] and r["mode"] == "uint8"]
    slope = np.polyfit(np.log([r["n"] for r in grey]), np.log([r["epoch_s"] for r in grey]), 1)
    pairs = {}
    for r in rows[1:]:
        pairs.setdefault(f"{r['n']}x{'x'.join(map(str, r['shape']))}", {})[r["mode"]] = r
    print(json.dumps({
        "benchmark": "scale",
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "model": f"mlp hidden {HIDDEN} code 16, batch {BATCH}, Adam; fastest of epochs 2..{EPOCHS}",
        "fixed_rss_mb": rows[0]["peak_rss_mb"],  # a 1000-image run: torch, Adam, the loop
        "runs": rows[1:],
        "slope_log_epoch_s_vs_log_n": round(float(slope[0]), 3),
        "uint8_vs_float32": {
            name: {"rss_mb": {m: r["peak_rss_mb"] for m, r in modes.items()},
                   "samples_per_s": {m: r["samples_per_s"] for m, r in modes.items()}}
            for name, modes in pairs.items()
        },
        "uint8_and_mapped_within_budget": all(
            r["within_budget"] for r in rows[1:] if r["mode"] != "float32"
        ),
        "uint8_and_mapped_above_fixed_within_1.3x_data_and_model": all(
            r["above_fixed_per_data_and_model"] <= 1.3 for r in rows[1:] if r["mode"] != "float32"
        ),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
