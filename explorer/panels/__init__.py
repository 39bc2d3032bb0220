"""The explorer panels, in the order the main window shows them.

Each entry is (name, title, class); `MainWindow.panel(name)` returns the instance.
A panel is built as `cls(session, parent=None)`.
"""

PANELS: list[tuple[str, str, type]] = []
