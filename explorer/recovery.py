"""The recovery file: an unsaved model kept on close (or when a run or a file replaces it),
offered back by a non-blocking banner. `Recovery` is the window's half: it decides when to
write, restore and discard; `RecoveryWriter` writes off the GUI thread."""

from __future__ import annotations

import contextlib
import datetime
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from explorer.bundled import load_checkpoint
from trainer import checkpoint
from trainer.checkpoint import CheckpointError
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


class Recovery(QObject):
    """Keeps the session's unsaved model in the recovery file and brings it back on request.

    The banner offers the file; Restore and Discard on it land here. `busy()` (a run is
    going) disables Restore, which would orphan the run.
    """

    message = Signal(str)  # a status-bar line
    failed = Signal(str)  # one sentence for the error box

    def __init__(self, session, banner: RecoveryBanner, busy, parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.banner, self.busy = session, banner, busy
        self.writer = RecoveryWriter(self)
        self.writer.written.connect(lambda path: path is not None and banner.offer(path))
        banner.restoreClicked.connect(self.restore)
        banner.discardClicked.connect(self.discard)
        if recovery_path().exists():
            banner.offer(recovery_path())

    def keep_unsaved(self, offer: bool = True, background: bool = False) -> bool:
        """Before the session's model is replaced: write an unsaved model to the recovery file
        and offer it back on the banner; True when one was kept (background: it is being
        written, off the GUI thread, and offered once it is)."""
        s = self.session
        self.writer.wait()
        if not (s.dirty and s.model is not None):
            return False
        dataset = s.dataset.name if s.dataset is not None else "digits"
        kept = {"train_config": s.train_config, "dataset": dataset, "history": s.history}
        if background:  # a new run: the model object is replaced, never changed, from here
            self.writer.write(s.model, **kept)
            return True
        written = write_recovery(s.model, **kept)
        if written is not None and offer:
            self.banner.offer(written)
        return written is not None

    def restore(self) -> None:
        """Open the recovery file as an unsaved model; the current unsaved one takes its place."""
        if self.busy():
            return
        self.writer.wait()
        try:
            ckpt, model, dataset = load_checkpoint(recovery_path())
        except CheckpointError as error:
            self.failed.emit(f"The recovery file can't be restored: {error}")
            self.discard()
            return
        if not self.keep_unsaved():  # the current unsaved model takes the file's place
            self.discard()
        self.session.set_model(model, dataset, ckpt.history, ckpt.train_config, path=None)
        self.message.emit("Restored the unsaved model: save it with Ctrl+S.")

    def discard(self) -> None:
        self.writer.wait()
        discard_recovery()
        self.banner.hide()
