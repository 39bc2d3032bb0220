"""Trainer samples/s against a bare PyTorch loop on the same model, data, batch and device.

Prints one JSON object. Both loops start from the same seeded model on the same data
tensor (already on the device), use the same Adam (fused where PyTorch has it) and
learning-rate schedule (stepped every batch), batch size and epochs, train on the same
training indices (the validation split held out) and shuffle by index; the bare loop also
runs the Trainer's epoch-end validation (a batched no_grad forward over the validation
split), so both do the same work.
Runs are interleaved in pairs; `ratio` is the median of the pairs' ratios.

    python benchmarks/train_throughput.py [--repeats 5] [--device auto] [--threads N]
        [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import ModelConfig, build  # noqa: E402
from trainer import data  # noqa: E402
from trainer.config import TrainConfig  # noqa: E402
from trainer.data import as_float  # noqa: E402
from trainer.devices import resolve_device  # noqa: E402
from trainer.loop import Trainer  # noqa: E402
from trainer.schedules import make_optimizer, make_scheduler  # noqa: E402
from trainer.stopping import holdout  # noqa: E402
from trainer.validation import VAL_BATCH  # noqa: E402

BUDGET = 0.95
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}  # cpu: for a shared machine


def synthetic_28(n_train: int = 4096, n_test: int = 512, seed: int = 0) -> data.Dataset:
    """Smooth random 28x28 grey images in [0, 1] (an MNIST-sized stand-in that needs no files)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n_train + n_test, 1, 28, 28, generator=g)
    x = torch.nn.functional.avg_pool2d(x, 5, stride=1, padding=2)
    x = (x - x.amin()) / (x.amax() - x.amin())
    y = torch.zeros(len(x), dtype=torch.int64)
    return data.Dataset(
        name="synthetic-28",
        train_x=x[:n_train],
        test_x=x[n_train:],
        train_y=y[:n_train],
        test_y=y[n_train:],
        classes=["all"],
    )


def trainer_sps(model_config: ModelConfig, train_config: TrainConfig, dataset, clock) -> float:
    trainer = Trainer(model_config, train_config, dataset)
    start = clock()
    for _ in trainer.run():
        pass
    elapsed = clock() - start
    return train_config.epochs * len(trainer.train_index) / elapsed


def bare_sps(model_config: ModelConfig, train_config: TrainConfig, dataset, clock) -> float:
    device = resolve_device(train_config.device)
    torch.manual_seed(train_config.seed)
    model = build(model_config).to(device)
    x = dataset.train_x.to(device)
    train_index, val_index = holdout(len(x), train_config.val_fraction)
    test = dataset.train_x[val_index].to(device)
    keep = train_index.to(device)
    optimizer = make_optimizer(model, train_config.lr, device)  # the same Adam settings
    gen = torch.Generator(device=device).manual_seed(train_config.seed)
    n, bs = len(train_index), train_config.batch_size
    scheduler = make_scheduler(train_config.schedule, optimizer, -(-n // bs) * train_config.epochs)
    val_bs = max(bs, VAL_BATCH)
    start = clock()
    for _ in range(train_config.epochs):
        model.train()
        order = keep[torch.randperm(n, generator=gen, device=device)]
        for i in range(0, n, bs):
            out = model(as_float(x[order[i : i + bs]]))  # uint8 pixels: as the trainer
            optimizer.zero_grad(set_to_none=True)
            out.loss.backward()
            optimizer.step()
            scheduler.step()
        model.eval()
        with torch.no_grad():
            val = sum(
                model(as_float(test[i : i + val_bs])).loss for i in range(0, len(test), val_bs)
            )
    float(val) + float(out.loss.detach())  # wait for the device
    elapsed = clock() - start
    return train_config.epochs * n / elapsed


def bare_child(conn, model: dict, train: dict, load: str, threads: int, nice: int) -> None:
    """In a child process started like a training run (`trainer.runner.launch`): the same
    priority and threads as a run, the dataset by the same loader; sends bare samples/s."""
    import importlib
    import os

    if hasattr(os, "nice"):
        os.nice(nice)
    torch.set_num_threads(threads)
    train_config = TrainConfig.from_dict(train)
    module, name = load.split(":")
    dataset = getattr(importlib.import_module(module), name)(train_config.dataset)
    model_config = ModelConfig.from_dict(model)
    model_config.input_shape = tuple(dataset.shape)
    conn.send(bare_sps(model_config, train_config, dataset, time.perf_counter))
    conn.close()


def measure(model_config, train_config, dataset, repeats: int, clock) -> dict:
    trainer_sps(model_config, train_config, dataset, clock)  # warm up both
    bare_sps(model_config, train_config, dataset, clock)
    ours, bare, ratios = [], [], []
    for r in range(repeats):
        order = (trainer_sps, bare_sps) if r % 2 == 0 else (bare_sps, trainer_sps)
        got = {f: f(model_config, train_config, dataset, clock) for f in order}
        ours.append(got[trainer_sps])
        bare.append(got[bare_sps])
        ratios.append(got[trainer_sps] / got[bare_sps])
    return {
        "trainer_sps": round(statistics.median(ours), 1),
        "bare_sps": round(statistics.median(bare), 1),
        "ratio": round(statistics.median(ratios), 3),
        "model": f"{model_config.backbone} hidden={model_config.hidden} "
        f"code={model_config.code_size}",
        "dataset": dataset.name,
        "train_images": len(dataset.train_x),
        "epochs": train_config.epochs,
        "batch_size": train_config.batch_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="wall",
        help="cpu: process CPU time, steadier on a busy machine (use --threads 1)",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    digits = data.load("digits")
    synth = synthetic_28()
    cases = {
        "mlp": (ModelConfig("mlp", input_shape=digits.shape, hidden=[64, 32]), digits, 60),
        "conv": (ModelConfig("conv", input_shape=synth.shape, hidden=[16, 32]), synth, 2),
    }
    result = {}
    for name, (model_config, dataset, epochs) in cases.items():
        # patience 0: every epoch runs, so both loops do the same number of steps
        train_config = TrainConfig(epochs=epochs, batch_size=128, device=args.device, patience=0)
        result[name] = measure(
            model_config, train_config, dataset, args.repeats, CLOCKS[args.clock]
        )
    result["ratio"] = min(result[name]["ratio"] for name in cases)
    result["budget"] = BUDGET
    result["device"] = str(resolve_device(args.device))
    result["torch"] = torch.__version__
    result["threads"] = torch.get_num_threads()
    result["clock"] = args.clock
    print(json.dumps(result))


if __name__ == "__main__":
    main()
