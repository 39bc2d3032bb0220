"""`run_app`: the QApplication around the main window (what `python main.py` runs)."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from explorer.bundled import RESOURCES


def make_app(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, named, with the app icon and the Fusion style."""
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("Latent Explorer")
    app.setOrganizationName("Latent Explorer")
    app.setApplicationDisplayName("Latent Explorer")
    app.setWindowIcon(QIcon(str(RESOURCES / "icon.png")))
    app.setStyle("Fusion")
    app.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, False)
    return app


def run_app(checkpoint: str | None = None) -> int:
    """Show the main window on `checkpoint` (or the bundled default) and run the event loop."""
    app = make_app()
    # Python's cycle collector runs on the GUI thread only (a QTimer), never in a job thread:
    # one there that frees a widget deadlocks Qt (seen in the tests).
    from pyqtgraph.util.garbage_collector import GarbageCollector

    from explorer.window import MainWindow  # after the QApplication exists
    from trainer import runner

    app.collector = GarbageCollector(interval=1.0)
    window = MainWindow(checkpoint, open_later=True)  # on screen first, the model a moment later
    window.show()
    # Training runs in child processes forked by a server that imports torch once: start it
    # now, in its own process, so the first Train click does not wait for it.
    QTimer.singleShot(0, runner.warm_up)
    QTimer.singleShot(0, freeze_heap)  # after the model opened (open_later queued it first)
    return app.exec()


def freeze_heap() -> None:
    """Leave everything alive now (Qt wrappers, torch, pyqtgraph, the model) out of the
    garbage collector's full passes: one of those took 140 to 170 ms on the GUI thread."""
    gc.freeze()
