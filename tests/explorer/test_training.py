"""Training through the window: a real training process, real steps on digits."""

from __future__ import annotations

import functools
import os
import signal

import numpy as np
import pytest
import torch
from children import gone, shared_block_exists
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from explorer.bundled import DEFAULT_CHECKPOINT
from explorer.recovery_files import recovery_path
from explorer.training.run import TRAINING
from models import ModelConfig

LONG = 60_000  # ms: generous bounds for a shared, slow CPU; never a speed assertion


@pytest.fixture
def choose(choose):
    """This file's runs: conv VAEs with channels 16, 32 and batches of 16, unless told."""
    return functools.partial(
        choose, backbone="conv", objective="vae", hidden="16,32", batch_size=16
    )


def _trainer_step(window) -> int:
    """The newest step the training process reported."""
    return window.run.step


def _wait_for_curves(qtbot, window) -> None:
    """Wait until the trainer has reported loss terms (its history is no longer empty)."""
    qtbot.waitUntil(lambda: window.loss.plot.point_count("train") > 0, timeout=LONG)


def _state(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_train_button_trains_in_the_background(qtbot, window, choose):
    choose(window, epochs=3, batch_size=4)  # 1080 steps: long enough to watch on any CPU
    ticks, points_seen = [], []

    def tick():  # a GUI-thread timer: it only fires if the event loop keeps running
        if window.is_training():
            ticks.append(1)
            points_seen.append(window.loss.plot.drawn_count("train"))

    timer = QTimer(interval=10)
    timer.timeout.connect(tick)
    timer.start()
    qtbot.mouseClick(window.training.train_button, Qt.LeftButton)
    assert window.is_training()
    assert not window.training.train_button.isEnabled()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    timer.stop()

    assert len(ticks) > 3 and max(points_seen) > 0  # curves drew while the GUI stayed live
    session = window.session
    config = session.config
    assert (config.backbone, config.objective, config.code_size) == ("conv", "vae", 2)
    assert config.hidden == [16, 32] and config.input_shape == (1, 8, 8)
    assert session.history["val"]["epoch"] == [1, 2, 3]
    assert session.dirty and session.path is None
    assert window.loss.plot.point_count("val") == len(session.history["val"]["loss"]) * 3
    assert window.training.progress.value() == 1000
    assert window.training.train_button.isEnabled()


def test_stop_mid_run_keeps_the_partial_model(qtbot, window, choose):
    choose(window, backbone="mlp", epochs=500)
    initial = {}
    window.session.modelChanged.connect(lambda: initial.update(_state(window.session.model)))
    window.start_training()
    qtbot.waitUntil(lambda: _trainer_step(window) > 30, timeout=LONG)
    _wait_for_curves(qtbot, window)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)

    session = window.session
    assert session.config.backbone == "mlp" and session.config.objective == "vae"
    steps = session.history["train"]["step"]
    assert 0 < steps[-1] < 500 * 90  # stopped long before the end
    after = _state(session.model)
    assert any(not torch.equal(after[k], initial[k]) for k in after)  # trained weights kept
    assert session.dirty
    assert "Stopped" in window.training.progress.format()


def test_pause_holds_the_step_count(qtbot, window, choose):
    choose(window, backbone="mlp", epochs=500)
    window.start_training()
    qtbot.waitUntil(lambda: _trainer_step(window) > 5, timeout=LONG)
    qtbot.mouseClick(window.training.pause_button, Qt.LeftButton)
    assert window.training.pause_button.text() == "Resume"
    child = window.run.child
    qtbot.waitUntil(lambda: child.paused, timeout=LONG)  # it said it waits in the pause
    held = window.run.step
    qtbot.wait(300)
    assert window.run.step == held and child.paused and child.alive()
    assert window.is_training()

    window.toggle_pause()
    qtbot.waitUntil(lambda: _trainer_step(window) > held, timeout=LONG)
    assert window.training.pause_button.text() == "Pause"
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)


def test_close_mid_run_ends_the_process_and_offers_recovery(qtbot, window, make_window, choose):
    choose(window, backbone="conv", epochs=500)
    window.start_training()
    qtbot.waitUntil(lambda: _trainer_step(window) > 10, timeout=LONG)
    _wait_for_curves(qtbot, window)
    pid, block = window.run.pid, window.run.child.shm_name
    window.close()
    assert gone(pid) and not shared_block_exists(block) and not window.is_training()
    assert recovery_path().exists()

    again = make_window()
    assert again.banner.isVisible()
    assert again.session.path == DEFAULT_CHECKPOINT  # the default model until restored
    qtbot.mouseClick(again.banner.restore_button, Qt.LeftButton)
    config = again.session.config
    assert (config.backbone, config.objective, config.hidden) == ("conv", "vae", [16, 32])
    assert again.session.dirty and not again.banner.isVisible()
    assert not recovery_path().exists()
    assert len(again.session.history["train"]["step"]) > 0


def test_missing_dataset_shows_a_message_and_keeps_the_app(qtbot, tmp_path, window):
    empty = tmp_path / "no-images"
    empty.mkdir()
    window.form.set_dataset(f"folder:{empty}")
    model = window.session.model
    window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1 and not boxes[0].isModal() and boxes[0].text().strip()
    assert window.session.model is model
    assert window.training.train_button.isEnabled()


def test_train_request_from_a_panel_fills_the_form_and_trains(qtbot, window):
    window.form.epochs.setValue(1)
    window.form.device.setCurrentIndex(window.form.device.findData("cpu"))
    request = ModelConfig(backbone="mlp", objective="sparse_l1", code_size=3, hidden=[32])
    window.session.trainRequested.emit(request)
    assert window.form.objective.currentData() == "sparse_l1"
    assert window.is_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    config = window.session.config
    assert (config.objective, config.code_size, config.hidden) == ("sparse_l1", 3, [32])


def test_train_and_stop_actions_drive_the_same_run(qtbot, window, choose):
    choose(window, backbone="mlp", epochs=500)
    window.actions_by_name["train"].trigger()
    assert window.is_training() and not window.actions_by_name["open"].isEnabled()
    qtbot.waitUntil(lambda: _trainer_step(window) > 5, timeout=LONG)
    window.actions_by_name["stop"].trigger()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    assert window.actions_by_name["open"].isEnabled()
    assert window.session.config.backbone == "mlp"


def test_opening_a_checkpoint_keeps_the_unsaved_run_for_recovery(qtbot, window, choose):
    choose(window, backbone="mlp", epochs=1)
    window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    trained = _state(window.session.model)
    assert window.session.dirty and not recovery_path().exists()

    window.open_checkpoint(DEFAULT_CHECKPOINT)
    assert recovery_path().exists() and window.banner.isVisible()
    assert window.session.path == DEFAULT_CHECKPOINT
    qtbot.mouseClick(window.banner.restore_button, Qt.LeftButton)
    restored = _state(window.session.model)
    assert window.session.config.backbone == "mlp" and window.session.dirty
    assert all(torch.equal(restored[k], trained[k]) for k in trained)
    assert not recovery_path().exists()  # the default model was saved: nothing else to keep


def test_a_new_run_keeps_the_previous_unsaved_model(qtbot, window, choose):
    choose(window, backbone="mlp", epochs=1)
    window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    first = _state(window.session.model)
    qtbot.waitUntil(lambda: not window.run_list.saving(), timeout=LONG)
    # the run list keeps the finished run (test_runs.py); changed since, it is unsaved again
    window.session.apply_weights(window.session.snapshot()[1])
    assert not window.run_list.holds(window.session)
    choose(window, backbone="mlp", epochs=500)
    window.start_training()
    qtbot.waitUntil(lambda: window.run.state == TRAINING, timeout=LONG)  # model swapped
    qtbot.waitUntil(window.banner.isVisible, timeout=LONG)  # written off the GUI thread
    assert recovery_path().exists()
    assert not window.banner.restore_button.isEnabled()  # no restore while a run trains
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    assert window.banner.restore_button.isEnabled()

    second = _state(window.session.model)
    qtbot.mouseClick(window.banner.restore_button, Qt.LeftButton)
    assert all(torch.equal(v, first[k]) for k, v in _state(window.session.model).items())
    qtbot.mouseClick(window.banner.restore_button, Qt.LeftButton)  # the second run came back
    assert all(torch.equal(v, second[k]) for k, v in _state(window.session.model).items())


def test_a_child_that_ignores_stop_is_ended_after_the_grace_period(qtbot, window, choose):
    choose(window, backbone="mlp", epochs=500)
    window.start_training()
    qtbot.waitUntil(lambda: _trainer_step(window) > 5, timeout=LONG)
    pid = window.run.pid
    os.kill(pid, signal.SIGSTOP)  # frozen: it reads no stop, and SIGTERM waits for it
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)  # terminate, then kill
    assert gone(pid)
    assert "Stopped at step" in window.training.progress.format()
    assert [b for b in window.findChildren(QMessageBox) if b.isVisible()] == []


def test_kill_9_mid_run_says_so_keeps_the_weights_and_trains_again(qtbot, window, choose):
    choose(window, backbone="mlp", epochs=500)
    window.start_training()
    qtbot.waitUntil(lambda: _trainer_step(window) > 20, timeout=LONG)
    qtbot.waitUntil(lambda: window.run.child.version > 1, timeout=LONG)  # weights arrived
    pid, block = window.run.pid, window.run.child.shm_name
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    assert gone(pid) and not shared_block_exists(block)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1 and "killed by signal 9 (SIGKILL)" in boxes[0].text()
    assert boxes[0].text().count(". ") == 0 and boxes[0].text().endswith(".")  # one sentence
    session = window.session
    assert session.config.backbone == "mlp" and session.dirty
    assert all(bool(torch.isfinite(v).all()) for v in session.model.state_dict().values())
    latent = window.panel("latent")
    latent.move_point([0.5, -0.5])
    image = latent.decoded()
    assert image.shape == (8, 8) and np.isfinite(image).all()
    np.testing.assert_allclose(image, session.decode([[0.5, -0.5]])[0], atol=1e-6)

    choose(window, backbone="mlp", epochs=1)
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    assert "Finished" in window.training.progress.format()
