"""Recovery files: the last few unsaved models, kept on close, when a run or a file replaces
one, and every few minutes during a long run; a non-blocking banner (over the panels, never
moving them) offers the newest back, and File > Recover unsaved model lists them all.
`Recovery` is the window's half: it decides when to write, restore and discard;
`RecoveryWriter` writes off the GUI thread. The files themselves: recovery_files.py."""

from __future__ import annotations

import contextlib
import copy
import threading
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from explorer.bundled import load_checkpoint
from explorer.recovery_files import (
    discard_recovery,
    file_age,
    recovery_files,
    recovery_path,
    write_recovery,
)
from trainer.checkpoint import CheckpointError

AUTOSAVE_S = 180.0  # a run's model is kept this often while it trains


class RecoveryWriter(QObject):
    """Writes recovery files off the GUI thread (a checkpoint save with fsync took 8 to
    25 ms); one write at a time, in order. `wait()` before reading, deleting or rewriting."""

    written = Signal(object, object)  # the Path written (or None) and the write's tag

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def write(self, model, replaces: Path | None = None, tag=None, **kwargs) -> None:
        """Save `model` (not changed by anyone afterwards) like write_recovery, in a thread;
        `replaces`: a file deleted once the new one is written; `tag` goes out with it."""
        self.wait()

        def body() -> None:
            path = write_recovery(model, **kwargs)
            if path is not None and replaces is not None:
                replaces.unlink(missing_ok=True)
            with contextlib.suppress(RuntimeError):  # the window is gone
                self.written.emit(path, tag)

        self._thread = threading.Thread(target=body, name="le-recovery")
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None


class RecoveryBanner(QFrame):
    """'Unsaved model kept 12 minutes ago' [Restore] [Discard]: floats over the bottom of its
    parent (the panels' area), so showing it moves nothing."""

    restoreClicked = Signal()
    discardClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#recoveryBanner { background: #fff7d6; border: 1px solid #e5c85a;"
            " border-radius: 4px; }"
        )
        self.label = QLabel(objectName="recoveryLabel", wordWrap=True)
        self.restore_button = QPushButton("Restore", objectName="recoveryRestoreButton")
        self.restore_button.setToolTip("Open the newest model that was not saved.")
        self.discard_button = QPushButton("Discard", objectName="recoveryDiscardButton")
        self.discard_button.setToolTip("Delete this kept model and keep the current one.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.discard_button)
        self.restore_button.clicked.connect(self.restoreClicked)
        self.discard_button.clicked.connect(self.discardClicked)
        self.path: Path | None = None
        if parent is not None:
            parent.installEventFilter(self)
        self.hide()

    def offer(self, path: Path, more: int = 0) -> None:
        """Show the banner for the kept model at `path` (`more`: how many older ones)."""
        self.path = path
        older = f" ({more} older in File \u25b8 Recover unsaved model)" if more else ""
        self.label.setText(
            f"<b>An unsaved model was kept {file_age(path)}</b>{older}. "
            "Restore it to keep working on it, or discard it."
        )
        self.show()
        self.place()
        self.raise_()

    def place(self) -> None:
        """Along the bottom of the parent, a little in from its edges."""
        parent = self.parentWidget()
        if parent is None:
            return
        width = min(720, parent.width() - 24)
        height = self.heightForWidth(width) if self.hasHeightForWidth() else 0
        height = max(height, self.sizeHint().height())
        self.setGeometry(
            (parent.width() - width) // 2, parent.height() - height - 12, width, height
        )

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show) and not self.isHidden():
            self.place()
        return False


class Recovery(QObject):
    """Keeps the session's unsaved models in recovery files and brings them back on request.

    The banner offers the newest; Restore and Discard on it land here. `busy()` (a run is
    going) disables Restore, which would orphan the run. While a run trains, `autosave()`
    keeps its model every `autosave_s` seconds (each replacing the run's previous one).
    """

    message = Signal(str)  # a status-bar line
    failed = Signal(str)  # one sentence for the error box

    def __init__(self, session, banner: RecoveryBanner, busy, parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.banner, self.busy = session, banner, busy
        self.writer = RecoveryWriter(self)
        self.writer.written.connect(self._written)
        self._autosaved: tuple[object, Path] | None = None  # (model, its newest file)
        self.autosave_s = AUTOSAVE_S
        self._timer = QTimer(self, singleShot=False)
        self._timer.timeout.connect(self.autosave)
        banner.restoreClicked.connect(lambda: self.restore(banner.path))
        banner.discardClicked.connect(lambda: self.discard(banner.path))
        session.fileChanged.connect(self._saved)
        self.offer_newest()

    def offer_newest(self) -> None:
        files = recovery_files()
        if files:
            self.banner.offer(files[0], len(files) - 1)
        else:
            self.banner.hide()

    def follow(self, state: str, _text: str = "") -> None:
        """A TrainingRun's state: autosave while it trains."""
        if state == "training" and not self._timer.isActive():
            self._timer.start(int(self.autosave_s * 1000))
        elif state == "idle":
            self._timer.stop()

    def autosave(self) -> None:
        """Keep the training model now, off the GUI thread, replacing its last autosave."""
        s = self.session
        if not (s.dirty and s.model is not None):
            return
        self.writer.wait()
        self._write(copy.deepcopy(s.model), background=True)

    def keep_unsaved(self, offer: bool = True, background: bool = False) -> bool:
        """Before the session's model is replaced: keep it if unsaved and offer it on the
        banner; True when one was kept (background: written off the GUI thread, offered once
        it is)."""
        s = self.session
        self.writer.wait()
        if not (s.dirty and s.model is not None):
            return False
        # a new run: the model object is replaced, never changed, from here
        return self._write(s.model, background=background, offer=offer)

    def _write(self, model, background: bool, offer: bool = True) -> bool:
        s = self.session
        replaces = self._autosaved[1] if self._autosaved and self._autosaved[0] is s.model else None
        dataset = s.dataset.name if s.dataset is not None else "digits"
        kept = {"train_config": s.train_config, "dataset": dataset, "history": s.history}
        if background:
            self.writer.write(model, replaces=replaces, tag=s.model, **kept)
            return True
        written = write_recovery(model, **kept)
        if written is not None and replaces is not None:
            replaces.unlink(missing_ok=True)
        self._written(written, s.model, offer)
        return written is not None

    def _written(self, path: Path | None, model, offer: bool = True) -> None:
        """`path` keeps `model` (the session's model object it was written from)."""
        if path is None:
            return
        self._autosaved = (model, path)
        if offer:
            self.offer_newest()

    def _saved(self) -> None:
        """The model was saved: its autosave is no longer needed."""
        s = self.session
        if self._autosaved and self._autosaved[0] is s.model and not s.dirty:
            self.writer.wait()
            self._autosaved[1].unlink(missing_ok=True)
            self._autosaved = None
            self.offer_newest()

    def restore(self, path: Path | None = None) -> None:
        """Open a kept model (the newest by default) as an unsaved model; the current unsaved
        one is kept in its place."""
        if self.busy():
            return
        self.writer.wait()
        path = path or recovery_path()
        try:
            ckpt, model, dataset = load_checkpoint(path)
        except CheckpointError as error:
            self.failed.emit(f"The kept model can't be restored: {error}")
            self.discard(path)
            return
        self.keep_unsaved(offer=False)
        discard_recovery(path)
        self.session.set_model(model, dataset, ckpt.history, ckpt.train_config, path=None)
        self.offer_newest()
        self.message.emit("Restored the unsaved model: save it with Ctrl+S.")

    def discard(self, path: Path | None = None) -> None:
        """Delete the kept model at `path` (the one the banner offers by default)."""
        self.writer.wait()
        discard_recovery(path or recovery_path())
        self.offer_newest()
