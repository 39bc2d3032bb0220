"""The latent map: the test split's codes as a labelled scatter and a draggable point, decoded live.

The map's axes are an affine view of the code space (`work.MapSpace`). For a 2-d code the
basis is the identity; for larger codes it is the top two PCA directions of the test codes,
or two chosen code dimensions, and the other directions are held at a chosen code (the mean
by default, or the last example clicked). Dragging decodes one code per move, with the
newest weights, and nothing else. New weights re-encode the test split, refit the axes and
decode the grid in a background job (`work`), never during a drag; the dots take the new
positions a piece per event-loop turn, and `mapRefreshed` says when they all have.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer, Signal

from explorer.panels.base import Panel
from explorer.panels.latent import view, work
from explorer.panels.latent.refresh import Refresher
from explorer.session import to_images


class LatentPanel(Panel):
    """Scatter of the test codes coloured by label (or cluster) and a point you drag to decode.

    Its stale parts are "codes" (encode, refit the axes, move the dots) and "grid" (decode the
    grid under the dots), refreshed in that order, one background job at a time.
    """

    COALESCE_MS = 50  # refresh requests within this time are served by one refresh
    mapRefreshed = Signal()  # the dots show the codes of newer weights (all placed)

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("latentMap")
        self.space: work.MapSpace | None = None
        self._ids = self._clusters = self._z = self._image = None
        self._hovered, self._quiet = -1, False
        self._parts: set[str] = set()  # what is stale: "codes", "grid"
        self._codes_version = 0  # the session version the codes were encoded with
        self.jobs = Refresher(session, self)
        self.jobs.codesReady.connect(self._codes_arrived)
        self.jobs.gridReady.connect(self._set_grid)
        self.jobs.finished.connect(lambda: self.refresh_soon(0))
        self._piece_timer = QTimer(self, singleShot=True, interval=0)
        self._piece_timer.timeout.connect(self._place_piece)
        view.build(self)
        self.follower = view.Follower(self.vb)
        session.codeRequested.connect(self.move_point)
        session.clustersChanged.connect(self._clusters_changed)
        self.follow_session()

    # ----- the test contract -----------------------------------------------------------
    def move_point(self, z) -> None:
        """Move the point to a full code (code_size floats) or to 2 map coordinates."""
        if self.space is None:
            return
        self._ensure_codes()
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

    def point(self) -> np.ndarray:
        return self._z.copy()

    def decoded(self) -> np.ndarray:
        return self._image.copy()

    def positions(self) -> np.ndarray:
        """[N_test, 2] map coordinates of the dots."""
        self._ensure_codes()
        return self.space.xy.copy()

    def pick(self, index: int) -> None:
        """Move the point to test example `index`'s code (as a click on its dot does)."""
        self._ensure_codes()
        z = self.space.codes[index].copy()
        self._hold(z, f"test #{index}")
        self._show(z, self.space.to_map(z))
        self.session.examplePicked.emit(int(index))

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
        self._clusters, self._hovered = None, -1
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
        self.hover_view.clear()
        self.mark_stale()
        self.refresh_soon(0)

    def weights_changed(self) -> None:
        if self._z is not None:
            self._decode_point()
        self.request("codes", "grid")

    def _clusters_changed(self, ids) -> None:
        ids = None if ids is None else np.asarray(ids)
        if self._ids is not None and (ids is None or len(ids) == len(self._ids)):
            self._clusters = ids
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
        self.follower.fit()

    def hold_mean(self) -> None:
        self._ensure_codes()
        xy = self.space.to_map(self._z)
        self._hold(self.space.codes.mean(0), "the mean code")
        self.move_point(xy)

    def _draw_dots(self) -> None:
        if self._clusters is not None:
            ids = self._clusters
            names = {value: f"cluster {value}" for value in np.unique(ids)}
        else:
            ids, names = self._ids, self.session.dataset.classes
        self.dots.draw(self.space.xy, ids, names, 0.5 if self.grid_check.isChecked() else 0.85)

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

    # ----- refreshes: in a background job, coalesced, never during a drag ---------------
    def request(self, *parts: str) -> None:
        """Mark `parts` ("codes", "grid") stale; the grid only while it is shown."""
        self._parts.update(p for p in parts if p != "grid" or self.grid_check.isChecked())
        if self._parts:
            self.mark_stale()

    def can_refresh(self) -> bool:
        return not self.target.moving and not self.jobs.busy()

    def refresh(self) -> None:
        """Start the next stale part's job (codes first, then the grid)."""
        if "codes" in self._parts:
            self._parts.discard("codes")
            self.jobs.encode(self._pca(), self._dims(), self.space.components)
        elif "grid" in self._parts and self.map_ready():
            self._parts.discard("grid")
            size = (self.vb.width(), self.vb.height())
            n, space = self.grid_size.value(), self.space
            self.jobs.grid(self.vb.viewRange(), size, n, space.origin, space.basis)
        if self._parts:
            self.mark_stale()  # the job's end asks again

    def _codes_arrived(self, version: int, codes, axes, xy) -> None:
        if version < self._codes_version:
            return  # the map already shows newer codes (encoded at once for a caller)
        self._take_codes(version, codes, axes, xy)

    def _take_codes(self, version: int, codes: np.ndarray, axes=None, xy=None) -> None:
        """Show new codes: a new model's are placed at once, a refresh's a piece at a time."""
        space = self.space
        first = space.codes is None  # a new model: fit the axes, start at the mean code
        space.codes, self._codes_version = codes, version
        if first:
            space.held = codes.mean(0)
        self._set_axes(axes or work.project(codes, self._pca(), self._dims(), space.components), xy)
        if first:
            self._draw_dots()
            self._hold(space.held, "the mean code")
            self._show(space.held.copy(), space.to_map(space.held))
            self.follower.fit()
            self.mapRefreshed.emit()
        else:
            self._show(self._z, space.to_map(self._z))
            self.dots.start_moving()
            self._piece_timer.start()  # the dots on the next turns: this one has done enough

    def _place_piece(self) -> None:
        if not self.dots.move_piece(self.space.xy):
            self._piece_timer.start()
        else:
            self.follower.follow_dots(self.space.xy)
            self.mapRefreshed.emit()

    def _ensure_codes(self) -> None:
        """A new model's map is needed now (a caller asks for it before the job is done):
        encode at once, here."""
        if self.space is not None and not self.map_ready() and self.ready():
            self._parts.discard("codes")
            self.jobs.invalidate()
            self._take_codes(self.session.version, self.session.encode(self.session.dataset.test_x))

    # ----- the decoded grid (Kingma and Welling's manifold picture) -----------------------
    def show_grid(self, on: bool) -> None:
        self.grid_item.setVisible(on)
        self.dots.set_opacity(0.5 if on else 0.85)
        self.request("grid")

    def _set_grid(self, mosaic: np.ndarray, rect: QRectF) -> None:
        self.grid_item.setImage(mosaic, autoLevels=False, levels=(0, 1))
        self.grid_item.setRect(rect)
