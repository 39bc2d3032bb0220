"""The same hostile files opened in the window: CheckpointError, and the current model stays."""

from __future__ import annotations

import hostile
import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox
from support import GRID, assert_sentence

from models import ModelConfig
from trainer import checkpoint
from trainer.checkpoint import CheckpointError


def _data_cases(tmp_path) -> dict[str, bytes]:
    """Valid files whose data can't be had: unknown dataset, missing folder, wrong image size."""
    net = hostile.model(hostile.AE)
    # digits resized to a square (--size) is a valid dataset now; a 16 x 12 model never is
    big = hostile.model(ModelConfig(hidden=[16], input_shape=(1, 16, 12)))
    cases = {}
    for name, model, dataset in [
        ("unknown-dataset", net, "mnits"),
        ("missing-folder", net, f"folder:{tmp_path / 'gone'}"),
        ("wrong-image-size", big, "digits"),
    ]:
        path = checkpoint.save(tmp_path / f"{name}.safetensors", model, dataset=dataset)
        cases[name] = path.read_bytes()
    return cases


def test_hostile_files_leave_the_current_model_in_place(window, tmp_path):
    marker = tmp_path / "code-ran"
    cases = {**hostile.structural_cases(tmp_path, marker), **_data_cases(tmp_path)}
    session = window.session
    model, path, before = session.model, session.path, session.decode(GRID)
    title = window.windowTitle()
    failures = []
    for name, data in cases.items():
        file = tmp_path / f"open-{name}.safetensors"
        file.write_bytes(data)
        try:
            window.open_checkpoint(file)
            failures.append(f"{name}: opened")
        except CheckpointError as error:
            assert_sentence(str(error))
        except Exception as error:  # collected and reported below
            failures.append(f"{name}: {type(error).__name__}: {error}")
        if session.model is not model or session.path != path:
            failures.append(f"{name}: the current model was replaced")
    assert not failures, "\n".join(failures)
    assert np.array_equal(session.decode(GRID), before)
    assert window.windowTitle() == title and not marker.exists()


@pytest.mark.parametrize("name", ["says-vae-holds-ae", "newer-format", "pickle-protocol-5"])
def test_file_menu_shows_why_and_keeps_the_model(window, tmp_path, name):
    data = hostile.structural_cases(tmp_path, tmp_path / "code-ran")[name]
    file = tmp_path / "bad.safetensors"
    file.write_bytes(data)
    before = window.session.decode(GRID)
    assert window.files.open_interactive(str(file)) is False
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1 and not boxes[0].isModal() and "bad.safetensors" in boxes[0].text()
    assert_sentence(boxes[0].text())
    assert np.array_equal(window.session.decode(GRID), before)
