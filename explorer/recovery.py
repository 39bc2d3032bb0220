"""The recovery file: an unsaved model kept on close, offered back by a non-blocking banner."""

from __future__ import annotations

import contextlib
import datetime
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from trainer import checkpoint
from trainer.paths import home

RECOVERY_NAME = "recovery.safetensors"


def recovery_path() -> Path:
    return home() / RECOVERY_NAME


def write_recovery(model, *, train_config, dataset: str, history: dict | None) -> Path | None:
    """Save the model to the recovery file; None (and a line on stderr) if that fails."""
    try:
        return checkpoint.save(
            recovery_path(), model, train_config=train_config, dataset=dataset, history=history
        )
    except Exception as error:  # closing must never fail or ask; say it and go on
        print(f"latent-explorer: could not write the recovery file: {error}", file=sys.stderr)
        return None


class RecoveryWriter(QObject):
    """Writes the recovery file off the GUI thread (a checkpoint save with fsync took 8 to
    25 ms); one write at a time, in order. `wait()` before reading, deleting or rewriting it."""

    written = Signal(object)  # the Path written (or None), on the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def write(self, model, **kwargs) -> None:
        """Save `model` (not changed by anyone afterwards) like write_recovery, in a thread."""
        self.wait()

        def body() -> None:
            path = write_recovery(model, **kwargs)
            with contextlib.suppress(RuntimeError):  # the window is gone
                self.written.emit(path)

        self._thread = threading.Thread(target=body, name="le-recovery")
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def discard_recovery() -> None:
    recovery_path().unlink(missing_ok=True)


class RecoveryBanner(QFrame):
    """A bar at the top of the window: 'Unsaved model from ...' [Restore] [Discard]."""

    restoreClicked = Signal()
    discardClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#recoveryBanner { background: #fff7d6; border: 1px solid #e5c85a;"
            " border-radius: 3px; }"
        )
        self.label = QLabel(objectName="recoveryLabel", wordWrap=True)
        self.restore_button = QPushButton("Restore", objectName="recoveryRestoreButton")
        self.restore_button.setToolTip("Open the model that was not saved when the app closed.")
        self.discard_button = QPushButton("Discard", objectName="recoveryDiscardButton")
        self.discard_button.setToolTip("Delete the recovery file and keep the current model.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.discard_button)
        self.restore_button.clicked.connect(self.restoreClicked)
        self.discard_button.clicked.connect(self.discardClicked)
        self.hide()

    def offer(self, path: Path) -> None:
        """Show the banner for the recovery file at `path`."""
        when = datetime.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        self.label.setText(
            f"<b>An unsaved model from your last session was kept</b> ({when}). "
            "Restore it to keep working on it, or discard it."
        )
        self.show()
