"""Factory fixtures shared by every test folder (napari's `make_napari_viewer` is the model).

Data and models (no Qt): `digits`, `colour_shapes`, `tiny_data(channels)` and
`tiny_model(backbone, objective, code_size, channels, steps)`: a real model trained a few
Adam steps on its objective's own training pairs, cached across tests (treat it as read-only:
a Session copies it). Qt (imported only when used): `make_session(model, dataset)`,
`make_panel(name, model=..., dataset=...)` for any entry of explorer.panels.PANELS, and
`make_window()`; `session` and `window` are their defaults.
"""

from __future__ import annotations

import functools

import pytest
import torch

from models import ModelConfig, build
from trainer import shapes
from trainer.data import Dataset, load

COLOUR_TRAIN, COLOUR_TEST, COLOUR_SIZE = 600, 200, 16


@functools.lru_cache(maxsize=1)
def _colour_shapes() -> Dataset:
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
    return load("digits") if channels == 1 else _colour_shapes()


@functools.lru_cache(maxsize=32)
def _tiny_model(backbone: str, objective: str, code_size: int, channels: int, steps: int):
    data = tiny_data(channels)
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
        batch = data.train_x[torch.randint(0, len(data.train_x), (128,), generator=g)]
        x, target = model.training_pair(batch, g)
        opt.zero_grad()
        model(x, target=target).loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="session")
def digits() -> Dataset:
    """scikit-learn's 8 x 8 digits, as trainer.data serves them."""
    return load("digits")


@pytest.fixture(scope="session")
def colour_shapes() -> Dataset:
    return _colour_shapes()


@pytest.fixture
def tiny_model():
    """tiny_model(backbone="mlp", objective="vae", code_size=2, channels=1, steps=60): an
    eval-mode model trained on `tiny_data(channels)`, the same object for the same arguments."""

    def make(backbone="mlp", objective="vae", code_size=2, channels=1, steps=60):
        return _tiny_model(backbone, objective, code_size, channels, steps)

    return make


@pytest.fixture
def make_session(qtbot, tiny_model):
    """make_session(model=None, dataset=None): a Session showing `model` (the default tiny
    model) on `dataset` (the model's tiny data)."""
    from explorer.session import Session  # here: the model tests need no Qt

    def make(model=None, dataset=None):
        model = tiny_model() if model is None else model
        session = Session()
        session.set_model(model, dataset or tiny_data(model.input_shape[0]))
        return session

    return make


@pytest.fixture
def session(make_session):
    """A session holding the default tiny model: an mlp VAE, code size 2, on digits."""
    return make_session()


@pytest.fixture
def make_panel(qtbot, make_session):
    """make_panel(name, model=None, dataset=None, session=None, show=True, size=(1000, 700)):
    the panel `name` of PANELS around a session (a new one of `model` on `dataset`), shown
    (offscreen)."""
    from explorer.panels import PANELS

    classes = {name: cls for name, _title, cls in PANELS}

    def make(name, model=None, dataset=None, session=None, show=True, size=(1000, 700)):
        panel = classes[name](session or make_session(model, dataset))
        qtbot.addWidget(panel)
        panel.resize(*size)
        if show:
            panel.show()
            qtbot.waitExposed(panel)
        return panel

    return make


@pytest.fixture
def make_window(qtbot):
    """make_window(checkpoint=None, show=True): a MainWindow (the bundled default model when
    no checkpoint); any run still going at the end of the test is shut down."""
    from explorer import MainWindow

    windows = []

    def make(checkpoint=None, show=True):
        window = MainWindow(checkpoint)
        qtbot.addWidget(window)
        windows.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
        return window

    yield make
    for window in windows:
        if window.is_training():  # a failed test must not leave a run going into the next one
            window.run.shutdown()


@pytest.fixture
def window(make_window):
    """The main window on the bundled default model, shown (offscreen)."""
    return make_window()
