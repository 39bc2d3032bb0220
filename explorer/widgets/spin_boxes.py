"""Small reusable widgets: a spin box for numbers that span decades (learning rate, lambdas)."""

from __future__ import annotations

import math

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox

_MANTISSAS = (1.0, 2.0, 5.0)


def grid_step(value: float, steps: int, smallest: float) -> float:
    """Move `steps` places along the 1-2-5 grid (…, 1e-3, 2e-3, 5e-3, 1e-2, …)."""
    if value <= 0:
        if steps <= 0:
            return 0.0
        value, steps = smallest, steps - 1
    exponent = math.floor(math.log10(value))
    below = [i for i, m in enumerate(_MANTISSAS) if m * 10**exponent <= value * (1 + 1e-9)]
    index = 3 * exponent + (below[-1] if below else 0)
    on_grid = math.isclose(_MANTISSAS[index % 3] * 10 ** (index // 3), value, rel_tol=1e-6)
    index += steps if (on_grid or steps > 0) else steps + 1
    return _MANTISSAS[index % 3] * 10 ** (index // 3)


class ScientificSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox that shows 1e-3 style numbers and steps along 1, 2, 5 per decade."""

    def __init__(self, minimum: float, maximum: float, value: float, parent=None) -> None:
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(minimum, maximum)
        self._smallest = minimum if minimum > 0 else 1e-6
        self.setValue(value)

    def textFromValue(self, value: float) -> str:
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            value = float(text)
        except ValueError:
            partial = text.strip().lower().rstrip("e+-.") or "0"
            ok = all(c in "0123456789.e+-" for c in text.lower())
            state = QValidator.State.Intermediate if ok and partial else QValidator.State.Invalid
            return state, text, pos
        inside = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:
        new = grid_step(self.value(), steps, self._smallest)
        self.setValue(min(max(new, self.minimum()), self.maximum()))
