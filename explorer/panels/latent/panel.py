"""The latent map: the test split's codes as a labelled scatter and a draggable point, decoded live.

The map's axes are an affine view of the code space (`work.MapSpace`). For a 2-d code the
basis is the identity; for larger codes it is the top two PCA directions of the test codes,
or two chosen code dimensions, and the other directions are held at a chosen code (the mean
by default, or the last example clicked). Dragging decodes one code per move, with the
newest weights, and nothing else. New weights re-encode the test split, refit the axes and
decode the grid in a background job (`work`), never during a drag; the dots take the new
positions a piece per event-loop turn (a large map's density image is redrawn in a job), and
`mapRefreshed` says when they all have. The view follows the dots and the point until the
person pans or zooms; "Colour by" (`colouring`) chooses what the colours mean.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal

from explorer.panels.base import Panel
from explorer.panels.latent import view, work
from explorer.panels.latent.colouring import Colouring
from explorer.panels.latent.refresh import Refresher
from explorer.panels.latent.updates import MapUpdates
from explorer.session import to_images


class LatentPanel(MapUpdates, Panel):
    """Scatter of the test codes coloured by label (or cluster) and a point you drag to decode.

    Its stale parts are "codes" (encode, refit the axes, move the dots), "colours" (what the
    colouring needs), "density" (a large map's image) and "grid" (decode the grid under the
    dots), refreshed in that order, one background job at a time.
    The refreshes live in `updates.MapUpdates`.
    """

    COALESCE_MS = 50  # refresh requests within this time are served by one refresh
    mapRefreshed = Signal()  # the dots show the codes of newer weights (all placed)

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("latentMap")
        self.space: work.MapSpace | None = None
        self._ids = self._z = self._image = None
        self._hovered, self._selected, self._quiet = -1, -1, False
        self._placing = False  # new codes wait for their density image
        self._drawn = None  # the density image drawn with the newest codes, if any
        self.colouring = Colouring()
        self._parts: set[str] = set()  # what is stale: some of PARTS
        self._codes_version = 0  # the session version the codes were encoded with
        self.jobs = Refresher(session, self)
        self.jobs.codesReady.connect(self._codes_arrived)
        self.jobs.gridReady.connect(self._set_grid)
        self.jobs.coloursReady.connect(self._colours_arrived)
        self.jobs.densityReady.connect(self._density_arrived)
        self.jobs.finished.connect(lambda: self.refresh_soon(0))
        self._piece_timer = QTimer(self, singleShot=True, interval=0)
        self._piece_timer.timeout.connect(self._place_piece)
        view.build(self)
        self.follower = view.Follower(self.vb)
        session.codeRequested.connect(self._code_requested)
        session.clustersChanged.connect(self._clusters_changed)
        self.follow_session()

    # ----- the test contract -----------------------------------------------------------
    def move_point(self, z) -> None:
        """Move the point to a full code (code_size floats) or to 2 map coordinates. Never
        waits for the map: before a new model's codes arrive the map's axes are its first two
        code dimensions (a drag right after Train decodes at once)."""
        if self.space is None:
            return
        z = np.asarray(z, dtype=np.float32).ravel()
        size = self.space.size
        if z.size == size:
            if size > 2:
                self._hold(z, "the placed code")
            self._show(z, self.space.to_map(z))
        elif z.size == 2:
            self._show(self.space.lift(z), z)
        else:
            raise ValueError(f"move_point takes {size} code values or 2 map coordinates.")

    def _code_requested(self, z) -> None:
        """Another panel asks to show a code: move there, and into view."""
        self.move_point(z)
        if self.map_ready():
            self._keep_point_in_view()

    def point(self) -> np.ndarray:
        return self._z.copy()

    def decoded(self) -> np.ndarray:
        return self._image.copy()

    def positions(self) -> np.ndarray:
        """[N_test, 2] map coordinates of the dots."""
        self._ensure_codes()
        return self.space.xy.copy()

    def pick(self, index: int) -> None:
        """Move the point to test example `index`'s code (as a click on its dot does), ring
        that dot and say so."""
        self._ensure_codes()
        z = self.space.codes[index].copy()
        self._hold(z, f"test #{index}")
        self._show(z, self.space.to_map(z))
        self._selected = int(index)
        self._show_selection()
        self._keep_point_in_view()
        data = self.session.dataset
        label = data.classes[int(self._ids[index])]
        self._hovered = int(index)
        self.hover_view.set_image(to_images(data.test_x[index : index + 1])[0])
        self.hover_label.setText(
            f"Picked test #{index} (label: {label}): the point is on its code."
        )
        self.session.examplePicked.emit(int(index))

    def selected(self) -> int:
        """The test example last clicked (ringed on the map), or -1."""
        return self._selected

    def map_ready(self) -> bool:
        """Whether the dots show codes of the current model (not only its loading state)."""
        return self.space is not None and self.space.codes is not None

    def busy(self) -> bool:
        """Whether a background refresh (encoding, axes or grid) is running."""
        return self.jobs.busy()

    # ----- a new model, new weights ------------------------------------------------------
    def model_changed(self) -> None:
        """A new model or dataset: the point at the origin now, the map as the codes arrive."""
        size = self.session.model.code_size
        self.jobs.invalidate()
        self._piece_timer.stop()
        self._parts = {"codes"}
        self.follower.follow = True
        self._hovered, self._selected, self._placing, self._drawn = -1, -1, False, None
        self.colouring.reset()
        self._ids = self.session.dataset.test_y.numpy()
        for spin, value in ((self.dim_x, 1), (self.dim_y, 2)):
            spin.blockSignals(True)
            spin.setRange(1, size)
            spin.setValue(value)
            spin.blockSignals(False)
        self.axes.setEnabled(size > 2)
        self.hold_button.setEnabled(size > 2)
        self.space = work.MapSpace(size)
        self._hold(self.space.held, "zero")
        self._show(self.space.held.copy(), np.zeros(2))
        self._draw_dots()
        self._show_selection()
        self.dots.set_index(None)
        self.hover_view.clear()
        self.hover_label.setText(view.HOVER_HINT)
        self.mark_stale()
        self.refresh_soon(0)

    def weights_changed(self) -> None:
        if self._z is not None:
            self._decode_point()
        self.request("codes", "grid")

    # ----- colours: label, cluster, reconstruction error -------------------------------------
    def colour_changed(self) -> None:
        """The "Colour by" combo changed: redraw, and compute what the choice needs."""
        self.colouring.mode = self.colour_by.currentData()
        if self.space is not None and self.space.xy is not None:
            self._draw_dots()
        self.request("colours")

    def _clusters_changed(self, ids) -> None:
        """The Clusters tab shared its ids (None: none): used when colouring by cluster."""
        ids = None if ids is None else np.asarray(ids)
        if self._ids is not None and (ids is None or len(ids) == len(self._ids)):
            self.colouring.shared = ids
            if self.colouring.mode == "cluster" and self.map_ready():
                self._draw_dots()
                self.request("colours")

    def _colours_arrived(self, version: int, kind: str, values) -> None:
        if self.map_ready() and len(values) == len(self.space.codes):
            self.colouring.store(kind, version, values)
            self._draw_dots()

    # ----- the map's axes and the held code ----------------------------------------------
    def _pca(self) -> bool:
        return self.axes.currentIndex() == 0

    def _dims(self) -> tuple[int, int]:
        return self.dim_x.value() - 1, self.dim_y.value() - 1

    def _set_axes(self, axes: work.Axes, xy: np.ndarray | None = None) -> None:
        size = self.space.size
        self.dim_x.setEnabled(size > 2 and not self._pca())
        self.dim_y.setEnabled(self.dim_x.isEnabled())
        self.space.set_axes(axes, xy)
        self.plot.setLabel("bottom", axes.labels[0])
        self.plot.setLabel("left", axes.labels[1])
        self._hold(self.space.held, self.space.held_name)

    def _hold(self, z: np.ndarray, name: str) -> None:
        """Hold the directions off the map at `z`."""
        self.space.hold(z, name)
        self.info.setText(self.space.describe(self._pca()))
        self.request("grid")

    def reproject(self, *_) -> None:
        """The axes combo or a dimension changed: view the codes through the new axes."""
        self._ensure_codes()
        if not self.map_ready() or self.space.size <= 2:
            return
        if self.dim_x.value() == self.dim_y.value():
            other = self.dim_y if self.sender() is self.dim_x else self.dim_x
            other.blockSignals(True)
            other.setValue(other.value() % other.maximum() + 1)
            other.blockSignals(False)
        space = self.space
        self._set_axes(work.project(space.codes, self._pca(), self._dims(), space.components))
        self._draw_dots()
        self._show(self._z, space.to_map(self._z))
        self._show_selection()
        self.follower.fit(space.xy, self._map_point())

    def hold_mean(self) -> None:
        self._ensure_codes()
        xy = self.space.to_map(self._z)
        self._hold(self.space.codes.mean(0), "the mean code")
        self.move_point(xy)

    def _draw_dots(self) -> None:
        ids, names, colours, title = self.colouring.scheme(self._ids, self.session.dataset.classes)
        opacity = 0.5 if self.grid_check.isChecked() else 0.85
        self.dots.draw(self.space.xy, ids, names, opacity, colours, title)
        if self.dots.dense:
            self.request("density")

    def _show_selection(self) -> None:
        """Ring the dot last clicked, where it is now."""
        k, xy = self._selected, self.space and self.space.xy
        if k < 0 or xy is None:
            self.selection.setData([])
        else:
            self.selection.setData(x=[float(xy[k, 0])], y=[float(xy[k, 1])])

    def _keep_point_in_view(self) -> None:
        """Bring the point (and the dots) into view when it was placed outside it."""
        if self.follower.follow and self.follower.outside(self.space.xy, self._map_point()):
            self.follower.fit(self.space.xy, self._map_point())

    def _map_point(self) -> np.ndarray:
        p = self.target.pos()
        return np.array([p.x(), p.y()])

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

    def dragged(self, target) -> None:
        if not self._quiet:
            p = target.pos()
            self.move_point((p.x(), p.y()))

    # ----- hover and click ------------------------------------------------------------------
    def hover(self, scene_pos) -> None:
        k = self.dots.nearest(self.space and self.space.xy, self.vb, scene_pos)
        if k < 0 or k == self._hovered or self.target.moving:
            return
        self._hovered, data = k, self.session.dataset
        self.hover_view.set_image(to_images(data.test_x[k : k + 1])[0])
        self.hover_label.setText(f"Test #{k}\nlabel: {data.classes[int(data.test_y[k])]}")

    def clicked(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and not ev.double():
            k = self.dots.nearest(self.space and self.space.xy, self.vb, ev.scenePos())
            if k >= 0:
                self.pick(k)
