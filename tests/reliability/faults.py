"""Real objects that fail like real training runs do: flaky data, NaN data, a failing loss
term, a raising forward hook, a batch too big to allocate and a learning rate that diverges."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from models import ModelConfig, build
from models.objectives import Autoencoder
from trainer.config import TrainConfig
from trainer.data import Dataset, as_float, load

HUGE_SIDE, HUGE_N = 1024, 300_000  # one batch of all of them: 1.2 TB, refused at once


class FlakyImages(torch.Tensor):
    """Training images on a failing disk: cutting a batch works `reads` times, then OSError."""

    reads = 0

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.Tensor.__getitem__ and isinstance(args[0], FlakyImages):
            args[0].reads -= 1
            if args[0].reads < 0:
                raise OSError(5, "Input/output error while reading the training images")
        with torch._C.DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))


class FaultyTerm(Autoencoder):
    """An objective whose extra loss term raises after `budget` batches (a bug in a term)."""

    terms = ("recon", "faulty")
    weights = {"faulty": "sparsity"}
    budget = 25

    def penalties(self, x, z):
        FaultyTerm.budget -= 1
        if FaultyTerm.budget < 0:
            raise ZeroDivisionError("the faulty term divided by zero")
        return {"faulty": z.pow(2).mean()}


def digits() -> Dataset:
    return load("digits")


def flaky_digits(reads: int = 30) -> Dataset:
    data = digits()
    images = data.train_x.clone().as_subclass(FlakyImages)
    images.reads = reads
    return replace(data, train_x=images)


def nan_digits() -> Dataset:
    """Digits with a corrupt stretch of NaN pixels in the later part of the training split."""
    data = digits()
    x = as_float(data.train_x).clone()  # floats: uint8 pixels cannot be NaN
    x[len(x) // 2 :, :, 3, 3] = float("nan")
    return replace(data, train_x=x)


def huge_images() -> Dataset:
    """300 000 images of 1024 x 1024 that take no memory (one broadcast image) until a batch
    of them is cut: that batch asks the allocator for 1.2 TB."""
    side = HUGE_SIDE
    train = torch.zeros(1, 1, side, side).expand(HUGE_N, 1, side, side)
    test = torch.rand(2, 1, side, side)
    return Dataset("huge", train, test, torch.zeros(HUGE_N, dtype=torch.long),
                   torch.zeros(2, dtype=torch.long), ["blank"])  # fmt: skip


# Loaders for the training process (`trainer.runner.start(load="faults:NAME")`): each takes
# the dataset name the run asked for, as trainer.data.load does, and returns a failing one.
def load_digits(_name: str) -> Dataset:
    return digits()


def load_nan_digits(_name: str) -> Dataset:
    return nan_digits()


def load_flaky_digits(_name: str) -> Dataset:
    return flaky_digits()


def load_huge_images(_name: str) -> Dataset:
    return huge_images()


def load_with_faulty_term(_name: str) -> Dataset:
    """Digits, with the objective whose term fails registered in this (the child) process."""
    from models.objectives import OBJECTIVES

    OBJECTIVES["faulty"] = FaultyTerm
    FaultyTerm.budget = 25
    return digits()


def skip_unless_allocations_can_fail() -> None:
    """With overcommit 'always' a 1.2 TB request would succeed and then really fill memory."""
    mode = Path("/proc/sys/vm/overcommit_memory")
    if not mode.exists() or mode.read_text().strip() == "1":
        pytest.skip("the kernel would grant a 1.2 TB allocation; not safe to try here")


def config(dataset: Dataset, objective: str = "ae", backbone: str = "mlp") -> ModelConfig:
    hidden = [4] if dataset.shape[1] > 64 else [16]
    return ModelConfig(backbone=backbone, objective=objective, input_shape=dataset.shape,
                       code_size=2, hidden=hidden)  # fmt: skip


def train_config(dataset: Dataset, **changes) -> TrainConfig:
    settings = {"epochs": 3, "batch_size": 32, "lr": 3e-3, "device": "cpu", "seed": 0}
    return TrainConfig(**{**settings, **changes})


def raising_hook_model(cfg: ModelConfig, after: int = 20) -> torch.nn.Module:
    """A real model whose decoder fails in its forward pass after `after` batches."""
    model = build(cfg)
    calls = {"n": 0}

    def hook(module, inputs, output):
        calls["n"] += 1
        if calls["n"] > after:
            raise RuntimeError("a forward hook failed inside the decoder")

    model.backbone.decoder.register_forward_hook(hook)
    return model
