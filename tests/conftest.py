"""Fixtures shared by the Qt test folders (tests/explorer, tests/reliability)."""

from __future__ import annotations

import pytest


@pytest.fixture
def window(qtbot):
    """The main window on the bundled default model, shown (offscreen)."""
    from explorer import MainWindow  # here: the model tests need no Qt

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.is_training():  # a failed test must not leave a run going into the next one
        w.run.shutdown()
