"""The latent map: the test split's codes as a labelled scatter and a draggable point, decoded live.

The map's axes are an affine view of the code space: `xy = (z - origin) @ basis.T` and a map
point lifts back as `z = origin + xy @ basis`. For a 2-d code the basis is the identity; for
larger codes it is the top two PCA directions of the test codes, or two chosen code
dimensions, and `origin` holds the other directions at a chosen code (the mean by default, or
the last example clicked). Dragging decodes one code per move, with the newest weights, and
nothing else. New weights re-encode the test split, refit the axes and decode the grid in a
background job (`latent_work`), never during a drag; the dots take the new positions one
class per event-loop turn, and `mapRefreshed` says when they all have.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.jobs import Job
from explorer.panels.latent import work
from explorer.session import to_images
from explorer.widgets.image_view import ImageView

# matplotlib's tab10, then more hues for datasets with more classes
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip
HOVER_PX = 7  # a dot within this many pixels of the cursor counts as hovered or clicked
COALESCE_MS = 50  # refresh requests within this time are served by one refresh
PIECE_POINTS = 5_000  # dots moved per event-loop turn when a refresh places them
REFIT_S = 2.0  # while training, the view follows the dots at most this often
CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache  # moving the point only blits these


def colour(i: int, n: int):
    return pg.mkColor(PALETTE[i]) if n <= len(PALETTE) else pg.intColor(i, hues=n)


class _Point(pg.TargetItem):
    """The draggable point. It never sets the map's range, so a move needn't repaint the view."""

    def informViewBoundsChanged(self) -> None:
        pass


class LatentPanel(QWidget):
    """Scatter of the test codes coloured by label (or cluster) and a point you drag to decode."""

    mapRefreshed = Signal()  # the dots show the codes of newer weights (all classes placed)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("latentMap")
        self.session = session
        self._codes = self._xy = self._ids = self._clusters = self._z = self._image = None
        self._hold = self._center = self._basis = self._origin = self._components = None
        self._hold_name, self._hovered, self._quiet = "the mean code", -1, False
        self._stale: set[str] = set()
        self._scatters: list[tuple[pg.ScatterPlotItem, np.ndarray]] = []  # (item, its dots)
        self._codes_version = 0  # the session version the codes were encoded with
        self._fitted = 0.0  # when the view was last fitted to the dots
        self._follow = True  # refits follow the dots until the person pans or zooms
        self._pieces: list[tuple[pg.ScatterPlotItem, np.ndarray]] = []  # dots still to move
        self._job = Job(self)  # encoding, axes and grid, one at a time
        self._replica = work.Replica()
        self._job.finished.connect(lambda: self._pending() and self._timer.start(0))
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._flush)
        self._piece_timer = QTimer(self, singleShot=True, interval=0)
        self._piece_timer.timeout.connect(self._place_piece)
        self._build()
        session.modelChanged.connect(self.rebuild)
        session.weightsChanged.connect(self._weights_changed)
        session.codeRequested.connect(self.move_point)
        session.clustersChanged.connect(self._clusters_changed)
        if session.model is not None:
            self.rebuild()

    # ----- the test contract -----------------------------------------------------------
    def move_point(self, z) -> None:
        """Move the point to a full code (code_size floats) or to 2 map coordinates."""
        if self._basis is None:
            return
        self._ensure_codes()
        z = np.asarray(z, dtype=np.float32).ravel()
        size = self._basis.shape[1]
        if z.size == size:
            if size > 2:
                self._set_hold(z, "the placed code")
            self._show(z, self._to_map(z))
        elif z.size == 2:
            self._show(self._origin + z @ self._basis, z)
        else:
            raise ValueError(f"move_point takes {size} code values or 2 map coordinates.")

    def point(self) -> np.ndarray:
        return self._z.copy()

    def decoded(self) -> np.ndarray:
        return self._image.copy()

    def positions(self) -> np.ndarray:
        """[N_test, 2] map coordinates of the dots."""
        self._ensure_codes()
        return self._xy.copy()

    def pick(self, index: int) -> None:
        """Move the point to test example `index`'s code (as a click on its dot does)."""
        self._ensure_codes()
        z = self._codes[index].copy()
        self._set_hold(z, f"test #{index}")
        self._show(z, self._to_map(z))
        self.session.examplePicked.emit(int(index))

    # ----- building --------------------------------------------------------------------
    def _build(self) -> None:
        self.plot = pg.PlotWidget()
        self.plot.setMinimumSize(360, 320)
        # No grid: its lines span the map and made each re-ranged repaint cost 40 ms, not 10.
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setCacheMode(CACHED)
        self.vb = self.plot.getViewBox()
        self.legend = self.plot.addLegend(
            offset=(-6, 6), labelTextSize="8pt", labelTextColor="w", colCount=2
        )
        self.legend.setBrush(pg.mkBrush(0, 0, 0, 210))
        self.legend.setCacheMode(CACHED)
        self.grid_item = pg.ImageItem(axisOrder="row-major")
        self.grid_item.setZValue(-20)
        self.grid_item.setVisible(False)
        self.plot.addItem(self.grid_item, ignoreBounds=True)
        self.target = _Point(
            size=18, symbol="o", pen=pg.mkPen("w", width=2.5), brush=(255, 255, 255, 40),
            hoverPen=pg.mkPen("y", width=3), hoverBrush=(255, 255, 0, 60),
        )  # fmt: skip
        self.target.setZValue(30)
        self.plot.addItem(self.target, ignoreBounds=True)
        self.target.sigPositionChanged.connect(self._dragged)
        self.target.sigPositionChangeFinished.connect(lambda _: self._request())
        self.vb.sigRangeChanged.connect(lambda *_: self._request("grid"))
        self.vb.sigResized.connect(lambda *_: self._request("grid"))
        self.vb.sigRangeChangedManually.connect(lambda *_: setattr(self, "_follow", False))
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.plot.scene().sigMouseClicked.connect(self._clicked)

        self.info = QLabel("Loading the model…", wordWrap=True)
        self.view = ImageView(min_side=200)
        self.coords = QLabel(wordWrap=True)
        self.coords.setFixedHeight(30)
        self.coords.setStyleSheet("font-family: monospace; font-size: 10px;")
        self.hover_view = ImageView(min_side=84)
        self.hover_view.setFixedSize(84, 84)
        self.hover_label = QLabel("Hover a dot to see its image; click it to move the point.")
        self.hover_label.setWordWrap(True)
        self.axes = QComboBox()
        self.axes.addItems(["PCA of the codes", "Two code dimensions"])
        self.dim_x, self.dim_y = QSpinBox(prefix="x = z"), QSpinBox(prefix="y = z")
        self.hold_button = QPushButton("Hold the rest at the mean")
        self.grid_check = QCheckBox("Decoded grid")
        self.grid_size = QSpinBox(minimum=3, maximum=30, value=12, prefix="n = ")
        self.grid_size.setToolTip("Cells along the shorter side of the decoded grid")
        self.axes.currentIndexChanged.connect(self._reproject)
        self.dim_x.valueChanged.connect(self._reproject)
        self.dim_y.valueChanged.connect(self._reproject)
        self.hold_button.clicked.connect(self._hold_mean)
        self.grid_check.toggled.connect(self._grid_toggled)
        self.grid_size.valueChanged.connect(lambda _: self._request("grid"))

        form = QFormLayout()
        form.addRow("Map axes", self.axes)
        form.addRow("Dimensions", _row(self.dim_x, self.dim_y))
        form.addRow(self.hold_button)
        form.addRow(_row(self.grid_check, self.grid_size))
        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Decoded point</b>"))
        side.addWidget(self.view, 1)
        side.addWidget(self.coords)
        side.addLayout(_row(self.hover_view, self.hover_label))
        side.addLayout(form)
        right = QWidget()
        right.setFixedWidth(270)
        right.setLayout(side)
        left = QVBoxLayout()
        left.addWidget(self.info)
        left.addWidget(self.plot, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(right)

    def rebuild(self) -> None:
        """A new model or dataset: the point at the origin now, the map as the codes arrive."""
        if self.session.model is None:
            return
        size = self.session.model.code_size
        self._timer.stop()
        self._job.invalidate()
        self._stale, self._pieces, self._follow = {"codes"}, [], True
        self._codes = self._xy = self._clusters = self._components = None
        self._ids, self._hovered = self.session.dataset.test_y.numpy(), -1
        for spin, value in ((self.dim_x, 1), (self.dim_y, 2)):
            spin.blockSignals(True)
            spin.setRange(1, size)
            spin.setValue(value)
            spin.blockSignals(False)
        self.axes.setEnabled(size > 2)
        self.hold_button.setEnabled(size > 2)
        self._center, self._basis = np.zeros(size, np.float32), np.eye(size, dtype=np.float32)[:2]
        self._set_hold(np.zeros(size, np.float32), "zero")
        self._show(self._hold.copy(), np.zeros(2))
        self._draw_scatter()
        self.hover_view.clear()
        self._timer.start(0)

    def _project(self) -> work.Axes:
        dims = (self.dim_x.value() - 1, self.dim_y.value() - 1)
        return work.project(self._codes, self.axes.currentIndex() == 0, dims, self._components)

    def _set_axes(self, axes: work.Axes, xy: np.ndarray | None = None) -> None:
        """Show the codes through `axes` (xy: their map positions, if already computed)."""
        size = self._codes.shape[1]
        self.dim_x.setEnabled(size > 2 and self.axes.currentIndex() == 1)
        self.dim_y.setEnabled(self.dim_x.isEnabled())
        self._center, self._basis = axes.center, axes.basis
        if axes.variance is not None:
            self._components, self._variance = axes.basis, axes.variance
        self.plot.setLabel("bottom", axes.labels[0])
        self.plot.setLabel("left", axes.labels[1])
        self._set_hold(self._hold, self._hold_name)
        self._xy = (self._codes - self._center) @ self._basis.T if xy is None else xy

    def _set_hold(self, hold: np.ndarray, name: str) -> None:
        """Hold the directions off the map at `hold`: origin = hold minus its in-plane part."""
        self._hold, self._hold_name = hold.astype(np.float32), name
        self._origin = self._hold - ((self._hold - self._center) @ self._basis.T) @ self._basis
        size = self._basis.shape[1]
        if self._codes is None:
            text = "Encoding the test split…"
        elif size == 2:
            text = "The axes are the 2-d code itself: every position on the map is a code."
        elif self.axes.currentIndex() == 0:
            text = (
                f"PCA projection of the {size}-d codes (the axes keep "
                f"{self._variance.sum():.0%} of their variance). The point is lifted back into "
                f"the code space with the inverse PCA; the other {size - 2} directions are "
                f"held at {name}."
            )
        else:
            text = f"Two of the {size} code dimensions; the other {size - 2} are held at {name}."
        self.info.setText(text)
        self._request("grid")

    def _draw_scatter(self) -> None:
        for item, _ in self._scatters:
            self.plot.removeItem(item)
        self.legend.clear()
        self._scatters = []
        if self._xy is None:
            return
        if self._clusters is not None:
            ids, names = self._clusters, None
        else:
            ids, names = self._ids, self.session.dataset.classes
        values = np.unique(ids)
        for k, value in enumerate(values):
            m = ids == value
            name = names[value] if names is not None else f"cluster {value}"
            item = pg.ScatterPlotItem(
                x=self._xy[m, 0], y=self._xy[m, 1], size=5, pen=None,
                brush=colour(k, len(values)), name=str(name),
            )  # fmt: skip
            item.setOpacity(0.5 if self.grid_check.isChecked() else 0.85)
            item.setCacheMode(CACHED)
            self.plot.addItem(item)
            self._scatters.append((item, m))

    # ----- the drag path: decode one code, swap the image, nothing else -------------------
    def _show(self, z: np.ndarray, xy) -> None:
        self._z = z
        self._quiet = True
        try:
            self.target.setPos(float(xy[0]), float(xy[1]))
        finally:
            self._quiet = False
        self._decode_point()
        shown = ", ".join(f"{v:.2f}" for v in z[:8])
        self.coords.setText(f"z = [{shown}{', …' if z.size > 8 else ''}]")

    def _decode_point(self) -> None:
        self._image = self.session.decode(self._z)[0]
        self.view.set_image(self._image)

    def _dragged(self, target) -> None:
        if not self._quiet:
            p = target.pos()
            self.move_point((p.x(), p.y()))

    def _to_map(self, z: np.ndarray) -> np.ndarray:
        return (z - self._origin) @ self._basis.T

    # ----- hover and click ------------------------------------------------------------------
    def _nearest(self, scene_pos) -> int:
        if self._xy is None or not self.vb.sceneBoundingRect().contains(scene_pos):
            return -1
        p = self.vb.mapSceneToView(scene_pos)
        px, py = self.vb.viewPixelSize()
        d = ((self._xy[:, 0] - p.x()) / px) ** 2 + ((self._xy[:, 1] - p.y()) / py) ** 2
        k = int(np.argmin(d))
        return k if d[k] <= HOVER_PX**2 else -1

    def _hover(self, scene_pos) -> None:
        k = self._nearest(scene_pos)
        if k < 0 or k == self._hovered or self.target.moving:
            return
        self._hovered, data = k, self.session.dataset
        self.hover_view.set_image(to_images(data.test_x[k : k + 1])[0])
        self.hover_label.setText(f"Test #{k}\nlabel: {data.classes[int(data.test_y[k])]}")

    def _clicked(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and not ev.double():
            k = self._nearest(ev.scenePos())
            if k >= 0:
                self.pick(k)

    # ----- refreshes: in a background job, coalesced, never during a drag ---------------
    def _request(self, *what: str) -> None:
        self._stale.update(w for w in what if w != "grid" or self.grid_check.isChecked())
        if self._pending() and not self._timer.isActive():
            self._timer.start(COALESCE_MS)

    def _pending(self) -> bool:
        return bool(self._stale)

    def _flush(self) -> None:
        """Start the next pending refresh (codes first, then the grid) unless one runs."""
        if self.target.moving or not self.isVisible() or self._job.busy():
            return  # the end of the drag, showEvent or the job's end starts the timer again
        if self.session.model is None:
            return
        if "codes" in self._stale:
            self._stale.discard("codes")
            self._encode_in_background()
        elif "grid" in self._stale and self._codes is not None:
            self._stale.discard("grid")
            self._grid_in_background()

    def _encode_in_background(self) -> None:
        version, state = self.session.snapshot()
        config, x = self.session.model.config, self.session.dataset.test_x
        pca, dims = self.axes.currentIndex() == 0, (self.dim_x.value() - 1, self.dim_y.value() - 1)
        previous, replica = self._components, self._replica

        def job(report):
            codes = replica.run(config, state, lambda model: work.encode(model, x, report))
            axes = work.project(codes, pca, dims, previous)
            return version, codes, axes, (codes - axes.center) @ axes.basis.T

        self._job.run(job, self._codes_arrived)

    def _codes_arrived(self, result) -> None:
        version, codes, axes, xy = result
        if version < self._codes_version:
            return  # the map already shows newer codes (encoded at once for a caller)
        self._take_codes(version, codes, axes, xy)

    def _take_codes(self, version: int, codes: np.ndarray, axes=None, xy=None) -> None:
        """Show new codes: a new model's are placed at once, a refresh's a class at a time."""
        first = self._codes is None  # a new model: fit the axes, start at the mean code
        self._codes, self._codes_version = codes, version
        if first:
            self._hold = codes.mean(0)
        self._set_axes(axes or self._project(), xy)
        if first:
            self._draw_scatter()
            self._set_hold(self._hold, "the mean code")
            self._show(self._hold.copy(), self._to_map(self._hold))
            self._fit_view()
            self.mapRefreshed.emit()
        else:
            self._show(self._z, self._to_map(self._z))
            self._pieces = list(self._scatters)
            self._piece_timer.start()  # the dots on the next turns: this one has done enough

    def _place_piece(self) -> None:
        """Move dots to their new places, about PIECE_POINTS per event-loop turn (a class at
        least): each turn repaints the map once, so small maps take one turn."""
        moved = 0
        while self._pieces and moved < PIECE_POINTS:
            item, m = self._pieces.pop(0)
            item.setData(x=self._xy[m, 0], y=self._xy[m, 1])
            moved += int(m.sum())
        if self._pieces:
            self._piece_timer.start()
        else:
            self._follow_dots()
            self.mapRefreshed.emit()

    def _fit_view(self) -> None:
        """Show all the dots (and the point), then hold the range: auto-ranging at every
        refresh repainted the axes each time."""
        self.vb.enableAutoRange()
        self.vb.updateAutoRange()
        self.vb.disableAutoRange()
        self._fitted = time.monotonic()

    def _follow_dots(self) -> None:
        """After a refresh: refit when dots left the view or fill under a tenth of it, at most
        every REFIT_S."""
        if not self._follow or self._xy is None or not len(self._xy):
            return
        if time.monotonic() - self._fitted < REFIT_S:
            return
        (x0, x1), (y0, y1) = self.vb.viewRange()
        lo, hi = self._xy.min(0), self._xy.max(0)
        outside = lo[0] < x0 or lo[1] < y0 or hi[0] > x1 or hi[1] > y1
        area = max((x1 - x0) * (y1 - y0), 1e-12)
        if outside or (hi[0] - lo[0]) * (hi[1] - lo[1]) < 0.1 * area:
            self._fit_view()

    def _ensure_codes(self) -> None:
        """A new model's map is needed now (a caller asks for it before the job is done):
        encode at once, here."""
        if self._codes is None and self.session.model is not None:
            self._stale.discard("codes")
            self._job.invalidate()
            self._take_codes(self.session.version, self.session.encode(self.session.dataset.test_x))

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if self._pending():
            self._timer.start(0)

    def _weights_changed(self) -> None:
        if self._z is not None:
            self._decode_point()
        self._request("codes", "grid")

    def _clusters_changed(self, ids) -> None:
        ids = None if ids is None else np.asarray(ids)
        if self._ids is not None and (ids is None or len(ids) == len(self._ids)):
            self._clusters = ids
            self._draw_scatter()

    def _reproject(self, *_) -> None:
        self._ensure_codes()
        if self._codes is None or self._codes.shape[1] == 2:
            return
        if self.dim_x.value() == self.dim_y.value():
            other = self.dim_y if self.sender() is self.dim_x else self.dim_x
            other.blockSignals(True)
            other.setValue(other.value() % other.maximum() + 1)
            other.blockSignals(False)
        self._set_axes(self._project())
        self._draw_scatter()
        self._show(self._z, self._to_map(self._z))
        self._fit_view()

    def _hold_mean(self) -> None:
        self._ensure_codes()
        xy = self._to_map(self._z)
        self._set_hold(self._codes.mean(0), "the mean code")
        self.move_point(xy)

    # ----- the decoded grid (Kingma and Welling's manifold picture) -----------------------
    def _grid_toggled(self, on: bool) -> None:
        self.grid_item.setVisible(on)
        for item, _ in self._scatters:
            item.setOpacity(0.5 if on else 0.85)
        self._request("grid")

    def _grid_in_background(self) -> None:
        """Decode a grid of square cells (n along the shorter side) over the visible range in
        one batch, in the background, and tile it under the dots."""
        view = self.vb.viewRange()
        size = (self.vb.width(), self.vb.height())
        codes, columns = work.grid_codes(
            view, size, self.grid_size.value(), self._origin, self._basis
        )
        _, state = self.session.snapshot()
        config, replica = self.session.model.config, self._replica

        def job(_report):
            return replica.run(config, state, lambda m: work.grid_mosaic(m, codes, columns))

        (x0, x1), (y0, y1) = view
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        self._job.run(job, lambda mosaic: self._show_grid(mosaic, rect))

    def _show_grid(self, mosaic: np.ndarray, rect: QRectF) -> None:
        self.grid_item.setImage(mosaic, autoLevels=False, levels=(0, 1))
        self.grid_item.setRect(rect)


def _row(*widgets) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    return row
