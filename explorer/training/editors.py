"""The editor widgets of the training form: made, read and written from a setting's metadata.

One function per direction, by the setting's kind (trainer.config.settings()): a combo for
choices and datasets, spin boxes for numbers (1-2-5 steps for those that span decades), a
line edit for layer widths, and a combo plus a level for a noise spec. Widgets are named
after their field, e.g. `codeSizeSpin`, `hiddenEdit`, `noiseKindCombo` and `noiseLevelSpin`.
"""

from __future__ import annotations

import torch
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox, QWidget

from explorer.widgets import ScientificSpinBox
from models.config import Setting
from models.corruption import LEVELS, parse_noise
from trainer import data
from trainer.devices import device_choices

FOLDER = "Folder..."  # the dataset combo's last entry: pick a folder of images
SUFFIX = {"choice": "Combo", "dataset": "Combo", "noise": "KindCombo", "ints": "Edit"}
HIDDEN_TEXT = r"^\s*(\d{1,5}\s*(,\s*)?){0,8}$"  # up to 8 widths of up to 5 digits


def object_name(s: Setting) -> str:
    """The editor's objectName: the field in camelCase and the kind of widget, e.g. lrSpin."""
    first, *rest = s.name.split("_")
    return first + "".join(w.title() for w in rest) + SUFFIX.get(s.kind, "Spin")


def available_devices() -> list[tuple[str, str]]:
    """(label, device) for the devices this machine really has, best first."""
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    name = torch.cuda.get_device_name(0) if count else ""
    return device_choices(count, name, torch.backends.mps.is_available())


def combo(items) -> QComboBox:
    """A combo of items, each a value or a (label, value) pair; the value is its data."""
    widget = QComboBox()
    for item in items:
        label, value = item if isinstance(item, tuple) else (item, item)
        widget.addItem(label, value)
    return widget


def set_data(widget: QComboBox, value) -> None:
    """Select the entry whose data is value (nothing changes when there is none)."""
    index = widget.findData(value)
    if index >= 0:
        widget.setCurrentIndex(index)


def make(s: Setting) -> list[QWidget]:
    """The editor of one setting (a noise spec has two: its kind and its level)."""
    low, high = s.widget_range
    if s.kind == "dataset":
        widget = combo([*data.names(), FOLDER])
        widget.insertSeparator(widget.count() - 1)
    elif s.kind == "choice":
        widget = combo(available_devices() if s.name == "device" else s.options)
    elif s.kind == "noise":
        widget = combo(LEVELS)
    elif s.kind == "ints":
        widget = QLineEdit()
        widget.setValidator(QRegularExpressionValidator(HIDDEN_TEXT))
    elif s.kind == "int":
        widget = QSpinBox(minimum=int(low), maximum=int(high), accelerated=True)
        widget.setSpecialValueText(s.zero)  # the word for 0, if it means something else
    elif s.log:
        widget = ScientificSpinBox(low, high, s.default)
    else:
        widget = QDoubleSpinBox(decimals=s.decimals, minimum=low, maximum=high, singleStep=s.step)
    widget.setObjectName(object_name(s))
    widget.setToolTip(s.describe())
    if s.kind != "noise":
        return [widget]
    level = QDoubleSpinBox(objectName="noiseLevelSpin", singleStep=0.05)
    widget.currentIndexChanged.connect(lambda: _noise_range(s, widget, level))
    _noise_range(s, widget, level)
    return [widget, level]


def _noise_range(s: Setting, kind: QComboBox, level: QDoubleSpinBox) -> None:
    low, high, meaning = LEVELS[kind.currentData()]
    level.setRange(low, high)
    level.setToolTip(f"{s.describe()} Level: {meaning}.")


def changed(widget: QWidget):
    """The signal an editor emits when its value changes."""
    if isinstance(widget, QComboBox):
        return widget.currentIndexChanged
    return widget.textChanged if isinstance(widget, QLineEdit) else widget.valueChanged


def read(s: Setting, widgets: list[QWidget]):
    """The value the editor shows, as the config field takes it."""
    widget = widgets[0]
    if s.kind == "noise":
        return f"{widget.currentData()}:{widgets[1].value():g}"
    if s.kind in ("choice", "dataset"):
        return widget.currentData()
    if s.kind == "ints":
        return [int(n) for n in widget.text().replace(" ", "").split(",") if n]
    if s.kind == "float" and not s.log:
        return round(widget.value(), s.decimals)
    return widget.value()


def write(s: Setting, widgets: list[QWidget], value) -> None:
    """Show value (a choice the editor lacks, like a device this machine has not, is left)."""
    widget = widgets[0]
    if s.kind == "noise":
        kind, level = parse_noise(value)
        set_data(widget, kind)
        widgets[1].setValue(level)
    elif s.kind in ("choice", "dataset"):
        set_data(widget, value)
    elif s.kind == "ints":
        widget.setText(",".join(str(n) for n in value))
    else:
        widget.setValue(value)
