"""Shared fixtures for Qt tests: the digits dataset, small trained models, a live session."""

from __future__ import annotations

import functools

import pytest
import torch

from explorer.session import Session
from models import ModelConfig, build
from trainer.data import load


@functools.lru_cache(maxsize=16)
def _trained(backbone: str, objective: str, code_size: int, steps: int):
    """A real model trained for a few Adam steps on digits (cached across tests)."""
    data = load("digits")
    config = ModelConfig(
        backbone=backbone,
        objective=objective,
        input_shape=tuple(data.shape),
        code_size=code_size,
        hidden=[16, 32] if backbone == "conv" else [64, 32],
    )
    torch.manual_seed(0)
    model = build(config)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(data.train_x), (128,), generator=g)
        x = data.train_x[idx]
        opt.zero_grad()
        model(x).loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture
def digits():
    return load("digits")


@pytest.fixture
def trained():
    """trained(backbone="mlp", objective="vae", code_size=2, steps=60) -> eval-mode model."""

    def make(backbone="mlp", objective="vae", code_size=2, steps=60):
        return _trained(backbone, objective, code_size, steps)

    return make


@pytest.fixture
def session(qtbot, digits, trained):
    """A session holding a small mlp VAE (code size 2) trained on digits."""
    s = Session()
    s.set_model(trained(), digits)
    return s
