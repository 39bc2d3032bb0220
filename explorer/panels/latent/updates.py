"""The latent map's refreshes, the half of `LatentPanel` that keeps the map up to date: its
stale parts ("codes", "colours", "density", "grid") are started one background job at a time
(`refresh.Refresher`), coalesced, never during a drag, and what they deliver is shown here.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF

from explorer.panels.latent import work
from explorer.panels.latent.refresh import rect_of


class MapUpdates:
    """Mixed into LatentPanel (which has the widgets, the space and the drawing methods)."""

    PARTS = ("codes", "colours", "density", "grid")

    # ----- refreshes: in a background job, coalesced, never during a drag ---------------
    def request(self, *parts: str) -> None:
        """Mark `parts` (of PARTS) stale; the grid only while it is shown, the density image
        only for a large map."""
        shown = {"grid": self.grid_check.isChecked(), "density": self.dots.dense}
        self._parts.update(p for p in parts if shown.get(p, True))
        if self._parts:
            self.mark_stale()

    def can_refresh(self) -> bool:
        return not self.target.moving and not self.jobs.busy()

    def refresh(self) -> None:
        """Start the next stale part's job, in the order of PARTS."""
        for part in self.PARTS:
            if part in self._parts:
                self._parts.discard(part)
                if self._start(part):
                    break
        if self._parts:
            self.mark_stale()  # the job's end asks again

    def _start(self, part: str) -> bool:
        """Start `part`'s job; False when there was nothing to do."""
        space, size = self.space, (self.vb.width(), self.vb.height())
        if part == "codes":
            dots, n = self.dots, len(self.session.dataset.test_x)
            draw = None  # a large map draws its image in the same job (its classes still fit)
            if dots.dense and dots.classes is not None and len(dots.classes) == n:
                draw = (dots.classes, dots.rgb, self.vb.viewRange(), size)
            self.jobs.encode(self._pca(), self._dims(), space.components, draw)
            return True
        if not self.map_ready():
            return False
        if part == "colours":
            need = self.colouring.needs(self._codes_version)
            if need:
                k = max(2, len(self.session.dataset.classes))
                self.jobs.colours(need, self._codes_version, space.codes, k)
            return bool(need)
        if part == "density":
            if not self.dots.dense:
                return False
            index = self.dots.index_for(space.xy) is None
            self.jobs.density(
                space.xy, self.dots.classes, self.dots.rgb, self.vb.viewRange(), size, index
            )
            return True
        n = self.grid_size.value()
        self.jobs.grid(self.vb.viewRange(), size, n, space.origin, space.basis)
        return True

    def _codes_arrived(self, version: int, codes, axes, xy, drawn) -> None:
        if version < self._codes_version:
            return  # the map already shows newer codes (encoded at once for a caller)
        self._drawn = drawn
        self._take_codes(version, codes, axes, xy)

    def _take_codes(self, version: int, codes: np.ndarray, axes=None, xy=None) -> None:
        """Show new codes: a new model's are placed at once, a refresh's a piece at a time."""
        space = self.space
        first = space.codes is None  # a new model: fit the axes, start at the mean code
        space.codes, self._codes_version = codes, version
        if first:
            space.held = codes.mean(0)
        self._set_axes(axes or work.project(codes, self._pca(), self._dims(), space.components), xy)
        if self.colouring.needs(version):
            self.request("colours")
        if first:
            self._draw_dots()
            self._hold(space.held, "the mean code")
            z = self._z if self.target.moving else space.held.copy()  # a drag keeps its code
            self._show(z, space.to_map(z))
            self.follower.fit(space.xy, self._map_point())
            self._placed()
        else:
            self._show(self._z, space.to_map(self._z))
            self.dots.start_moving()
            self._piece_timer.start()  # the dots on the next turns: this one has done enough

    def _place_piece(self) -> None:
        if not self.dots.move_piece(self.space.xy):
            self._piece_timer.start()
        else:
            self.follower.follow_dots(self.space.xy, self._map_point())
            self._placed()

    def _placed(self) -> None:
        """The dots are placed: say so (a large map once its density image shows them)."""
        self._show_selection()
        drawn, self._drawn = self._drawn, None
        if self.dots.dense:
            self._placing = True
            if drawn is not None and drawn[1] == rect_of(self.vb.viewRange()):
                self._density_arrived(*drawn)  # drawn with the codes, for this very view
            else:
                self.request("density")
        else:
            self.mapRefreshed.emit()

    def _density_arrived(self, rgba, rect, xy, index) -> None:
        if self.space is None or xy is not self.space.xy:
            self.request("density")  # drawn from older positions
            return
        self.dots.set_density(rgba, rect, xy)
        if index is not None:
            self.dots.set_index(index)
        if self._placing:
            self._placing = False
            self.mapRefreshed.emit()

    def _ensure_codes(self) -> None:
        """A new model's map is needed now (a caller asks for it before the job is done):
        encode at once, here."""
        if self.space is not None and not self.map_ready() and self.ready():
            self._parts.discard("codes")
            self.jobs.invalidate()
            self._drawn = None
            self._take_codes(self.session.version, self.session.encode(self.session.dataset.test_x))

    # ----- the decoded grid (Kingma and Welling's manifold picture) -----------------------
    def show_grid(self, on: bool) -> None:
        self.grid_item.setVisible(on)
        self.dots.set_opacity(0.5 if on else 0.85)
        self.request("grid")

    def _set_grid(self, mosaic: np.ndarray, rect: QRectF) -> None:
        self.grid_item.setImage(mosaic, autoLevels=False, levels=(0, 1))
        self.grid_item.setRect(rect)
