"""The main window without training: default model, contract names, files, settings."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QMessageBox,
    QProgressBar,
    QSpinBox,
    QWidget,
)

from explorer.bundled import DEFAULT_CHECKPOINT
from explorer.panels import PANELS
from trainer.checkpoint import CheckpointError

CONTRACT = {
    "datasetCombo": QComboBox,
    "backboneCombo": QComboBox,
    "objectiveCombo": QComboBox,
    "codeSizeSpin": QSpinBox,
    "epochsSpin": QSpinBox,
    "deviceCombo": QComboBox,
    "trainButton": QAbstractButton,
    "pauseButton": QAbstractButton,
    "stopButton": QAbstractButton,
    "trainProgress": QProgressBar,
    "lossPlot": QWidget,
}
GRID = np.array([[x, y] for x in (-1.5, 0.0, 1.5) for y in (-1.5, 0.0, 1.5)], np.float32)


def _message_boxes(window) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_contract_widgets_carry_their_names(window):
    assert window.objectName() == "mainWindow"
    for name, kind in CONTRACT.items():
        widget = window.findChild(QWidget, name)
        assert isinstance(widget, kind), name
    assert window.findChild(QWidget, "lossPlot") is window.loss.plot


def test_opens_on_the_default_checkpoint(window):
    session = window.session
    assert session.path == DEFAULT_CHECKPOINT
    assert session.config.objective == "vae" and session.config.code_size == 2
    assert session.dataset.name == "digits" and not session.dirty
    assert window.loss.plot.point_count("train") > 0  # its loss history is drawn
    images = session.decode(GRID)
    assert images.shape == (9, 8, 8) and images.std() > 0.01
    for name, _title, cls in PANELS:
        assert isinstance(window.panel(name), cls)
    with pytest.raises(KeyError):
        window.panel("no-such-panel")


def test_save_then_open_reproduces_decoded_output(window, tmp_path, tiny_model, digits):
    other = tiny_model("mlp", "vae", 2, steps=30)
    window.session.set_model(other, digits)  # an unsaved model that is not the default
    before = window.session.decode(GRID)
    path = window.save_checkpoint(tmp_path / "run.safetensors")
    assert not window.session.dirty
    window.open_checkpoint(DEFAULT_CHECKPOINT)
    assert not np.allclose(window.session.decode(GRID), before)
    window.open_checkpoint(path)
    np.testing.assert_allclose(window.session.decode(GRID), before, atol=1e-6)
    assert window.recent.paths()[0] == str(path.resolve())


def test_corrupt_file_raises_and_keeps_the_model(window, tmp_path):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x00\x10not a checkpoint at all" * 10)
    model, before = window.session.model, window.session.decode(GRID)
    with pytest.raises(CheckpointError):
        window.open_checkpoint(bad)
    assert window.session.model is model
    np.testing.assert_array_equal(window.session.decode(GRID), before)
    assert _message_boxes(window) == []  # the method itself shows nothing

    assert window.files.open_interactive(str(bad)) is False  # the menu's path shows it, non-modal
    boxes = _message_boxes(window)
    assert len(boxes) == 1 and not boxes[0].isModal()
    assert boxes[0].text().strip()
    assert window.session.model is model


def test_objective_settings_show_only_when_they_apply(window):
    form = window.form
    rows = {
        "denoising": form.noise_level,
        "sparse_kl": form.rho,
        "contractive": form.contractive,
        "vae": form.beta,
    }
    for objective in rows:
        form.objective.setCurrentIndex(form.objective.findData(objective))
        for other, other_widget in rows.items():
            assert other_widget.isVisible() == (other == objective), (objective, other)
    form.objective.setCurrentIndex(form.objective.findData("sparse_l1"))
    assert form.sparsity.isVisible() and not form.rho.isVisible()
    form.backbone.setCurrentIndex(form.backbone.findData("linear"))
    assert not form.hidden.isVisible() and form.loss.currentData() == "mse"


def test_form_builds_valid_configs_and_ranges_hold(window):
    form = window.form
    form.code_size.setValue(10_000_000)
    form.lr.setValue(1e9)
    form.epochs.setValue(0)
    model, train = form.model_config(), form.train_config()
    model.validate()
    train.validate()
    assert model.code_size == 1024 and train.lr == 10.0 and train.epochs == 1
    assert {form.device.itemData(i) for i in range(form.device.count())} <= {"cpu", "cuda", "mps"}


def test_settings_persist_between_sessions(window, make_window):
    window.loss.log_check.setChecked(False)
    window.tabs.show_panel("samples")
    window.close()
    again = make_window(show=False)
    assert again.tabs.current_name() == "samples" and "samples" in again.tabs.built()
    assert not again.loss.log_check.isChecked()  # the form shows the open model's settings


def test_export_loss_history_csv(window, tmp_path):
    path = window.loss.plot.export_csv(tmp_path / "loss.csv")
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["split", "step"] and "recon" in header and "kl" in header
    train_rows = [line for line in lines[1:] if line.startswith("train,")]
    assert len(train_rows) == len(window.session.history["train"]["step"])


def test_menu_actions_carry_their_shortcuts(window):
    keys = {
        name: [s.toString() for s in a.shortcuts()] for name, a in window.actions_by_name.items()
    }
    assert keys["open"] == ["Ctrl+O"] and keys["save"] == ["Ctrl+S"]
    assert keys["save_as"] == ["Ctrl+Shift+S"] and keys["quit"] == ["Ctrl+Q"]
    assert (
        keys["train"] == ["Ctrl+T"] and keys["stop"] == ["Ctrl+."] and keys["pause"] == ["Ctrl+P"]
    )
    texts = {name: a.text() for name, a in window.actions_by_name.items()}
    assert texts["stop"].endswith("\tEsc") and texts["pause"].endswith("\tSpace")  # the menu's
    assert (
        window.keys.stop.key().toString() == "Esc" and window.keys.pause.key().toString() == "Space"
    )
    assert window.recent.menu.title() == "Open &recent"


def test_qt_calls_do_not_use_up_references_to_none(window, qapp):
    """PySide6 6.12 on Python < 3.12 drops a reference to None per void call (see the pin)."""
    before = sys.getrefcount(None)
    for _ in range(20_000):
        qapp.sendPostedEvents()
    assert sys.getrefcount(None) > before - 1_000  # not one lost per call
    assert window.session.decode(GRID).shape == (9, 8, 8)  # and the app still runs
