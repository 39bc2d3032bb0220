"""Fixtures for the reliability tests: a shown main window and a way to drive training."""

from __future__ import annotations

import pytest

from explorer import MainWindow


@pytest.fixture
def window(qtbot):
    """The main window on the bundled default model, shown (offscreen)."""
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.is_training():  # a failed test must not leave a run going into the next one
        w.controller.shutdown()


@pytest.fixture
def choose():
    """choose(window, backbone=..., epochs=..., ...) fills the training form like a person."""

    def fill(window, *, backbone="mlp", objective="ae", epochs=1, batch_size=64):
        form = window.form
        form.set_dataset("digits")
        form.backbone.setCurrentIndex(form.backbone.findData(backbone))
        form.objective.setCurrentIndex(form.objective.findData(objective))
        form.code_size.setValue(2)
        form.hidden.setText("16" if backbone != "conv" else "8")
        form.epochs.setValue(epochs)
        form.batch_size.setValue(batch_size)
        form.device.setCurrentIndex(form.device.findData("cpu"))

    return fill
