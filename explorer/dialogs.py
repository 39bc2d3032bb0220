"""The File menu's actions that may ask something (a file dialog) or tell something (a
non-modal message box). The MainWindow's own methods never open a dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from explorer.bundled import DEFAULT_CHECKPOINT, FILTER
from explorer.widgets.exports import ask_path, error_text, tell_saved
from trainer.checkpoint import CheckpointError


class FileDialogs:
    """New, Open, Save, Save as and Export for `window` (a MainWindow), and its error box."""

    def __init__(self, window) -> None:
        self.window = window

    def new_run(self) -> None:
        self.window.form.new_run()
        self._status(
            "New run: the recipe's settings are filled in; change any, then Train (Ctrl+T)."
        )

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open checkpoint", self.folder(), FILTER)
        if path:
            self.open_interactive(path)

    def open_interactive(self, path: str) -> bool:
        """Open `path`; on failure show the reason and keep the current model."""
        try:
            self.window.open_checkpoint(path)
        except CheckpointError as error:
            self.show_error(str(error))
            return False
        return True

    def save(self) -> None:
        """Save to the model's file, or ask for one (never over the bundled default)."""
        path = self.window.session.path
        if path is None or Path(path).resolve() == DEFAULT_CHECKPOINT.resolve():
            self.save_as_dialog()
        else:
            self.save_interactive(path)

    def save_as_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save checkpoint", self.folder(), FILTER)
        if path:
            self.save_interactive(path if path.endswith(".safetensors") else path + ".safetensors")

    def save_interactive(self, path) -> None:
        try:
            self.window.save_checkpoint(path)
        except (OSError, CheckpointError, ValueError) as error:
            self.show_error(f"Could not save {Path(path).name}: {error}")

    def export_dialog(self) -> None:
        path = ask_path(self.window, "Export loss history", "loss-history.csv", "CSV", ".csv")
        if path:
            try:
                tell_saved(self.window, self.window.loss.plot.export_csv(path))
            except OSError as error:
                self.show_error(error_text(path, error))

    def folder(self) -> str:
        """Where a file dialog starts: the folder of the newest recent file, else home."""
        recent = self.window.recent.paths()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def show_error(self, text: str) -> None:
        """Status bar line plus a non-modal message box; the app keeps running."""
        self.window.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Warning, "Latent Explorer", text, parent=self.window)
        box.setObjectName("errorMessage")
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.setWindowModality(Qt.NonModal)
        box.show()

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)
