"""Latent traversals: what each code dimension controls, and for shapes how each tracks a factor.

One row per code dimension: that dimension goes from -3 to +3 standard deviations of the
test codes, the others held at their mean (trainer.analysis.traversal.traversal_grid). For
a dataset whose generative factors are known (shapes, shapes-colour) a table says how
strongly each dimension tracks each factor (|correlation| or mutual information): the
simple disentanglement view of the beta-VAE papers. Computed in the background.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.panels.base import AnalysisPanel
from explorer.widgets.images import tile
from explorer.widgets.layouts import row
from explorer.widgets.plotting import image_label
from trainer.analysis.reporting import part
from trainer.analysis.traversal import SPAN, STEPS, factor_table, traversal_grid

CELL_PX = 36  # the shorter side of each decoded image


def compute(model, dataset, report) -> dict:
    """The traversal grid and, where the dataset has factors, the factor table."""
    has_factors = bool(dataset.factors)
    grid = traversal_grid(model, dataset, report=part(report, 0, 0.6 if has_factors else 1))
    table = factor_table(model, dataset, report=part(report, 0.6, 1)) if has_factors else None
    return {"grid": grid, "table": table, "code_size": model.code_size}


class TraversalPanel(AnalysisPanel):
    """The traversal grid (a row per code dimension) and the factor table (a row per factor)."""

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("traversalPanel")
        self.note = QLabel(wordWrap=True)
        self.rows_widget = QWidget()
        self.rows_layout = QGridLayout(self.rows_widget)
        self.rows_layout.setHorizontalSpacing(8)
        self.rows_layout.setVerticalSpacing(2)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.rows_widget)
        self.measure = QComboBox()
        self.measure.addItem("|correlation|", "correlation")
        self.measure.addItem("mutual information (nats)", "mutual_info")
        self.measure.setToolTip(
            "|Pearson r| between each factor and each code dimension (for shape, the "
            "correlation ratio), or scikit-learn's mutual information estimate. A disentangled "
            "code has one strong cell per row."
        )
        self.measure.currentIndexChanged.connect(lambda _i: self._show_table())
        self.table = QTableWidget(objectName="factorTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table_box = QWidget()
        box = QVBoxLayout(self.table_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(row(QLabel("<b>How each code dimension tracks each factor</b>"), None,
                          self.measure))  # fmt: skip
        box.addWidget(self.table)
        self.table_box.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.job)
        layout.addWidget(scroll, 3)
        layout.addWidget(self.table_box)
        self.follow_session()

    # -- the test contract -------------------------------------------------------------------
    def rows(self) -> int:
        """Rows of the traversal grid shown (one per code dimension)."""
        out = self.result()
        return 0 if out is None else len(out["grid"])

    def factor_rows(self) -> int:
        return self.table.rowCount() if self.table_box.isVisible() else 0

    # -- computing --------------------------------------------------------------------------
    def start(self, model, dataset) -> None:
        self.run_job(
            "Decoding the traversals...",
            lambda report: compute(model, dataset, report),
            self._show,
            lambda error: self.note.setText(f"The traversals could not be computed: {error}"),
        )

    def reset(self) -> None:
        self._clear_rows()
        self.table_box.setVisible(False)

    def _clear_rows(self) -> None:
        while self.rows_layout.count():
            widget = self.rows_layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()

    def _show(self, out: dict) -> None:
        grid, size = out["grid"], out["code_size"]
        small = " A code of 2 or fewer is best seen on the latent map." if size <= 2 else ""
        self.note.setText(
            f"Each row moves one of the {size} code dimensions from \u2212{SPAN:g} to "
            f"+{SPAN:g} standard deviations of the test codes ({STEPS} steps), the others held "
            f"at their mean.{small}"
        )
        self._clear_rows()
        header = QWidget()
        ends = QHBoxLayout(header)
        ends.setContentsMargins(0, 0, 0, 0)
        for text in (f"\u2212{SPAN:g} std", "mean", f"+{SPAN:g} std"):
            ends.addWidget(QLabel(text, alignment=Qt.AlignmentFlag.AlignCenter))
        self.rows_layout.addWidget(header, 0, 1)
        for d, images in enumerate(grid):
            strip = tile(images, cols=len(images))
            self.rows_layout.addWidget(QLabel(f"z{d}"), d + 1, 0)
            tip = f"Code dimension {d} from \u2212{SPAN:g} to +{SPAN:g} std, the rest at the mean"
            label = image_label(strip, CELL_PX, tip)
            self.rows_layout.addWidget(label, d + 1, 1)
            header.setFixedWidth(label.pixmap().width())
        self.rows_layout.setRowStretch(len(grid) + 1, 1)
        self.rows_layout.setColumnStretch(2, 1)
        self.table_box.setVisible(out["table"] is not None)
        self._show_table()

    def _show_table(self) -> None:
        out = self.result()
        if out is None or out["table"] is None:
            return
        table = out["table"]
        values = np.asarray(table[self.measure.currentData()])
        self.table.setRowCount(len(table["factors"]))
        self.table.setColumnCount(values.shape[1])
        self.table.setVerticalHeaderLabels(table["factors"])
        self.table.setHorizontalHeaderLabels([f"z{d}" for d in range(values.shape[1])])
        top = max(float(values.max()), 1e-12)
        for i in range(values.shape[0]):
            for d in range(values.shape[1]):
                cell = QTableWidgetItem(f"{values[i, d]:.2f}")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                strength = int(200 * values[i, d] / top)
                cell.setBackground(QColor(255 - strength // 2, 255 - strength // 3, 255))
                self.table.setItem(i, d, cell)
        self.table.resizeRowsToContents()
        rows = sum(self.table.rowHeight(i) for i in range(self.table.rowCount()))
        self.table.setFixedHeight(rows + self.table.horizontalHeader().height() + 4)
