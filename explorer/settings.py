"""What the window keeps between starts, in settings.ini of the per-user folder: geometry,
dock layout, the last tab, the loss plot's log scale, smooth image scaling, recent files.
The training form is not kept: it shows the open model's settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from trainer.paths import home

MAX_RECENT = 8


class Settings:
    """A typed view of settings.ini; `restore(window)` at start, `save(window)` on close."""

    def __init__(self) -> None:
        self.store = QSettings(str(home() / "settings.ini"), QSettings.Format.IniFormat)

    def restore(self, window) -> None:
        """Put the saved geometry, docks, tab and plot scale on `window` (a MainWindow)."""
        s = self.store
        if s.value("window/geometry"):
            window.restoreGeometry(s.value("window/geometry"))
            window.restoreState(s.value("window/state"))
        tab = s.value("window/tab", "")
        if tab in window.tabs.names():
            window.tabs.show_panel(tab)
        window.loss.log_check.setChecked(s.value("plot/log", True, type=bool))
        window.actions_by_name["smooth"].setChecked(s.value("view/smooth", False, type=bool))

    def save(self, window) -> None:
        s = self.store
        s.setValue("window/geometry", window.saveGeometry())
        s.setValue("window/state", window.saveState())
        s.setValue("window/tab", window.tabs.current_name())
        s.setValue("plot/log", window.loss.log_check.isChecked())
        s.setValue("view/smooth", window.actions_by_name["smooth"].isChecked())
        s.sync()

    def was_hint_seen(self) -> bool:
        """The first-run hint was closed (or a model trained) in an earlier start."""
        return self.store.value("hints/first_run_seen", False, type=bool)

    def hint_seen(self) -> None:
        self.store.setValue("hints/first_run_seen", True)
        self.store.sync()

    # -- recent files --------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        """The most recently opened or saved checkpoints, newest first."""
        value = self.store.value("recent/files", [])
        paths = [value] if isinstance(value, str) else list(value or [])
        return [p for p in paths if p]

    def add_recent_file(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        paths = [path, *(p for p in self.recent_files() if p != path)][:MAX_RECENT]
        self.store.setValue("recent/files", paths)

    def clear_recent_files(self) -> None:
        self.store.setValue("recent/files", [])
