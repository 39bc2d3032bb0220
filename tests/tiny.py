"""Small real models and data for the tests (no Qt): what tests/conftest.py's fixtures serve,
and `adam_steps` for a test that needs a model trained its own way."""

from __future__ import annotations

import functools

import torch

from models import ModelConfig, build
from trainer.data import Dataset, load, shapes

COLOUR_TRAIN, COLOUR_TEST, COLOUR_SIZE = 600, 200, 16


@functools.lru_cache(maxsize=1)
def colour_shapes_data() -> Dataset:
    """A small shapes-colour: the same sprites and colour rule, 800 of them at 16 x 16."""
    x, factors = shapes.generate_colour(COLOUR_TRAIN + COLOUR_TEST, seed=0, size=COLOUR_SIZE)
    n, y = COLOUR_TRAIN, factors["shape"]
    return Dataset(
        "shapes-colour", x[:n], x[n:], y[:n], y[n:], list(shapes.SHAPES),
        factors={k: v[n:] for k, v in factors.items()},
        train_factors={k: v[:n] for k, v in factors.items()},
    )  # fmt: skip


def tiny_data(channels: int = 1) -> Dataset:
    """The dataset of `tiny_model`: digits (1 x 8 x 8) or the small colour shapes (3 x 16 x 16)."""
    return load("digits") if channels == 1 else colour_shapes_data()


@functools.lru_cache(maxsize=32)
def tiny_model_of(backbone: str, objective: str, code_size: int, channels: int, steps: int):
    """What the `tiny_model` fixture makes (cached: the same object for the same arguments)."""
    data = tiny_data(channels)
    config = ModelConfig(
        backbone=backbone,
        objective=objective,
        input_shape=tuple(data.shape),
        code_size=code_size,
        hidden=[16, 32] if backbone == "conv" else [64, 32],
    )
    return adam_steps(config, data, steps)


def adam_steps(config: ModelConfig, data: Dataset, steps: int, pair=None, batch: int = 128):
    """A model of `config` after `steps` Adam steps (lr 3e-3, seed 0) on random batches of
    `data`; each batch is turned into (inputs, target) by `pair(batch, generator, step)`, by
    default the objective's own `training_pair`. Returns it in eval mode."""
    torch.manual_seed(0)
    model = build(config)
    pair = pair or (lambda clean, g, _step: model.training_pair(clean, g))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for step in range(steps):
        clean = data.train_x[torch.randint(0, len(data.train_x), (batch,), generator=g)]
        x, target = pair(clean, g, step)
        opt.zero_grad()
        model(x, target=target).loss.backward()
        opt.step()
    return model.eval()
