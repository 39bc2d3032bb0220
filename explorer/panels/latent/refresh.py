"""The latent map's background work: one job at a time, on a replica of the model, never on
the display copy. `encode` re-encodes the test split and refits the axes; `colours` computes
what the "Colour by" choice needs (k-means clusters, reconstruction errors); `density` draws
a large map's density image and builds its spatial index; `grid` decodes the grid over the
visible range. Results come back on the GUI thread, tagged with the session
version they were computed for; a newer request drops the older one.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Signal

from explorer.jobs import Job
from explorer.panels.latent import work
from explorer.widgets.plotting import density_rgba, spatial_index


class Refresher(QObject):
    """Background jobs for a LatentPanel's session; `finished` after each delivered one."""

    codesReady = Signal(int, object, object, object, object)  # version, codes, Axes, xy, drawn
    gridReady = Signal(object, object)  # the mosaic image, its QRectF in map coordinates
    coloursReady = Signal(int, str, object)  # codes version, "clusters" | "errors", values
    densityReady = Signal(object, object, object, object)  # rgba, QRectF, xy, index or None
    finished = Signal()

    def __init__(self, session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._job = Job(self)
        self._replica = work.Replica()
        self._job.finished.connect(self.finished)

    def busy(self) -> bool:
        return self._job.busy()

    def invalidate(self) -> None:
        """Drop the running job's result."""
        self._job.invalidate()

    def encode(self, pca: bool, dims: tuple[int, int], previous, draw=None) -> None:
        """Encode the test split with the newest weights and project it (PCA signs kept
        towards `previous`, or the code dimensions `dims`); with `draw` (classes, rgb,
        view_range, size_px) also draw a large map's density image and index, as `density`
        does, in the same job (what arrives: `drawn`, or None)."""
        version, state = self.session.snapshot()
        config, x = self.session.model.config, self.session.dataset.test_x
        replica = self._replica

        def job(report):
            codes = replica.run(config, state, lambda model: work.encode(model, x, report))
            axes = work.project(codes, pca, dims, previous)
            xy = (codes - axes.center) @ axes.basis.T
            drawn = None
            if draw is not None:
                classes, rgb, view_range, size_px = draw
                image = density_rgba(xy, classes, rgb, view_range, size_px)
                drawn = (image, rect_of(view_range), xy, spatial_index(xy))
            return version, codes, axes, xy, drawn

        self._job.run(job, lambda result: self.codesReady.emit(*result))

    def grid(self, view_range, size_px, n: int, origin, basis) -> None:
        """Decode a grid of square cells (n along the shorter side) over `view_range` in one
        batch; the mosaic arrives with the rectangle it covers."""
        codes, columns = work.grid_codes(view_range, size_px, n, origin, basis)
        _, state = self.session.snapshot()
        config, replica = self.session.model.config, self._replica

        def job(_report):
            return replica.run(config, state, lambda m: work.grid_mosaic(m, codes, columns))

        (x0, x1), (y0, y1) = view_range
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        self._job.run(job, lambda mosaic: self.gridReady.emit(mosaic, rect))

    def colours(self, kind: str, version: int, codes, k: int) -> None:
        """k-means ids of `codes` ("clusters", k of them) or each test example's
        reconstruction error ("errors"), for the codes of `version`."""
        _, state = self.session.snapshot()
        config, x, replica = self.session.model.config, self.session.dataset.test_x, self._replica

        def job(report):
            if kind == "clusters":
                from trainer.analysis.probes import kmeans_clusters  # scikit-learn, here

                return kmeans_clusters(codes, k)
            return replica.run(config, state, lambda m: work.errors(m, x, codes, report))

        self._job.run(job, lambda values: self.coloursReady.emit(version, kind, values))

    def density(self, xy, classes, rgb, view_range, size_px, index: bool) -> None:
        """The density image of the dots at `xy` over `view_range`, and (if `index`) their
        spatial index (SciPy's k-d tree, imported on this worker thread)."""

        def job(_report):
            image = density_rgba(xy, classes, rgb, view_range, size_px)
            return image, spatial_index(xy) if index else None

        rect = rect_of(view_range)
        self._job.run(job, lambda out: self.densityReady.emit(out[0], rect, xy, out[1]))


def rect_of(view_range) -> QRectF:
    """((x0, x1), (y0, y1)) as a QRectF in map coordinates."""
    (x0, x1), (y0, y1) = view_range
    return QRectF(x0, y0, x1 - x0, y1 - y0)
