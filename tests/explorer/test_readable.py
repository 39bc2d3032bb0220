"""Text a new user reads is never clipped: the progress bar's line (before, during, paused,
stopped, after another model is opened) and the loss plot's axis label."""

from __future__ import annotations

import functools

import pytest
from PySide6.QtCore import Qt

from explorer.bundled import DEFAULT_CHECKPOINT
from explorer.training.run import PAUSED, TRAINING

LONG = 60_000


@pytest.fixture
def choose(choose):
    return functools.partial(choose, backbone="conv", objective="vae", hidden="16,32")


def _fits(bar) -> bool:
    text = bar.format()
    width = bar.fontMetrics().horizontalAdvance(text)
    return "\n" not in text and 0 < width <= bar.contentsRect().width()


def test_the_progress_line_fits_its_bar_through_a_run(qtbot, window, choose):
    bar, detail = window.training.progress, window.training.detail
    assert bar.format() == "Ready" and _fits(bar)
    choose(window, epochs=3, batch_size=4)
    seen = []
    window.run.progress.connect(lambda _p: seen.append((bar.format(), _fits(bar))))
    assert window.start_training()
    qtbot.waitUntil(lambda: len(seen) >= 3 and window.run.state == TRAINING, timeout=LONG)
    assert all(fits for _, fits in seen), seen
    assert bar.format().startswith("Epoch ") and "ETA" in detail.text()

    window.toggle_pause()
    qtbot.waitUntil(lambda: window.run.state == PAUSED, timeout=LONG)
    assert bar.format().startswith("Paused") and _fits(bar)
    assert "ETA" not in bar.format() and "ETA" not in detail.text()

    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    assert bar.format().startswith("Stopped") and _fits(bar)

    window.open_checkpoint(DEFAULT_CHECKPOINT)  # another model: nothing stale stays
    assert bar.format() == "Ready" and bar.value() == 0 and not detail.isVisibleTo(window)


def test_a_line_too_long_for_the_bar_is_shortened_and_said_in_full_below(window):
    panel = window.training
    long = "Stopped early at epoch 12 of 30 (no better validation loss for 5 epochs); kept 7"
    panel.set_state("idle", long)
    assert _fits(panel.progress) and panel.progress.format() == "Stopped early at epoch 12 of 30"
    assert panel.detail.text() == long and panel.detail.isVisibleTo(window)
    panel.set_state("idle", "Finished: 3 epochs, 90 steps")
    assert panel.progress.format() == "Finished: 3 epochs, 90 steps"
    assert not panel.detail.isVisibleTo(window)  # said once, in the bar
    panel.set_state("idle", long)
    window.resizeDocks([window.docks[0]], [900], Qt.Horizontal)  # room for all of it
    window.resize(1600, 800)
    window.resizeDocks([window.docks[0]], [900], Qt.Horizontal)
    assert panel.progress.format() == long and _fits(panel.progress)  # whole in the bar now
    assert not panel.detail.isVisibleTo(window)  # so the line below goes


def test_the_loss_axis_label_is_whole_in_the_smallest_loss_dock(qtbot, window):
    dock = window.docks[1]
    window.resizeDocks([dock], [dock.minimumHeight()], Qt.Vertical)
    qtbot.waitUntil(lambda: dock.height() == dock.minimumHeight())
    axis = window.loss.plot.getPlotItem().getAxis("left")
    qtbot.waitUntil(lambda: axis.geometry().height() < 150)
    # The left label is drawn turned a quarter: its width runs along the axis's height.
    assert axis.label.toPlainText().strip() == "loss"
    assert axis.label.boundingRect().width() <= axis.geometry().height()
