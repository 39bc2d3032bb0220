"""Keyboard control of a run (Esc stops and Space pauses only while training, never from a
field being typed in) and Continue (the same model trained on, its history continued)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from explorer.training.run import PAUSED, TRAINING

LONG = 60_000


def _training(qtbot, window, choose, epochs=30) -> None:
    choose(window, backbone="conv", objective="vae", hidden="16,32", epochs=epochs, batch_size=4)
    assert window.start_training()
    qtbot.waitUntil(lambda: window.run.state == TRAINING, timeout=LONG)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())


def test_esc_in_a_field_does_not_stop_elsewhere_it_does(qtbot, window, choose):
    assert not window.keys.stop.isEnabled()  # idle: Esc is the focused widget's
    _training(qtbot, window, choose)
    window.tabs.show_panel("denoise")
    denoise = window.panel("denoise")
    # (the training form is locked while a run goes: these are the panels' fields)
    for field in (denoise.text_edit, denoise.index_spin):  # a line edit, a spin box
        field.setFocus()
        qtbot.waitUntil(field.hasFocus)
        qtbot.keyClick(field, Qt.Key_Escape)
        qtbot.wait(300)
        assert window.run.state == TRAINING, field.objectName()
    window.tabs.setFocus()
    qtbot.keyClick(window.tabs, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    assert window.training.progress.format().startswith("Stopped")
    assert not window.keys.stop.isEnabled()


def test_space_types_in_a_field_and_pauses_elsewhere(qtbot, window, choose):
    _training(qtbot, window, choose)
    window.tabs.show_panel("denoise")
    denoise = window.panel("denoise")
    field = denoise.text_edit
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    field.end(False)
    qtbot.keyClick(field, Qt.Key_Space)
    assert field.text().endswith(" ") and window.run.state == TRAINING
    window.tabs.setFocus()
    qtbot.keyClick(window.tabs, Qt.Key_Space)
    assert window.run.state == PAUSED
    qtbot.keyClick(window.tabs, Qt.Key_Space)
    assert window.run.state == TRAINING
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)


def test_continue_trains_the_same_model_on_with_its_history(qtbot, window, choose):
    choose(window, backbone="mlp", objective="ae", epochs=2, batch_size=64)
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    session = window.session
    before = {k: v.clone() for k, v in session.model.state_dict().items()}
    old = {split: {k: list(v) for k, v in cols.items()} for split, cols in session.history.items()}
    assert old["val"]["epoch"] == [1, 2] and window.training.continue_button.isEnabled()
    started = []
    session.modelChanged.connect(
        lambda: started.append({k: v.clone() for k, v in session.model.state_dict().items()})
    )
    qtbot.mouseClick(window.training.continue_button, Qt.LeftButton)
    assert window.is_training() and not window.actions_by_name["continue"].isEnabled()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    assert window.training.progress.format().startswith("Finished")
    for name, value in started[0].items():  # the run began from the stopped model's weights
        assert np.array_equal(value.numpy(), before[name].numpy()), name
    new = session.history
    assert new["val"]["epoch"] == [1, 2, 3, 4]
    n = len(old["train"]["step"])
    assert new["train"]["step"][:n] == old["train"]["step"]  # the old curve is kept as it was
    assert new["train"]["loss"][:n] == old["train"]["loss"]
    steps = new["train"]["step"]
    assert steps[n] > steps[n - 1] and len(steps) > n  # and counts on from it
    assert session.config.hidden == [16] and session.config.objective == "ae"
    assert window.loss.plot.point_count("train") >= len(steps)


def test_continue_with_nothing_trained_says_so(window, qtbot, make_session, tiny_model, digits):
    window.session.set_model(tiny_model("mlp", "ae", steps=0), digits)  # no history
    assert not window.run.can_continue() and not window.training.continue_button.isEnabled()
    with qtbot.waitSignal(window.run.message) as said:
        assert window.continue_training() is False
    assert "Nothing to continue" in said.args[0] and not window.is_training()
