"""Compare with PCA: test error against code size, reconstructions, maps, principal angles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
)

from explorer.panels.base import AnalysisPanel
from explorer.session import to_images
from explorer.widgets.image_view import ImageView
from explorer.widgets.images import tile
from explorer.widgets.layouts import button, row
from explorer.widgets.plotting import PALETTE, ClassScatter, Plot, colour_key
from trainer import analysis
from trainer import checkpoint as checkpoints
from trainer.analysis import compare as comparison
from trainer.analysis import probes

ROW = 10  # test examples in the reconstruction rows


def describe(config) -> str:
    return f"{config.backbone} {config.objective}, code {config.code_size}"


def pca_side(dataset, k: int) -> dict:
    """What the panel shows of PCA; it depends only on the data and k, so it is cached."""
    x = dataset.test_x[:ROW]
    pca = analysis.fit_pca(dataset, k)
    rows = torch.as_tensor(analysis.pca_reconstruct(pca, x).reshape(x.shape))
    points = comparison.pca_map(dataset)
    return {
        "curve": comparison.pca_error_curve(dataset),
        "pca_error": analysis.pca_test_mse(dataset, k),
        "pca_rows": to_images(rows),
        "pca_map": points,
        "pca_separation": probes.separation(points, dataset.test_y.numpy()),
    }


def compute(model, dataset, added: list[dict], pca: dict | None, report) -> dict:
    """Everything the panel shows, computed off the GUI thread."""
    k, x = model.code_size, dataset.test_x[:ROW]
    pca = pca or pca_side(dataset, k)
    report(0.5)
    with torch.no_grad():
        model_rows = probes.reconstruct(model, x).cpu()
    points = comparison.model_map(model, dataset)
    out = {
        "pca": pca,
        "curve": pca["curve"],
        "code_size": k,
        "model_error": analysis.test_mse(model, dataset),
        "pca_error": pca["pca_error"],
        "rows": [to_images(x), pca["pca_rows"], to_images(model_rows)],
        "maps": [pca["pca_map"], points],
        "separation": [pca["pca_separation"], probes.separation(points, dataset.test_y.numpy())],
        "angles": None,
        "added": [],
    }
    if model.config.backbone == "linear":
        out["angles"] = comparison.principal_angles(model, dataset)
    report(0.8)
    for entry in added:
        fits = tuple(entry["model"].input_shape) == tuple(dataset.shape)
        error = analysis.test_mse(entry["model"], dataset) if fits else None
        out["added"].append({**entry, "error": error})
    return out


def _separation_text(name: str, sep: dict) -> str:
    if np.isnan(sep["knn"]):
        return f"{name} (no labels to score separation)"
    return f"{name}: 5-NN accuracy {sep['knn']:.0%}, silhouette {sep['silhouette']:.2f}"


class PcaPanel(AnalysisPanel):
    """Is the autoencoder better than PCA at the same code size?"""

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("comparePanel")
        self._added: list[dict] = []
        self._pca = None  # ((dataset, code size), PCA's side of the results)
        self._build()
        self.follow_session()

    # ----- the test-contract style methods ------------------------------------------------
    def results(self) -> dict | None:
        """The last computed figures (curve, errors, separation, angles), or None."""
        return self.result()

    def add_checkpoint(self, path) -> None:
        """Add a saved model to the error plot; raises CheckpointError for a bad file."""
        ckpt = checkpoints.load(path)
        model = ckpt.build_model()
        name = f"{Path(path).stem} ({describe(ckpt.model_config)})"
        self._added.append({"name": name, "model": model, "code_size": model.code_size})
        self.refresh_now()

    def clear_checkpoints(self) -> None:
        self._added.clear()
        self.refresh_now()

    # ----- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        self.summary = QLabel("Train or open a model to compare it with PCA.")
        self.summary.setWordWrap(True)
        add = button(
            "Add checkpoint…", self._ask_checkpoint, "Put another saved model on the error plot"
        )
        clear = button("Clear added", self.clear_checkpoints, "Take the added models off again")
        top = row(self.summary, add, clear, stretch=0)

        self.plot = Plot(objectName="compareErrorPlot")
        self.plot.setLabel("bottom", "code size (components)")
        self.plot.setLabel("left", "test MSE per pixel")
        self.plot.setTitle("Reconstruction error against code size")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setMinimumHeight(160)

        rows = QGridLayout()
        self.strips = []
        for r, name in enumerate(("original", "PCA", "model")):
            rows.addWidget(QLabel(name), r, 0)
            view = ImageView(min_side=40)
            view.setBackground(None)
            rows.addWidget(view, r, 1)
            self.strips.append(view)
        self.rows_title = QLabel("Test examples and their reconstructions")
        right = QVBoxLayout()
        right.addWidget(self.rows_title)
        right.addLayout(rows, 1)
        upper = QHBoxLayout()
        upper.addWidget(self.plot, 3)
        upper.addLayout(right, 2)

        self.maps = []
        lower = QHBoxLayout()
        for title in ("PCA: first two components", "Model: codes"):
            plot = Plot()
            plot.setTitle(title)
            plot.setMinimumHeight(140)
            lower.addWidget(plot)
            self.maps.append(plot)
        self.scatters = [ClassScatter(plot) for plot in self.maps]
        self.key = QLabel()
        self.separation = [QLabel(), QLabel()]
        seps = QHBoxLayout()
        for label in self.separation:
            seps.addWidget(label, 1)
        self.angles = QLabel()
        self.angles.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.job)
        layout.addLayout(upper, 3)
        layout.addLayout(lower, 2)
        layout.addWidget(self.key)
        layout.addLayout(seps)
        layout.addWidget(self.angles)

    # ----- computing and drawing -----------------------------------------------------------
    def start(self, model, dataset) -> None:
        key = (dataset, model.code_size)
        same = self._pca is not None and self._pca[0][0] is dataset and self._pca[0][1] == key[1]
        cached = self._pca[1] if same else None
        added = list(self._added)
        self.run_job(
            "Comparing with PCA…",
            lambda report: compute(model, dataset, added, cached, report),
            lambda out: self._show(out, key),
            self._failed,
        )

    def reset(self) -> None:
        self.summary.setText("Comparing the new model with PCA…")

    def _failed(self, error: Exception) -> None:
        self.summary.setText(f"The comparison failed: {error}")

    def _show(self, out: dict, key) -> None:
        self._pca = (key, out["pca"])
        k = out["code_size"]
        better = out["model_error"] < out["pca_error"]
        self.summary.setText(
            f"At code size {k}: model {out['model_error']:.4f}, PCA {out['pca_error']:.4f} "
            f"(test MSE per pixel); the model is {'better' if better else 'worse'} than PCA "
            f"by {abs(1 - out['model_error'] / max(out['pca_error'], 1e-12)):.0%}."
        )
        self._draw_curve(out)
        for view, images in zip(self.strips, out["rows"]):
            view.set_image(tile(images), tile=np.shape(images)[1:])
        self.rows_title.setText(f"Test examples and their reconstructions at code size {k}")
        dataset = self.session.dataset
        labels = dataset.test_y.numpy()
        for plot, scatter, points in zip(self.maps, self.scatters, out["maps"]):
            scatter.draw(points, labels)
            plot.autoRange()
        self.key.setText("Colour = label: " + colour_key(dataset.classes))
        title = "Model: codes" if k <= 2 else "Model: codes, first two principal components"
        self.maps[1].setTitle(title)
        names = ("PCA map", "Model map")
        for label, name, sep in zip(self.separation, names, out["separation"]):
            label.setText(_separation_text(name, sep))
        self._show_angles(out["angles"])

    def _draw_curve(self, out: dict) -> None:
        self.plot.clear()
        sizes, errors = out["curve"]
        self.plot.setLogMode(x=bool(sizes.max() > 64), y=False)
        self.plot.plot(sizes, errors, pen=pg.mkPen("#1f77b4", width=2), name="PCA")
        self.plot.plot(
            [out["code_size"]], [out["pca_error"]], pen=None, symbol="o", symbolSize=8,
            symbolBrush="#1f77b4", name=f"PCA at code size {out['code_size']}",
        )  # fmt: skip
        self.plot.plot(
            [out["code_size"]], [out["model_error"]], pen=None, symbol="star", symbolSize=16,
            symbolBrush="#d62728", name=f"this model ({describe(self.session.config)})",
        )  # fmt: skip
        for i, entry in enumerate(e for e in out["added"] if e["error"] is not None):
            self.plot.plot(
                [entry["code_size"]], [entry["error"]], pen=None, symbol="t1", symbolSize=12,
                symbolBrush=PALETTE[(i + 2) % len(PALETTE)], name=entry["name"],
            )  # fmt: skip
        skipped = [e["name"] for e in out["added"] if e["error"] is None]
        if skipped:
            self.summary.setText(
                self.summary.text() + f" Not plotted (made for another image shape): "
                f"{', '.join(skipped)}."
            )

    def _show_angles(self, angles) -> None:
        if angles is None:
            self.angles.setText(
                "Principal angles: train a linear model to see how close its decoder's "
                "subspace is to PCA's (a linear autoencoder learns PCA's subspace)."
            )
            return
        shown = ", ".join(f"{a:.1f}°" for a in angles)
        verdict = "the same subspace as PCA" if angles.max() < 5 else "not yet PCA's subspace"
        self.angles.setText(
            f"Principal angles between the linear decoder's subspace and PCA's: {shown} "
            f"(0° everywhere = identical): {verdict}."
        )

    def _ask_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Add a checkpoint to the comparison", "", "Checkpoints (*.safetensors)"
        )
        if not path:
            return
        try:
            self.add_checkpoint(path)
        except checkpoints.CheckpointError as error:
            self.summary.setText(str(error))
