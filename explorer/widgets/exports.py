"""Saving a picture or a table: the file dialog suggests a name (in the folder saved to last),
a name without the extension gets it, the window's status bar says where the file went, and
a failure is one sentence."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMainWindow, QWidget

_last_folder: list[Path] = []  # the folder of the newest export, this session


def with_suffix(path, suffix: str) -> Path:
    """`path` ending in `suffix` (".png"): added when the name has another or none."""
    path = Path(path)
    return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)


def suggested(name: str) -> str:
    """Where a save dialog starts: `name` in the folder saved to last, else the home folder."""
    folder = _last_folder[0] if _last_folder else Path.home()
    return str(folder / name)


def ask_path(parent: QWidget, title: str, name: str, kind: str, suffix: str) -> Path | None:
    """A save dialog suggesting `name`; the chosen path with `suffix`, or None."""
    file, _ = QFileDialog.getSaveFileName(parent, title, suggested(name), f"{kind} (*{suffix})")
    return with_suffix(file, suffix) if file else None


def error_text(path, error: Exception) -> str:
    """One sentence: what could not be written, why, what to do."""
    why = getattr(error, "strerror", None) or str(error).strip().rstrip(".") or type(error).__name__
    return f"Could not save {Path(path).name} ({why}): pick another folder or name."


def tell_saved(widget: QWidget, path) -> str:
    """Say in the window's status bar where `path` was written (and remember its folder)."""
    path = Path(path).resolve()
    _last_folder[:] = [path.parent]
    text = f"Saved {path.name} to {path.parent}"
    window = widget.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, 10000)
    return text
