"""The denoise panel's Noise box: a corruption kind and strength, and the seeded noise itself.

The noise is `models.corruption.corrupt`, the function training uses, with a seed of the
box's own: the same settings and seed give the same noise; "New noise" draws it afresh.
"""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
)

from models.corruption import KINDS, LEVELS, corrupt

LEVEL_TEXT = {
    "gaussian": "σ {:.2f}",
    "salt_pepper": "{:.0%} of pixels",
    "mask": "{:.0%} masked",
    "watermark": "opacity {:.0%}",
}


class NoiseBox(QGroupBox):
    """Kind (`noiseKindCombo`), strength (`noiseSlider`, 0 to 100) and New noise."""

    changed = Signal()  # the kind, strength or seed changed (not by set_noise(quiet=True))

    def __init__(self, parent=None) -> None:
        super().__init__("Noise", parent)
        self.seed = 0
        self.kind_combo = QComboBox(objectName="noiseKindCombo")
        self.kind_combo.addItems(KINDS)
        self.noise_slider = QSlider(Qt.Orientation.Horizontal, objectName="noiseSlider")
        self.noise_slider.setRange(0, 100)
        self.noise_slider.setValue(50)
        self.kind_combo.setToolTip("The kind of noise added to the image before it is repaired")
        self.noise_slider.setToolTip("How strong the noise is; stronger is harder to repair")
        self.level_label = QLabel(minimumWidth=90)
        new = QPushButton("New noise", toolTip="Draw the same kind of noise afresh")
        strength = QHBoxLayout()
        strength.addWidget(self.noise_slider, 1)
        strength.addWidget(self.level_label)
        form = QFormLayout(self)
        form.addRow("Kind", self.kind_combo)
        form.addRow("Strength", strength)
        form.addRow(new)
        self.kind_combo.currentTextChanged.connect(self._changed)
        self.noise_slider.valueChanged.connect(self._changed)
        new.clicked.connect(self.new_noise)
        self._show_level()

    def noise(self) -> tuple[str, float]:
        """(kind, level) the kind combo and noiseSlider set."""
        kind = self.kind_combo.currentText()
        return kind, self.noise_slider.value() / 100 * min(LEVELS[kind][1], 1.0)

    def set_noise(self, kind: str, level: float, quiet: bool = False) -> None:
        for widget in (self.kind_combo, self.noise_slider):
            widget.blockSignals(True)
        self.kind_combo.setCurrentText(kind)
        self.noise_slider.setValue(round(100 * level / min(LEVELS[kind][1], 1.0)))
        for widget in (self.kind_combo, self.noise_slider):
            widget.blockSignals(False)
        self._show_level()
        if not quiet:
            self.changed.emit()

    def new_noise(self) -> None:
        self.seed += 1
        self.changed.emit()

    def apply(self, clean: np.ndarray) -> np.ndarray:
        """`clean` ([H, W, C] in [0, 1]) corrupted by the chosen noise with the box's seed."""
        kind, level = self.noise()
        if level <= 0:
            return clean
        x = torch.from_numpy(np.ascontiguousarray(clean.transpose(2, 0, 1)))[None]
        g = torch.Generator().manual_seed(self.seed)
        return corrupt(x, f"{kind}:{level}", generator=g)[0].permute(1, 2, 0).numpy()

    def _changed(self, *_) -> None:
        self._show_level()
        self.changed.emit()

    def _show_level(self) -> None:
        kind, level = self.noise()
        self.level_label.setText(LEVEL_TEXT[kind].format(level))
        self.level_label.setToolTip(LEVELS[kind][2])
