"""Two runs side by side: their latent maps over the same region, one point dragged in both.

The lecture's "Autoencoder problem": a plain autoencoder's latent space is irregular (close
codes decode to very different images, and much of the region the codes occupy decodes to
nothing like the data); the VAE's is not. Both maps are in standard units of their own test
codes (frame.py), their views linked, so the decoded grids cover the same region of each
and the point sits at the same place in both. Under each map: the decoded point and the
run's `latent_roughness` and `latent_holes` (trainer.analysis.regularity), measured in the
background once the maps are drawn.
"""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import QTimer

from explorer.bundled import load_checkpoint
from explorer.panels.base import AnalysisPanel
from explorer.panels.compare_runs import view
from explorer.panels.compare_runs.frame import grid_codes, map_of, mosaic
from explorer.session import to_images
from trainer.analysis.regularity import regularity
from trainer.analysis.reporting import part

SHOWN = "The model shown"  # the session's model: the first choice of each side


class CompareRunsPanel(AnalysisPanel):
    """Run A and run B (the model shown, or any run of the run list) side by side."""

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("compareRuns")
        self.sides: list[dict] = []  # per side: name, model, dataset, frame
        self._figures: list[dict] | None = None
        self._xy = np.zeros(2)
        self._images: list[np.ndarray] = []
        self._moving = False
        self._grid_timer = QTimer(self, singleShot=True, interval=120)
        self._grid_timer.timeout.connect(self.draw_grids)
        view.build(self)
        session.runsChanged.connect(self.update_choices)
        self.update_choices()
        self.follow_session()

    # -- the test contract -------------------------------------------------------------------
    def choices(self) -> list[str]:
        return [self.combo_a.itemText(i) for i in range(self.combo_a.count())]

    def compare(self, a: str, b: str) -> None:
        """Compare run `a` with run `b` (names of `choices()`); KeyError for an unknown one."""
        for combo, name in ((self.combo_a, a), (self.combo_b, b)):
            index = combo.findText(name)
            if index < 0:
                raise KeyError(f"No run is called {name!r}; the choices are {self.choices()}.")
            combo.setCurrentIndex(index)
        self.refresh_now()

    def map_ready(self) -> bool:
        return len(self.sides) == 2

    def figures(self) -> list[dict] | None:
        """[A's, B's] {"latent_roughness", "latent_holes"}, once measured."""
        return self._figures

    def move_point(self, xy) -> None:
        """Move the point to map coordinates `xy` (standard units) in both maps; decode both."""
        self._xy = np.asarray(xy, dtype=np.float64).ravel()[:2]
        self._moving = True
        for target in self.targets:
            target.setPos(*self._xy)
        self._moving = False
        self._decode_point()

    def point(self) -> np.ndarray:
        return self._xy.copy()

    def codes(self) -> list[np.ndarray]:
        """The codes of the point in each run."""
        return [side["frame"].lift(self._xy)[0] for side in self.sides]

    def decoded(self) -> list[np.ndarray]:
        """[A's, B's] decoding of the point."""
        return [image.copy() for image in self._images]

    # -- choosing the runs ---------------------------------------------------------------
    def update_choices(self) -> None:
        runs = self.session.runs
        names = [SHOWN, *(runs.names() if runs is not None else [])]
        for k, combo in enumerate((self.combo_a, self.combo_b)):
            chosen = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            default = names[-1] if k == 1 and len(names) > 1 else SHOWN
            combo.setCurrentIndex(max(combo.findText(chosen or default), 0))
            combo.blockSignals(False)

    # -- computing ------------------------------------------------------------------------
    def start(self, model, dataset) -> None:
        names = [self.combo_a.currentText(), self.combo_b.currentText()]
        shown = (model, dataset)
        paths = {n: self.session.runs.get(n).path for n in names if n != SHOWN}

        def load(report):
            sides = []
            for k, name in enumerate(names):
                m, d = shown if name == SHOWN else load_checkpoint(paths[name])[1:]
                sides.append({"name": name, "model": m.eval(), "dataset": d, **map_of(m, d)})
                report((k + 1) / 2)
            return sides

        self._figures = None
        self.run_job("Encoding both runs' test codes...", load, self._maps_ready, self._failed)

    def _maps_ready(self, sides: list[dict]) -> None:
        a, b = (s["dataset"].name for s in sides)
        if a != b:
            self.sides = []
            self.info.setText(
                f"{sides[0]['name']} was trained on {a} and {sides[1]['name']} on {b}: the "
                "maps compare two runs on the same dataset, so choose two of those."
            )
            view.clear(self)
            return
        self.sides = sides
        view.draw(self, sides)
        self.move_point(self._xy)
        self.draw_grids()
        models = [(s["model"], s["dataset"]) for s in sides]

        def measure(report):
            return [regularity(m, d, report=part(report, k / 2, (k + 1) / 2))
                    for k, (m, d) in enumerate(models)]  # fmt: skip

        self.run_job("Measuring roughness and holes...", measure, self._measured, self._failed)

    def _measured(self, figures: list[dict]) -> None:
        self._figures = figures
        view.show_figures(self, figures)

    def _failed(self, error: Exception) -> None:
        self.info.setText(f"The runs could not be compared: {error}")

    def reset(self) -> None:
        self._figures = None

    def model_changed(self) -> None:
        if SHOWN in (self.combo_a.currentText(), self.combo_b.currentText()):
            super().model_changed()

    def weights_changed(self) -> None:
        if SHOWN in (self.combo_a.currentText(), self.combo_b.currentText()):
            super().weights_changed()

    # -- drawing ----------------------------------------------------------------------------
    def dragged(self, target) -> None:
        """One point moved by the mouse: the other follows, both decode."""
        if self._moving:
            return
        pos = target.pos()
        self.move_point([pos.x(), pos.y()])

    def _decode_point(self) -> None:
        if not self.map_ready():
            return
        self._images = []
        for side, image_view in zip(self.sides, self.point_views):
            with torch.no_grad():
                z = torch.from_numpy(side["frame"].lift(self._xy))
                image = to_images(side["model"].decode(z))[0]
            self._images.append(image)
            image_view.set_image(image)
        self.coords.setText(f"point ({self._xy[0]:+.2f}, {self._xy[1]:+.2f}) standard units")

    def range_changed(self) -> None:
        self._grid_timer.start()

    def draw_grids(self) -> None:
        """Decode the same grid of map points in both runs over the shared view."""
        on = self.grid_check.isChecked() and self.map_ready()
        for item in self.grid_items:
            item.setVisible(on)
        if not on:
            return
        view_range = self.plots[0].getViewBox().viewRange()
        for side, item in zip(self.sides, self.grid_items):
            codes, rows, cols = grid_codes(side["frame"], view_range, self.grid_size.value())
            with torch.no_grad():
                cells = to_images(side["model"].decode(torch.from_numpy(codes)))
            item.setImage(mosaic(cells, rows, cols), autoLevels=False, levels=(0, 1))
            (x0, x1), (y0, y1) = view_range
            item.setRect(x0, y0, x1 - x0, y1 - y0)
