"""The desktop app: main window, session and explorer panels (Qt only)."""

from explorer.window import MainWindow

__all__ = ["MainWindow"]
