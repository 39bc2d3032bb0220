"""The compare view's widgets: two run choices, two linked maps with a point each, and under
each map the decoded point and the run's regularity figures."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
)

from explorer.widgets.image_view import ImageView
from explorer.widgets.layouts import row
from explorer.widgets.plotting import ClassScatter, Plot

ROUGH_TIP = (
    "Latent roughness: how much the decoding changes per standard deviation moved along short "
    "random paths through the test codes' region (RMS pixel change). Lower is smoother."
)
HOLES_TIP = (
    "Latent holes: the share of random codes from the test codes' region whose decodings are "
    "farther from every training image than real test images are. Lower has fewer holes."
)


def build(panel) -> None:
    panel.combo_a = QComboBox(objectName="compareRunA", minimumContentsLength=16)
    panel.combo_b = QComboBox(objectName="compareRunB", minimumContentsLength=16)
    for combo, side in ((panel.combo_a, "left"), (panel.combo_b, "right")):
        combo.setToolTip(f"The run shown on the {side}: the model the panels show, or a run of "
                         "the run list (train or open two runs on the same dataset).")  # fmt: skip
        combo.currentIndexChanged.connect(lambda _i: panel.refresh_now())
    panel.grid_check = QCheckBox("Decoded grid", checked=True)
    panel.grid_check.setToolTip("Decode a grid of points over the visible region of both maps.")
    panel.grid_size = QSpinBox(minimum=3, maximum=20, value=10, prefix="n = ")
    panel.grid_size.setToolTip("Cells along each side of the decoded grids")
    panel.grid_check.toggled.connect(lambda _on: panel.draw_grids())
    panel.grid_size.valueChanged.connect(lambda _n: panel.draw_grids())
    panel.info = QLabel(
        "Both maps are in standard units of each run's own test codes, over the same region: "
        "drag the point in either and both decode it. An irregular latent space (a plain "
        "autoencoder's) decodes much of the region to nothing like the data.",
        wordWrap=True,
    )
    panel.coords = QLabel()
    panel.plots, panel.dots, panel.targets, panel.grid_items = [], [], [], []
    panel.titles, panel.point_views, panel.figure_labels = [], [], []
    grid = QGridLayout()
    for k in range(2):
        plot = Plot()
        plot.setMinimumSize(260, 190)
        plot.setLabel("bottom", "map x (std)")
        plot.setLabel("left", "map y (std)")
        item = pg.ImageItem(axisOrder="row-major")
        item.setZValue(-20)
        item.setOpacity(0.8)
        plot.addItem(item, ignoreBounds=True)
        target = pg.TargetItem(
            size=16, symbol="o", pen=pg.mkPen("#d62728", width=3), brush=(255, 255, 255, 90),
            hoverPen=pg.mkPen("#ff9900", width=3),
        )  # fmt: skip
        target.setZValue(30)
        plot.addItem(target, ignoreBounds=True)
        target.sigPositionChanged.connect(panel.dragged)
        plot.getViewBox().sigRangeChanged.connect(lambda *_: panel.range_changed())
        if k == 1:
            plot.setXLink(panel.plots[0])
            plot.setYLink(panel.plots[0])
        title = QLabel()
        point_view = ImageView(min_side=96)
        point_view.setFixedSize(96, 96)
        figures = QLabel("roughness and holes: measuring after the maps are drawn", wordWrap=True)
        figures.setToolTip(ROUGH_TIP + "\n" + HOLES_TIP)
        panel.plots.append(plot)
        panel.dots.append(ClassScatter(plot))
        panel.targets.append(target)
        panel.grid_items.append(item)
        panel.titles.append(title)
        panel.point_views.append(point_view)
        panel.figure_labels.append(figures)
        grid.addWidget(title, 0, k)
        grid.addWidget(plot, 1, k)
        grid.addLayout(row(point_view, figures, stretch=1), 2, k)
    grid.setRowStretch(1, 1)
    layout = QVBoxLayout(panel)
    layout.addLayout(
        row(QLabel("Run A"), panel.combo_a, QLabel("Run B"), panel.combo_b, None,
            panel.grid_check, panel.grid_size)
    )  # fmt: skip
    layout.addWidget(panel.info)
    layout.addWidget(panel.job)
    layout.addLayout(grid, 1)
    layout.addWidget(panel.coords)


def draw(panel, sides: list[dict]) -> None:
    """Dots of both maps, both views over the union of their extents."""
    for side, dots, title, figures in zip(sides, panel.dots, panel.titles, panel.figure_labels):
        dataset = side["dataset"]
        dots.draw(side["xy"], side["ids"], dataset.classes, opacity=0.9)
        title.setText(f"<b>{side['name']}</b> \u00b7 {describe(side['model'].config)}")
        figures.setText("roughness and holes: measuring...")
    xy = np.concatenate([s["xy"] for s in sides])
    lo, hi = np.percentile(xy, 1, axis=0), np.percentile(xy, 99, axis=0)
    pad = 0.1 * (hi - lo) + 1e-3
    panel.plots[0].getViewBox().setRange(
        xRange=(lo[0] - pad[0], hi[0] + pad[0]), yRange=(lo[1] - pad[1], hi[1] + pad[1])
    )


def clear(panel) -> None:
    for dots, item, view in zip(panel.dots, panel.grid_items, panel.point_views):
        dots.draw(None, None)
        item.setVisible(False)
        view.clear()


def show_figures(panel, figures: list[dict]) -> None:
    for label, f in zip(panel.figure_labels, figures):
        label.setText(
            f"roughness <b>{f['latent_roughness']:.3f}</b> per std &nbsp; "
            f"holes <b>{100 * f['latent_holes']:.1f}%</b>"
        )


def describe(config) -> str:
    return f"{config.backbone} {config.objective}, code {config.code_size}"
