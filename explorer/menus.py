"""The menu bar: File (with recent files), Training and View, and their shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from explorer.widgets.image_view import scaling


class RecentFiles:
    """The File menu's "Open recent" list (kept in `settings`, newest first)."""

    def __init__(self, settings, menu: QMenu, open_path: Callable[[str], None]):
        self.settings, self.menu, self.open_path = settings, menu, open_path
        self.menu.aboutToShow.connect(self._rebuild)

    def paths(self) -> list[str]:
        return self.settings.recent_files()

    def add(self, path: str | Path) -> None:
        self.settings.add_recent_file(path)

    def _rebuild(self) -> None:
        self.menu.clear()
        paths = self.paths()
        for i, path in enumerate(paths, 1):
            action = self.menu.addAction(f"&{i}  {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not paths:
            self.menu.addAction("No recent files").setEnabled(False)
        else:
            self.menu.addSeparator()
            self.menu.addAction("Clear list", self.settings.clear_recent_files)


def _rebuild_recover(window, menu: QMenu) -> None:
    """File > Recover unsaved model: the kept models, newest first, with their age."""
    from explorer.recovery_files import file_age, recovery_files

    menu.clear()
    files = recovery_files()
    for i, path in enumerate(files, 1):
        action = menu.addAction(f"&{i}  Unsaved model kept {file_age(path)}")
        action.setStatusTip(str(path))
        action.setEnabled(not window.is_training())
        action.triggered.connect(lambda _=False, p=path: window.recovery.restore(p))
    if not files:
        menu.addAction("No unsaved models kept").setEnabled(False)


def _action(window: QMainWindow, text: str, slot, shortcuts=(), tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)  # shortcuts work wherever focus is in the window
    return action


def build_menus(window) -> dict[str, QAction]:
    """Create the menu bar of `window` (a MainWindow); returns the actions by name."""
    bar, Std, files = window.menuBar(), QKeySequence.StandardKey, window.files
    a = {
        "new": _action(window, "&New run", files.new_run, [Std.New], "Reset the training form."),
        "open": _action(
            window, "&Open checkpoint...", files.open_dialog, [Std.Open], "Open a checkpoint."
        ),
        "save": _action(window, "&Save", files.save, [Std.Save], "Save the current model."),
        "save_as": _action(
            window, "Save &as...", files.save_as_dialog, ["Ctrl+Shift+S"], "Save to a new file."
        ),
        "export": _action(
            window, "&Export loss history (CSV)...", files.export_dialog, [], "Loss curves as CSV."
        ),
        "quit": _action(window, "&Quit", window.close, ["Ctrl+Q"], "Close Latent Explorer."),
        "train": _action(window, "&Train", window.start_training, ["Ctrl+T"], "Train a new model."),
        # Space and Esc (explorer.keys, never from a field) are the ones the menu shows.
        "pause": _action(
            window, "&Pause / Resume\tSpace", window.toggle_pause, ["Ctrl+P"], "Pause or resume."
        ),
        "stop": _action(
            window, "&Stop\tEsc", window.stop_training, ["Ctrl+."], "Stop, keep the model."
        ),
        "continue": _action(
            window,
            "&Continue training",
            window.continue_training,
            ["Ctrl+Shift+T"],
            "Train the current model on from where it stopped, its loss history continued.",
        ),
    }
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a["new"])
    file_menu.addAction(a["open"])
    recent_menu = file_menu.addMenu("Open &recent")
    window.recent = RecentFiles(window.settings, recent_menu, files.open_interactive)
    recover_menu = file_menu.addMenu("Re&cover unsaved model")
    recover_menu.setObjectName("recoverMenu")
    recover_menu.aboutToShow.connect(lambda: _rebuild_recover(window, recover_menu))
    file_menu.addSeparator()
    file_menu.addAction(a["save"])
    file_menu.addAction(a["save_as"])
    file_menu.addAction(a["export"])
    file_menu.addSeparator()
    file_menu.addAction(a["quit"])
    train_menu = bar.addMenu("&Training")
    for key in ("train", "continue", "pause", "stop"):
        train_menu.addAction(a[key])
    view_menu = bar.addMenu("&View")
    for dock in window.docks:
        view_menu.addAction(dock.toggleViewAction())
    view_menu.addSeparator()
    a["smooth"] = smooth = QAction("Smooth image &scaling", window, checkable=True)
    smooth.setStatusTip("Blend the pixels of small images shown large (the canvas you paint on "
                        "keeps sharp pixels); off shows each pixel as a square.")  # fmt: skip
    smooth.setChecked(scaling().smooth)
    smooth.toggled.connect(scaling().set_smooth)
    view_menu.addAction(smooth)
    return a
