"""The Compression panel's widgets and layout: the plot, the images at the chosen rate, the
table and the export buttons. Builders keep the widgets on the panel under plain names."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from explorer.widgets.image_view import PixelView
from explorer.widgets.layouts import button, row
from explorer.widgets.plotting import Plot

LOW_BITS, HIGH_BITS = 2, 16
STYLE = {  # series name -> (colour, dashed, symbol)
    "model": ("#d62728", False, "o"),
    "PCA": ("#1f77b4", False, "s"),
    "JPEG": ("#ff7f0e", False, "t"),
    "JPEG without tables": ("#ff7f0e", True, None),
    "PNG": ("#2ca02c", False, "star"),
}
IMAGES = ("Original", "Model", "PCA", "JPEG")
COLUMNS = [  # (row key, header, format)
    ("bits_per_dim", "bits", "{:d}"),
    ("bytes_per_image", "bytes", "{:d}"),
    ("psnr_db", "model dB", "{:.2f}"),
    ("pca_psnr_db", "PCA dB", "{:.2f}"),
    ("jpeg_quality", "JPEG q", "{:d}"),
    ("jpeg_bytes", "JPEG B", "{:.1f}"),
    ("jpeg_bare_bytes", "bare B", "{:.1f}"),
    ("jpeg_psnr_db", "JPEG dB", "{:.2f}"),
    ("jpeg_bytes_same_psnr", "JPEG B at model dB", "{:.1f}"),
]
TIPS = {
    "bits_per_dim": "Bits per code dimension",
    "bytes_per_image": "The model's (and PCA's) bytes per image: packed code plus a 1-byte header",
    "jpeg_quality": "The largest JPEG quality whose mean file fits the model's bytes",
    "jpeg_bytes": "Mean JPEG file size at that quality (in italics: no quality fits, this is "
    "JPEG's smallest file)",
    "jpeg_bare_bytes": "The same JPEG files without their tables (shared by images of one size)",
    "jpeg_bytes_same_psnr": "The fewest JPEG bytes that reach the model's PSNR",
}


TOP_DB = 60.0  # the plot's PSNR axis ends a little above this (8-bit pixels' own noise: 59 dB)


def plot(panel) -> pg.PlotWidget:
    widget = panel.plot = Plot(objectName="compressionPlot")
    widget.setTitle("Rate against distortion on the test images")
    widget.setLabel("bottom", "bytes per image (log scale)")
    widget.setLabel("left", "PSNR (dB)")
    widget.setLogMode(x=True, y=False)
    widget.showGrid(x=True, y=True, alpha=0.25)
    widget.addLegend(offset=(10, 10))  # top left: above the codes, left of the JPEGs
    widget.setMinimumHeight(200)
    return widget


def draw(widget: pg.PlotWidget, series: dict, chosen) -> None:
    """The series {name: (x, y)} in their styles; `chosen` ((x, y) pairs) ringed."""
    widget.clear()
    for name, (x, y) in series.items():
        colour, dashed, symbol = STYLE[name]
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        pen = None if name == "PNG" else pg.mkPen(colour, width=2, style=style)
        widget.plot(
            x, y, pen=pen, symbol=symbol, symbolSize=14 if name == "PNG" else 7,
            symbolBrush=colour, symbolPen=colour, name=name,
        )  # fmt: skip
    ys = [v for _, y in series.values() for v in y if math.isfinite(v)]
    widget.setYRange(min(ys) - 2, min(max(ys), TOP_DB + 3) + 3, padding=0)
    xs = [v for x, _ in series.values() for v in x]
    ticks = [m * 10**k for k in range(0, 9) for m in (1, 2, 5)]
    ticks = [t for t in ticks if min(xs) / 2 <= t <= max(xs) * 2]
    widget.getAxis("bottom").setTicks([[(math.log10(t), f"{t:g}") for t in ticks], []])
    if chosen:
        xs, ys = zip(*chosen)
        widget.plot(
            list(xs),
            list(ys),
            pen=None,
            symbol="o",
            symbolSize=18,
            symbolBrush=None,
            symbolPen=pg.mkPen("#111", width=2),
        )  # fmt: skip  (no name: not in the legend nor in series())


def images(panel) -> QGroupBox:
    box = QGroupBox("One test image at the chosen rate")
    panel.bits_slider = QSlider(Qt.Orientation.Horizontal, objectName="bitsSlider")
    panel.bits_slider.setRange(LOW_BITS, HIGH_BITS)
    panel.bits_slider.setValue(8)
    panel.bits_slider.setToolTip(
        "Bits per code dimension (uniform quantisation): more bits, more bytes per image and "
        "a decoded image closer to the unquantised one"
    )
    panel.bits_label = QLabel(minimumWidth=150)
    panel.index_spin = QSpinBox(objectName="compressionIndex", prefix="test image ")
    panel.index_spin.setToolTip("The test image shown through the model, PCA and JPEG")
    panel.views = [PixelView(side=120) for _ in IMAGES]
    panel.captions = [QLabel(text) for text in IMAGES]
    grid = QGridLayout()
    for col, (view, caption) in enumerate(zip(panel.views, panel.captions)):
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        r, c = divmod(col, 2)
        grid.addWidget(view, 2 * r, c)
        grid.addWidget(caption, 2 * r + 1, c)
        grid.setColumnStretch(c, 1)
        grid.setRowStretch(2 * r, 1)
    panel.image_note = QLabel(wordWrap=True)
    column = QVBoxLayout(box)
    column.addLayout(
        row(QLabel("Bits per dimension"), panel.bits_slider, panel.bits_label, stretch=1)
    )
    column.addLayout(row(panel.index_spin, None))
    column.addLayout(grid, 1)
    column.addWidget(panel.image_note)
    return box


def table(panel) -> QTableWidget:
    widget = panel.table_widget = QTableWidget(0, len(COLUMNS), objectName="compressionTable")
    widget.setHorizontalHeaderLabels([header for _, header, _ in COLUMNS])
    for c, (key, _header, _fmt) in enumerate(COLUMNS):
        widget.horizontalHeaderItem(c).setToolTip(TIPS.get(key, ""))
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    widget.verticalHeader().setVisible(False)
    widget.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    widget.horizontalHeader().setStretchLastSection(True)
    widget.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
    widget.setMinimumHeight(130)
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)  # rows scroll
    return widget


def fill(widget: QTableWidget, rows: list[dict], chosen: int) -> None:
    widget.setRowCount(len(rows))
    for r, entry in enumerate(rows):
        for c, (key, _header, fmt) in enumerate(COLUMNS):
            value = entry[key]
            text = "-" if value is None else fmt.format(value)
            item = QTableWidgetItem(text)
            if key == "jpeg_bytes" and not entry["jpeg_fits"]:
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
                item.setToolTip("No JPEG quality fits the model's bytes: JPEG's smallest file")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            widget.setItem(r, c, item)
        if entry["bits_per_dim"] == chosen:
            widget.selectRow(r)
            widget.scrollToItem(widget.item(r, 0))


def layout(panel) -> None:
    panel.summary = QLabel("Train or open a model to compress with it.", wordWrap=True)
    panel.summary.setTextFormat(Qt.TextFormat.RichText)
    exports = row(
        None,
        button("Export table as CSV…", panel.csv_dialog, "The table's numbers, one row per bits"),
        button("Export plot as PNG…", panel.png_dialog, "The rate-distortion plot as an image"),
    )
    left = QVBoxLayout()
    left.addWidget(plot(panel), 3)
    left.addWidget(table(panel), 2)
    upper = QHBoxLayout()
    upper.addLayout(left, 3)
    upper.addWidget(images(panel), 2)
    column = QVBoxLayout(panel)
    column.addWidget(panel.summary)
    column.addWidget(panel.job)
    column.addLayout(upper, 1)
    panel.note = QLabel(wordWrap=True, objectName="compressionNote")
    column.addLayout(row(panel.note, exports, stretch=0))
