"""Every button and field a person can see in the window says what it does (a tooltip)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QSlider,
    QTabBar,
    QWidget,
)

from explorer.panels import PANELS

KINDS = (QAbstractButton, QAbstractSpinBox, QComboBox, QSlider, QLineEdit)


def _untipped(root: QWidget) -> list[str]:
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, KINDS) or not widget.isVisible():
            continue
        if isinstance(widget.parent(), (QTabBar, QAbstractSpinBox, QComboBox)):
            continue  # the tab bar's scroll arrows, a spin box's or combo's own parts
        if not widget.toolTip().strip():
            text = getattr(widget, "text", lambda: "")()
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} {text!r}")
    return missing


def test_every_visible_button_and_field_has_a_tooltip(window, qtbot):
    missing = set(_untipped(window))
    for name, _title, _cls in PANELS:  # every tab, built and shown
        window.tabs.show_panel(name)
        qtbot.wait(20)
        missing |= {f"{name}: {m}" for m in _untipped(window)}
    window.form.objective.setCurrentIndex(window.form.objective.findData("denoising"))
    missing |= set(_untipped(window))
    assert not missing, "\n".join(sorted(missing))
