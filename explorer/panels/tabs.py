"""The explorer's tabs: one per entry of PANELS, each panel built when first shown or asked for
(building all of them took half the window's start-up). Each panel sits in a scroll area, so
a tall or wide panel scrolls on a small screen instead of widening the window past it or
squeezing the docks beside it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QTabWidget, QWidget

from explorer.panels import PANELS


class PanelTabs(QTabWidget):
    """A tab per panel of PANELS around `session`; `panel(name)` builds one if need be."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="panelTabs", documentMode=True)
        self.session = session
        self._panels: dict[str, QWidget] = {}
        for _name, title, _cls in PANELS:
            self.addTab(QWidget(), title)  # a placeholder until the panel is built
        self.currentChanged.connect(lambda index: index >= 0 and self._build(index))
        if PANELS:
            self._build(0)
        else:
            empty = QLabel("No explorer panels are installed.", alignment=Qt.AlignCenter)
            self.addTab(empty, "Explorer")

    def names(self) -> list[str]:
        return [name for name, _, _ in PANELS]

    def built(self) -> list[str]:
        """The names of the panels built so far, in tab order."""
        return [name for name in self.names() if name in self._panels]

    def panel(self, name: str) -> QWidget:
        """The panel called `name`, built now if it was not yet; KeyError for an unknown name."""
        names = self.names()
        if name not in names:
            raise KeyError(f"no panel {name!r}: the panels are {', '.join(names)}.")
        if name not in self._panels:
            self._build(names.index(name))
        return self._panels[name]

    def current_name(self) -> str:
        index, names = self.currentIndex(), self.names()
        return names[index] if 0 <= index < len(names) else ""

    def show_panel(self, name: str) -> None:
        self.panel(name)
        self.setCurrentIndex(self.names().index(name))

    def setCurrentWidget(self, widget: QWidget) -> None:  # noqa: N802 (Qt's name)
        """A panel or its tab page."""
        for name, panel in self._panels.items():
            if panel is widget:
                return self.show_panel(name)
        return super().setCurrentWidget(widget)

    def _build(self, index: int) -> None:
        """Build the panel of tab `index` in place of its placeholder."""
        name, title, cls = PANELS[index]
        if name in self._panels:
            return
        panel = self._panels[name] = cls(self.session)
        page = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        page.setObjectName(f"{name}Page")
        page.setWidget(panel)
        current = self.currentIndex()
        self.blockSignals(True)
        placeholder = self.widget(index)
        self.removeTab(index)
        self.insertTab(index, page, title)
        self.setCurrentIndex(current)
        self.blockSignals(False)
        placeholder.deleteLater()
