"""Anomalies: which inputs does the model reconstruct worst? Histogram, threshold, gallery."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from explorer.panels.base import AnalysisPanel
from explorer.session import to_images
from explorer.widgets.exports import ask_path, error_text, tell_saved, with_suffix
from explorer.widgets.image_io import ImageFileError, open_image
from explorer.widgets.layouts import button, row
from explorer.widgets.plotting import Plot, image_label, pixmap, side_by_side
from trainer import analysis
from trainer.analysis import probes

GALLERY = 12  # worst examples shown, in one row that scrolls sideways


def compute(model, dataset, report) -> dict:
    """Per-example test errors and the worst examples' reconstructions."""
    errors = analysis.reconstruction_errors(model, dataset.test_x)
    report(0.8)
    worst = np.argsort(errors)[::-1][:GALLERY].copy()
    x = dataset.test_x[torch.as_tensor(worst)]
    with torch.no_grad():
        recon = probes.reconstruct(model, x).cpu()
    return {"errors": errors, "worst": worst, "originals": to_images(x), "recons": to_images(recon)}


class AnomalyPanel(AnalysisPanel):
    """Histogram of per-example test error with a draggable threshold and the worst examples."""

    def __init__(self, session, parent=None):
        super().__init__(session, parent, cancellable=False)
        self.setObjectName("anomalyPanel")
        self._errors: np.ndarray | None = None
        self._score: float | None = None
        self._build()
        self.follow_session()

    # ----- methods the buttons use (and tests) ----------------------------------------------
    def errors(self) -> np.ndarray | None:
        """Mean squared error per pixel of each test example, or None before the first run."""
        return self._errors

    def threshold(self) -> float:
        return float(self.line.value())

    def set_threshold(self, value: float) -> None:
        self.line.setValue(float(value))

    def count_above(self) -> int:
        return 0 if self._errors is None else int((self._errors > self.threshold()).sum())

    def score_image(self, image: np.ndarray) -> float:
        """Error of one image ([H, W] or [H, W, C] in [0, 1]); marked on the histogram."""
        image = np.asarray(image, dtype=np.float32)
        chw = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
        x = torch.as_tensor(np.ascontiguousarray(chw))[None]
        error = float(analysis.reconstruction_errors(self.session.model, x)[0])
        with torch.no_grad():
            recon = to_images(probes.reconstruct(self.session.model, x).cpu())[0]
        self._score = error
        self.scored.setPixmap(pixmap(side_by_side(image, recon), 96))
        self._mark_score()
        return error

    def score_file(self, path) -> float:
        """Score an image file at the model's size; raises ImageFileError for a bad file."""
        c, h, w = self.session.model.input_shape
        image, how = open_image(path, c, h, w)
        error = self.score_image(image)
        self.scored_note.setText(how)
        return error

    def export_csv(self, path) -> Path:
        """Write index, label, class, error and whether it is above the threshold."""
        path, data, threshold = with_suffix(path, ".csv"), self.session.dataset, self.threshold()
        with path.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["test_index", "label", "class", "error", "above_threshold"])
            for i, (y, e) in enumerate(zip(data.test_y.tolist(), self._errors)):
                out.writerow([i, y, data.classes[y], f"{e:.8g}", int(e > threshold)])
        self.note.setText(f"Scores of {len(self._errors)} test examples saved to {path}.")
        return path

    # ----- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        self.plot = Plot(objectName="anomalyHistogram")
        self.plot.setTitle("Reconstruction error of each test example")
        self.plot.setLabel("bottom", "MSE per pixel")
        self.plot.setLabel("left", "examples")
        self.plot.setMinimumHeight(190)
        self.bars = pg.PlotCurveItem(
            [0.0, 1.0], [0.0], stepMode="center", fillLevel=0, brush=(31, 119, 180, 150),
            pen="#1f77b4",
        )  # fmt: skip
        self.plot.addItem(self.bars)
        self.line = pg.InfiniteLine(
            angle=90, movable=True, pen=pg.mkPen("#d62728", width=2), hoverPen="#ff5555",
            label="threshold", labelOpts={"position": 0.93, "color": "#d62728"},
        )  # fmt: skip
        self.line.sigPositionChanged.connect(self._count)
        self.line.sigPositionChangeFinished.connect(self._count)
        self.plot.addItem(self.line)
        self.score_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen("#2ca02c", width=2, style=Qt.PenStyle.DashLine),
            label="your image", labelOpts={"position": 0.8, "color": "#2ca02c"},
        )  # fmt: skip
        self.score_line.setVisible(False)
        self.plot.addItem(self.score_line)

        self.count = QLabel()
        self.count.setWordWrap(True)
        buttons = row(
            button("Threshold at 99th percentile", self._reset_threshold, "Put the line back"),
            button("Score an image…", self._ask_image, "How anomalous is an image file of yours?"),
            button("Export scores…", self._ask_csv, "Save every test example's error as CSV"),
            None,
        )

        self.scored = QLabel()
        self.scored_note = QLabel()
        self.scored_note.setWordWrap(True)
        self.verdict = QLabel("Open an image to see where it falls on the histogram.")
        self.verdict.setWordWrap(True)
        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Your image</b> (original | reconstruction)"))
        side.addWidget(self.scored)
        side.addWidget(self.verdict)
        side.addWidget(self.scored_note)
        side.addStretch(1)
        upper = QHBoxLayout()
        upper.addWidget(self.plot, 3)
        upper.addLayout(side, 1)

        self.gallery_title = QLabel()
        strip = QWidget()
        self.gallery = QHBoxLayout(strip)
        self.gallery.setContentsMargins(0, 0, 0, 0)
        self.strip = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.strip.setWidget(strip)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.note = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.job)
        layout.addLayout(upper, 3)
        layout.addWidget(self.count)
        layout.addLayout(buttons)
        layout.addWidget(self.gallery_title)
        layout.addWidget(self.strip)
        layout.addWidget(self.note)

    # ----- computing and drawing -----------------------------------------------------------
    def start(self, model, dataset) -> None:
        self.run_job(
            "Scoring the test split…",
            lambda report: compute(model, dataset, report),
            self._show,
            lambda error: self.note.setText(f"Scoring failed: {error}"),
        )

    def reset(self) -> None:
        self._errors = self._score = None
        self.score_line.setVisible(False)
        self.scored.clear()
        self.scored_note.clear()
        self.verdict.setText("Open an image to see where it falls on the histogram.")

    def _show(self, out: dict) -> None:
        first = self._errors is None
        self._errors = errors = out["errors"]
        counts, edges = np.histogram(errors, bins=min(60, max(10, len(errors) // 10)))
        self.bars.setData(edges, counts)
        if first or not self.line.moving:
            self._reset_threshold()
        self._fill_gallery(out)
        self._mark_score()

    def _fill_gallery(self, out: dict) -> None:
        while self.gallery.count():
            item = self.gallery.takeAt(0)
            if item.widget() is not None:  # the stretch at the end has none
                item.widget().deleteLater()
        classes = self.session.dataset.classes
        labels = self.session.dataset.test_y.numpy()
        for i, a, b in zip(out["worst"], out["originals"], out["recons"]):
            tip = f"test example {i}, label {classes[labels[i]]}, error {self._errors[i]:.4f}"
            cell = QVBoxLayout()
            cell.addWidget(image_label(side_by_side(a, b), 64, tip))
            caption = QLabel(f"#{i} · {classes[labels[i]]} · {self._errors[i]:.4f}")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cell.addWidget(caption)
            holder = QWidget()
            holder.setLayout(cell)
            self.gallery.addWidget(holder)
        self.gallery.addStretch(1)
        cells = [self.gallery.itemAt(k).widget() for k in range(self.gallery.count())]
        tallest = max((c.sizeHint().height() for c in cells if c is not None), default=0)
        self.strip.setFixedHeight(tallest + self.strip.horizontalScrollBar().sizeHint().height())
        self.gallery_title.setText(
            f"<b>The {len(out['worst'])} worst reconstructed test examples</b> "
            "(original | reconstruction; test index, label, error)"
        )

    def _reset_threshold(self) -> None:
        if self._errors is not None:
            self.set_threshold(analysis.anomaly_threshold(self._errors, 99.0))
            self._count()

    def _count(self) -> None:
        if self._errors is None:
            return
        n, total, t = self.count_above(), len(self._errors), self.threshold()
        rank = float((self._errors < t).mean())
        self.count.setText(
            f"<b>{n}</b> of {total} test examples ({n / total:.1%}) are above the threshold "
            f"{t:.4f} (drag the red line; it sits at the {rank:.1%} point of the errors)."
        )
        self._mark_score()

    def _mark_score(self) -> None:
        if self._score is None or self._errors is None:
            return
        self.score_line.setValue(self._score)
        self.score_line.setVisible(True)
        below = float((self._errors < self._score).mean())
        rank = "every test example" if below == 1 else f"{below:.1%} of the test split"
        above = self._score > self.threshold()
        self.verdict.setText(
            f"Error {self._score:.4f}: higher than {rank}, "
            + ("<b>above the threshold: anomalous</b>." if above else "below the threshold.")
        )

    def _ask_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Score an image", "", "Images (*)")
        if path:
            try:
                self.score_file(path)
            except ImageFileError as error:
                self.verdict.setText(str(error))

    def _ask_csv(self) -> None:
        if self._errors is None:
            return
        path = ask_path(self, "Export scores", "anomaly-scores.csv", "CSV", ".csv")
        if path:
            try:
                tell_saved(self, self.export_csv(path))
            except OSError as error:
                self.note.setText(error_text(path, error))
