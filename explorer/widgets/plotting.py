"""Small drawing helpers for the analysis panels: class colours, scatter maps, image labels."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel

from explorer.widgets.images import enlarge, to_qimage

# matplotlib's tab10 (the latent map's colours too), then evenly spaced hues
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip


def colour(i: int, n: int):
    return pg.mkColor(PALETTE[i]) if n <= len(PALETTE) else pg.intColor(i, hues=n)


def scatter_map(plot: pg.PlotWidget, points: np.ndarray, ids: np.ndarray, names=None) -> None:
    """Redraw a 2-D map of points, one colour per id; names (per id value) fill the legend."""
    for item in getattr(plot, "_map_items", []):
        plot.removeItem(item)
    if plot.plotItem.legend is not None:
        plot.plotItem.legend.clear()
    ids = np.asarray(ids)
    values = np.unique(ids)
    plot._map_items = []
    for k, value in enumerate(values):
        keep = ids == value
        name = None if names is None else str(names[value])
        item = pg.ScatterPlotItem(
            x=points[keep, 0], y=points[keep, 1], size=5, pen=None,
            brush=colour(k, len(values)), name=name,
        )  # fmt: skip
        plot.addItem(item)
        plot._map_items.append(item)
    plot.autoRange()


def colour_key(names) -> str:
    """Rich text: a coloured square and the name of each class, in the maps' colours."""
    n = len(names)
    parts = [
        f"<span style='color:{colour(k, n).name()}'>&#9632;</span>&nbsp;{name}"
        for k, name in enumerate(names)
    ]
    return "&nbsp;&nbsp; ".join(parts)


def pixmap(img: np.ndarray, min_side: int = 56) -> QPixmap:
    """A float image in [0, 1] as a pixmap, enlarged with sharp pixels."""
    return QPixmap.fromImage(to_qimage(enlarge(np.asarray(img), min_side)))


def image_label(img: np.ndarray, min_side: int = 56, tip: str = "") -> QLabel:
    """A QLabel showing one image (with an optional tooltip)."""
    label = QLabel()
    label.setPixmap(pixmap(img, min_side))
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setToolTip(tip)
    return label


def side_by_side(a: np.ndarray, b: np.ndarray, gap: int = 1, fill: float = 0.35) -> np.ndarray:
    """Two images of the same shape next to each other with a thin gap."""
    spacer = np.full((a.shape[0], gap, *a.shape[2:]), fill, dtype=np.float32)
    return np.concatenate([a, spacer, b], axis=1)
