"""The first-run hint: what to do first, floating over the top left of the latent map (nothing
moves; other tabs do not show it), until the person closes it or trains a model; it is not
shown again after that."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

HINT = (
    "<b>Start here:</b> pick a dataset and a model on the left, press <b>Train</b> "
    "(Ctrl+T), then drag the point on the latent map to see what the decoder makes of it."
)


class FirstRunHint(QFrame):
    """A dismissible note over the top left of `parent`; `dismissed` when closed."""

    dismissed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, objectName="firstRunHint")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#firstRunHint { background: #e8f1ff; border: 1px solid #8fb3ea; border-radius: 4px; }"
        )
        self.label = QLabel(HINT, objectName="firstRunLabel", wordWrap=True)
        self.close_button = QToolButton(objectName="firstRunClose", text="\u2715", autoRaise=True)
        self.close_button.setToolTip("Close this hint (it is not shown again).")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 4, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button.clicked.connect(self.dismiss)
        parent.installEventFilter(self)
        self.wanted = False  # offered and not yet dismissed
        self.hide()

    def offer(self, here: bool = True) -> None:
        self.wanted = True
        self.show_here(here)

    def show_here(self, here: bool) -> None:
        """Show it where it belongs (`here`: the latent map's tab is the current one)."""
        self.setVisible(self.wanted and here)
        if not self.isHidden():
            self.place()
            self.raise_()

    def dismiss(self) -> None:
        if self.wanted:
            self.wanted = False
            self.hide()
            self.dismissed.emit()

    def place(self) -> None:
        """Top left of the parent, below its tab bar, a little in from the edges."""
        parent = self.parentWidget()
        width = min(380, parent.width() - 24)
        height = max(self.heightForWidth(width), self.sizeHint().height())
        self.setGeometry(12, 40, width, height)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show) and not self.isHidden():
            self.place()
        return False
