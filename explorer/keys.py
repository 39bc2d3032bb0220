"""Esc (stop) and Space (pause / resume) while a run goes, but never from a field being typed
in: there Esc and Space are the field's. The menus list both (their actions keep Ctrl+. and
Ctrl+P, which no field uses)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

EDITORS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)


def in_editor(widget: QWidget | None) -> bool:
    """`widget` (or a widget it sits in) takes typed text: a line edit, a spin box, an
    editable combo box, a text edit."""
    while widget is not None:
        if isinstance(widget, EDITORS) or (isinstance(widget, QComboBox) and widget.isEditable()):
            return True
        widget = widget.parentWidget()
    return False


class RunKeys:
    """The window's Esc and Space shortcuts; `set_running(bool)` turns them on and off (idle,
    Esc and Space go to whatever has the focus)."""

    def __init__(self, window: QWidget, stop: Callable[[], None], pause: Callable[[], None]):
        self.stop = QShortcut(QKeySequence("Esc"), window)
        self.stop.activated.connect(lambda: self._press(stop))
        self.pause = QShortcut(QKeySequence("Space"), window)
        self.pause.activated.connect(lambda: self._press(pause, space=True))
        self.set_running(False)

    def set_running(self, running: bool) -> None:
        self.stop.setEnabled(running)
        self.pause.setEnabled(running)

    @staticmethod
    def _press(act: Callable[[], None], space: bool = False) -> None:
        focus = QApplication.focusWidget()
        if in_editor(focus):
            return
        if space and isinstance(focus, QAbstractButton):  # Space presses a focused button
            focus.animateClick()
            return
        if space and isinstance(focus, QComboBox):  # ... and opens a focused list
            focus.showPopup()
            return
        act()
