"""Fixtures for the reliability tests: a way to drive training (`window` is in tests/)."""

from __future__ import annotations

import pytest


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
