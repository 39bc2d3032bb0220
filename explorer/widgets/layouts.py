"""Small builders the panels' layouts share: a button wired to its slot, a row of widgets,
a banner frame."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLayout, QPushButton, QWidget


def button(text: str, slot, tip: str = "", **properties) -> QPushButton:
    """A push button that calls `slot()` when clicked, with a tooltip."""
    widget = QPushButton(text, toolTip=tip, **properties)
    widget.clicked.connect(lambda _checked=False: slot())
    return widget


def row(*items: QWidget | QLayout | None, stretch: int | None = None) -> QHBoxLayout:
    """Widgets and layouts side by side; None is a stretch; item number `stretch` (if given)
    takes the spare width."""
    layout = QHBoxLayout()
    for i, item in enumerate(items):
        if item is None:
            layout.addStretch(1)
        elif isinstance(item, QLayout):
            layout.addLayout(item, 1 if i == stretch else 0)
        else:
            layout.addWidget(item, 1 if i == stretch else 0)
    return layout


def banner_frame(name: str) -> QFrame:
    """A pale yellow frame (objectName `name`) for a panel's note about the open model."""
    style = (
        f"#{name} {{ background: #fff3cd; border: 1px solid #e0c36a; border-radius: 4px; }}"
        f" #{name} QLabel {{ color: #5c4400; }}"
    )
    return QFrame(objectName=name, styleSheet=style)
