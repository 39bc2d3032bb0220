"""The run list (objectName `runList`): every run trained here or opened, a row each.

Selecting two or more rows overlays their loss curves (`overlayChanged`); Show (or a
double-click) asks the window to make a run the one the panels show (`showRequested`);
Delete removes the selected rows at once, and Undo (Ctrl+Z) brings them back. A finished
run is saved into the per-user folder off the GUI thread (`add_finished`).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from explorer.jobs import Job
from explorer.session import Session, model_from
from explorer.training.run_store import RunRecord, RunStore
from explorer.widgets.layouts import button, row
from trainer.checkpoint import CheckpointError

COLUMNS = ("Run", "Dataset", "Model", "Train loss", "Val loss", "Steps", "When")


def _number(figures: dict, key: str, fmt: str = ".4g") -> str:
    value = figures.get(key)
    return "" if value is None else format(value, fmt)


class RunList(QWidget):
    """The runs of a `RunStore`, oldest first, the one the panels show in bold."""

    overlayChanged = Signal(object)  # [(name, history)] of the selected runs
    showRequested = Signal(str)  # a run's name: make it the one the panels show
    message = Signal(str)  # a status-bar line
    failed = Signal(str)  # one sentence: a run could not be saved
    changed = Signal()  # runs were added, removed or brought back

    def __init__(self, store: RunStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store if store is not None else RunStore()
        self.current: str | None = None
        self._held: tuple[Session, int] | None = None  # (session, version) kept as `current`
        self._saving: set[Job] = set()
        self.tree = QTreeWidget(objectName="runList", rootIsDecorated=False, uniformRowHeights=True)
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setToolTip(
            "Every run trained here (kept between starts) or opened. Select two or more to "
            "overlay their loss curves; double-click one (or Show) to explore it in the panels."
        )
        self.show_button = button(
            "Show", self._show_selected,
            "Make the selected run the one the panels show (double-click does the same).",
        )  # fmt: skip
        self.delete_button = button(
            "Delete", self.delete_selected,
            "Remove the selected runs from the list (Undo brings them back until you quit).",
        )  # fmt: skip
        self.undo_button = button("Undo", self.undo, "Bring back the run deleted last (Ctrl+Z).")
        self.undo_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row(self.show_button, self.delete_button, self.undo_button, None))
        for keys, slot in ((QKeySequence.StandardKey.Undo, self.undo),
                           (QKeySequence.StandardKey.Delete, self.delete_selected)):  # fmt: skip
            action = QAction(self, shortcut=keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemDoubleClicked.connect(lambda item, _c: self.showRequested.emit(item.text(0)))
        self.refresh()
        if self.store.problem:
            self.message.emit(self.store.problem)

    def names(self) -> list[str]:
        """The runs the list shows, oldest first."""
        return [item.text(0) for item in self._items()]

    def selected(self) -> list[str]:
        return [item.text(0) for item in self.tree.selectedItems()]

    def select(self, names: list[str]) -> None:
        """Select these runs (as the mouse would), overlaying their curves."""
        self.tree.clearSelection()
        for item in self._items():
            item.setSelected(item.text(0) in names)

    # -- adding ------------------------------------------------------------------------------
    def add_finished(self, result, session) -> None:
        """Keep the run that just ended (the session's model) in the per-user folder."""
        if result.history is None or session.model is None:
            return  # the session shows another model: nothing of this run to keep
        name, path = self.store.reserve()
        config, (version, state) = session.config, session.snapshot()
        dataset = session.dataset.name if session.dataset is not None else "digits"
        store, job = self.store, Job(self)

        def save(_report):
            model = model_from(config, state)
            return store.save_trained(
                name, path, model, dataset=dataset, history=result.history,
                train_config=result.train_config, seconds=result.seconds,
            )  # fmt: skip

        def saved(record: RunRecord) -> None:
            self._saving.discard(job)
            self.current = record.name
            self._held = (session, version)
            self.refresh()
            self.message.emit(f"Kept {record.name} in the run list.")

        def failed(error: Exception) -> None:
            self._saving.discard(job)
            text = str(error) if isinstance(error, CheckpointError) else repr(error)
            self.failed.emit(f"The run could not be kept in the run list: {text}")

        self._saving.add(job)
        job.run(save, saved, failed)

    def saving(self) -> bool:
        """Whether a finished run is still being written."""
        return bool(self._saving)

    def add_opened(self, path, ckpt) -> None:
        self.current = self.store.add_opened(path, ckpt).name
        self.refresh()

    def holds(self, session) -> bool:
        """Whether `session` shows, unchanged, the finished run this list just kept."""
        return self._held is not None and self._held == (session, session.version)

    def set_current(self, name: str | None) -> None:
        self.current = name
        self.refresh()

    # -- removing ----------------------------------------------------------------------------
    def delete_selected(self) -> None:
        names = self.selected()
        for name in names:
            self.store.remove(name)
        if names:
            self.undo_button.setEnabled(True)
            self.refresh()
            self.message.emit(f"Deleted {', '.join(names)} (Undo brings it back).")

    def undo(self) -> None:
        record = self.store.undo()
        self.undo_button.setEnabled(bool(self.store.removed))
        if record is not None:
            self.refresh()
            self.message.emit(f"Brought back {record.name}.")

    # -- the view ----------------------------------------------------------------------------
    def _items(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]

    def refresh(self) -> None:
        chosen = set(self.selected())
        self.tree.blockSignals(True)
        self.tree.clear()
        for r in self.store.records:
            when = time.strftime("%d %b %H:%M", time.localtime(r.when)) if r.when else ""
            f = r.figures
            item = QTreeWidgetItem([
                r.name, r.dataset, r.model, _number(f, "train_loss"), _number(f, "val_loss"),
                _number(f, "steps", "d"), when,
            ])  # fmt: skip
            where = "kept in the per-user folder" if r.kept else "opened from a file"
            item.setToolTip(0, f"{r.path} ({where})")
            if r.name == self.current:
                font = QFont(item.font(0))
                font.setBold(True)
                for column in range(len(COLUMNS)):
                    item.setFont(column, font)
            self.tree.addTopLevelItem(item)
            item.setSelected(r.name in chosen)
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        self.tree.blockSignals(False)
        self._selection_changed()
        self.changed.emit()

    def _selection_changed(self) -> None:
        names = self.selected()
        self.show_button.setEnabled(len(names) == 1)
        self.delete_button.setEnabled(bool(names))
        self.overlayChanged.emit([(n, self.store.history(n)) for n in names])

    def _show_selected(self) -> None:
        names = self.selected()
        if len(names) == 1:
            self.showRequested.emit(names[0])
