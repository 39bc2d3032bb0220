"""Saving: a save that fails at any step leaves the previous file byte-identical and no temporary
file behind; an unwritable or full destination is a CheckpointError sentence; the window keeps
the model in memory so it can be saved elsewhere."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import hostile
import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox
from support import GRID, assert_sentence

from trainer import checkpoint
from trainer.checkpoint import CheckpointError

FULL = OSError(errno.ENOSPC, "No space left on device")


class HalfWritten:
    """A real file that takes half of what is written to it and then reports a full disk."""

    def __init__(self, file) -> None:
        self.file = file

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()

    def write(self, data) -> int:
        self.file.write(bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.file, name)


def _raise(error):
    def fail(*args, **kwargs):
        raise error

    return fail


real_fdopen = os.fdopen
# step -> (object, attribute, replacement): every step of checkpoint.save that touches the disk
STEPS = {
    "mkdir": (Path, "mkdir", _raise(PermissionError(errno.EACCES, "Permission denied"))),
    "mkstemp": (tempfile, "mkstemp", _raise(FULL)),
    "fchmod": (os, "fchmod", _raise(OSError(errno.EPERM, "Operation not permitted"))),
    "open": (os, "fdopen", _raise(FULL)),
    "write": (os, "fdopen", lambda fd, mode: HalfWritten(real_fdopen(fd, mode))),
    "fsync": (os, "fsync", _raise(OSError(errno.EIO, "Input/output error"))),
    "replace": (os, "replace", _raise(OSError(errno.EXDEV, "Invalid cross-device link"))),
}


@pytest.fixture
def previous(tmp_path):
    """A checkpoint already on disk (the one a failed save must not damage) and its bytes."""
    path = tmp_path / "run.safetensors"
    checkpoint.save(path, hostile.model(hostile.AE, seed=1), dataset="digits")
    return path, path.read_bytes()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("step", list(STEPS))
def test_a_save_failing_at_any_step_leaves_the_previous_file(monkeypatch, previous, step):
    path, before = previous
    new = hostile.model(hostile.AE, seed=2)
    target, name, replacement = STEPS[step]
    with monkeypatch.context() as patch:
        patch.setattr(target, name, replacement)
        with pytest.raises(CheckpointError) as caught:
            checkpoint.save(path, new, dataset="digits")
    assert_sentence(str(caught.value))
    assert str(caught.value).startswith(f"Could not save {path}")
    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []
    checkpoint.save(path, new, dataset="digits")  # the fault gone, the same save works
    loaded = checkpoint.load(path).build_model()
    assert all(np.array_equal(v, new.state_dict()[k]) for k, v in loaded.state_dict().items())


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_an_interrupt_mid_save_leaves_the_previous_file(monkeypatch, previous, step):
    path, before = previous
    target, name, _ = STEPS[step]
    monkeypatch.setattr(target, name, _raise(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(path, hostile.model(hostile.AE, seed=2), dataset="digits")
    monkeypatch.undo()
    assert path.read_bytes() == before and _leftovers(path.parent) == []


def test_unwritable_destinations_are_clear_errors(tmp_path):
    net = hostile.model(hostile.AE)
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    cases = {
        blocker / "run.safetensors": "a-file is a file, not a folder",
        blocker / "deeper" / "run.safetensors": "a-file is a file, not a folder",
        Path("/proc/run.safetensors"): "Could not save /proc/run.safetensors",
        tmp_path: "Could not save",  # a folder where the file should go
    }
    for path, expected in cases.items():
        with pytest.raises(CheckpointError) as caught:
            checkpoint.save(path, net, dataset="digits")
        assert expected in str(caught.value)
        assert_sentence(str(caught.value))
    assert blocker.read_text() == "a file where a folder should be"


def test_window_keeps_the_model_after_a_failed_save(window, tmp_path, monkeypatch):
    session = window.session
    model, before = session.model, session.decode(GRID)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(CheckpointError):
        window.save_checkpoint(blocker / "run.safetensors")
    first = window.save_checkpoint(tmp_path / "first.safetensors")
    saved_bytes = first.read_bytes()
    session.apply_weights(session.model.state_dict())  # as after more training: unsaved
    with monkeypatch.context() as patch:  # the disk fills up: Ctrl+S over the saved file
        patch.setattr(os, "fdopen", STEPS["write"][2])
        window.files.save()  # what Ctrl+S runs
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and not boxes[-1].isModal() and "No space left" in boxes[-1].text()
    assert first.read_bytes() == saved_bytes and _leftovers(tmp_path) == []
    assert session.model is model and session.dirty
    assert np.array_equal(session.decode(GRID), before)

    elsewhere = window.save_checkpoint(tmp_path / "elsewhere.safetensors")
    assert session.path == elsewhere and not session.dirty
    window.open_checkpoint(elsewhere)
    assert np.allclose(window.session.decode(GRID), before, atol=1e-6)
