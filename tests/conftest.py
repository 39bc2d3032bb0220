"""Factory fixtures shared by every test folder (napari's `make_napari_viewer` is the model).

Data and models (no Qt): `digits`, `colour_shapes`, `tiny_data(channels)` and
`tiny_model(backbone, objective, code_size, channels, steps)`: a real model trained a few
Adam steps on its objective's own training pairs, cached across tests (treat it as read-only:
a Session copies it). Qt (imported only when used): `make_session(model, dataset)`,
`make_panel(name, model=..., dataset=...)` for any entry of explorer.panels.PANELS, and
`make_window()`; `session` and `window` are their defaults; `choose(window, ...)` fills the
training form.
"""

from __future__ import annotations

import pytest
from tiny import colour_shapes_data, tiny_data, tiny_model_of

from trainer.data import Dataset, load


@pytest.fixture(scope="session")
def digits() -> Dataset:
    """scikit-learn's 8 x 8 digits, as trainer.data serves them."""
    return load("digits")


@pytest.fixture(scope="session")
def colour_shapes() -> Dataset:
    return colour_shapes_data()


@pytest.fixture
def tiny_model():
    """tiny_model(backbone="mlp", objective="vae", code_size=2, channels=1, steps=60): an
    eval-mode model trained on `tiny_data(channels)`, the same object for the same arguments."""

    def make(backbone="mlp", objective="vae", code_size=2, channels=1, steps=60):
        return tiny_model_of(backbone, objective, code_size, channels, steps)

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


@pytest.fixture
def choose():
    """choose(window, backbone="mlp", objective="ae", hidden=None, epochs=1, batch_size=64)
    fills the training form like a person: digits, code size 2, on the CPU (hidden: the
    form's text, "16" for mlp and "8" for conv by default)."""

    def fill(window, *, backbone="mlp", objective="ae", hidden=None, epochs=1, batch_size=64):
        form = window.form
        form.set_dataset("digits")
        form.backbone.setCurrentIndex(form.backbone.findData(backbone))
        form.objective.setCurrentIndex(form.objective.findData(objective))
        form.code_size.setValue(2)
        form.hidden.setText(hidden or ("8" if backbone == "conv" else "16"))
        form.epochs.setValue(epochs)
        form.batch_size.setValue(batch_size)
        form.device.setCurrentIndex(form.device.findData("cpu"))

    return fill
