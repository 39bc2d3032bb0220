"""Features: are the codes good inputs for a classifier? Linear probes and pretraining."""

from __future__ import annotations

import copy
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout

from explorer.panels.base import AnalysisPanel
from explorer.widgets.job_status import JobStatus
from explorer.widgets.plotting import Plot
from trainer.analysis import probes
from trainer.analysis.pretraining import pretraining_experiment


def compute_probes(model, dataset, baselines: tuple | None, report) -> dict:
    """Probe test accuracy on the codes, on PCA features of the same size and on raw pixels.

    `baselines` (PCA's and the pixels' accuracy) depend only on the data and code size and
    are passed back in while they still apply.
    """
    k = model.code_size
    codes = probes.linear_probe_accuracy(model, dataset)
    report(0.3)
    if baselines is None:
        pca = probes.pca_probe_accuracy(dataset, k)
        report(0.6)
        baselines = pca, probes.pixel_probe_accuracy(dataset)
    size = math.prod(dataset.shape)
    return {
        "names": [f"codes ({k})", f"PCA ({k})", f"raw pixels ({size})"],
        "accuracies": [codes, *baselines],
        "chance": 1 / max(len(dataset.classes), 1),
        "baselines": ((dataset, k), baselines),
    }


def bar_chart(plot: pg.PlotWidget, names, values, colours, chance: float) -> None:
    """Accuracy bars with their values written on top and a dashed chance line."""
    plot.clear()
    x = np.arange(len(values))
    plot.addItem(pg.BarGraphItem(x=x, height=values, width=0.6, brushes=colours, pen=None))
    for i, v in enumerate(values):
        text = pg.TextItem(f"{v:.1%}", color="#333", anchor=(0.5, 1.1))
        text.setPos(i, v)
        plot.addItem(text)
    line = pg.InfiniteLine(
        chance, angle=0, pen=pg.mkPen("#7f7f7f", style=Qt.PenStyle.DashLine),
        label=f"chance {chance:.0%}",
        labelOpts={"position": 0.99, "color": "#555", "anchors": [(1, 1), (1, 1)]},
    )  # fmt: skip
    plot.addItem(line)
    plot.getAxis("bottom").setTicks([list(zip(x, names))])
    plot.setYRange(0, 1.08, padding=0)
    plot.setXRange(-0.6, len(values) - 0.4, padding=0)


def _accuracy_plot(title: str) -> pg.PlotWidget:
    plot = Plot()
    plot.setTitle(title)
    plot.setLabel("left", "test accuracy")
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMinimumHeight(200)
    return plot


class FeaturePanel(AnalysisPanel):
    """Logistic-regression probes on codes / PCA / pixels, and the few-labels experiment."""

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("featurePanel")
        self._probes: dict | None = None
        self._pretraining: dict | None = None
        self._baselines = None  # ((dataset, code size), (PCA, pixels)) of the last probes
        self.pre_job = JobStatus(self)
        self._build()
        self.follow_session()

    # ----- methods the buttons use (and tests) ---------------------------------------------
    def probe_results(self) -> dict | None:
        """{"names", "accuracies", "chance"} of the last probe run, or None."""
        return self._probes

    def pretraining_results(self) -> dict | None:
        """{"pretrained", "scratch", "labels_per_class", ...} of the last experiment, or None."""
        return self._pretraining

    def busy(self) -> bool:
        return self.job.busy() or self.pre_job.busy()

    def run_pretraining(self) -> None:
        """Start the experiment in the background with the spin boxes' settings."""
        model, dataset = self.session.model, self.session.dataset
        if model is None:
            return
        model, per_class, steps = copy.deepcopy(model), self.per_class.value(), self.steps.value()
        self.pre_summary.setText("")
        self.pre_job.run(
            f"Training two classifiers on {per_class} labels per class…",
            lambda report: pretraining_experiment(
                model, dataset, labels_per_class=per_class, steps=steps, progress=report
            ),
            self._show_pretraining,
            lambda error: self.pre_summary.setText(f"The experiment stopped: {error}"),
        )

    # ----- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        intro = QLabel(
            "<b>Linear probes.</b> A logistic regression is fitted on the training split's "
            "features and scored on the test split: are the codes better features than PCA's "
            "components of the same size, or than the raw pixels?"
        )
        intro.setWordWrap(True)
        self.probe_plot = _accuracy_plot("Probe accuracy by input")
        self.probe_summary = QLabel()
        self.probe_summary.setWordWrap(True)

        pre_intro = QLabel(
            "<b>Pretraining with few labels.</b> A classifier made of the encoder and a linear "
            "layer is fine-tuned on a few labelled examples per class, once starting from the "
            "autoencoder's weights and once from random weights (same network, same steps)."
        )
        pre_intro.setWordWrap(True)
        self.per_class = QSpinBox(objectName="labelsPerClassSpin")
        self.per_class.setRange(1, 1000)
        self.per_class.setValue(10)
        self.per_class.setToolTip("Labelled training examples per class the classifier sees; "
                                  "pretraining helps most when they are few")  # fmt: skip
        self.steps = QSpinBox(objectName="pretrainStepsSpin")
        self.steps.setRange(10, 5000)
        self.steps.setSingleStep(50)
        self.steps.setValue(200)
        self.steps.setToolTip("Gradient steps of fine-tuning for each of the two classifiers; "
                              "more fit the few labels better, then overfit")  # fmt: skip
        run = QPushButton("Run the experiment", objectName="pretrainButton")
        run.setToolTip("Fine-tune both classifiers and compare their test accuracy")
        run.clicked.connect(self.run_pretraining)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("labels per class"))
        controls.addWidget(self.per_class)
        controls.addWidget(QLabel("fine-tuning steps"))
        controls.addWidget(self.steps)
        controls.addWidget(run)
        controls.addStretch(1)
        self.pre_plot = _accuracy_plot("Classifier accuracy with few labels")
        self.pre_summary = QLabel("Press Run to compare the two starting points.")
        self.pre_summary.setWordWrap(True)

        left, right = QVBoxLayout(), QVBoxLayout()
        for item in (intro, self.job, self.probe_plot, self.probe_summary):
            left.addWidget(item)
        right.addWidget(pre_intro)
        right.addLayout(controls)
        for item in (self.pre_job, self.pre_plot, self.pre_summary):
            right.addWidget(item)
        left.setStretch(2, 1)
        right.setStretch(3, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addSpacing(12)
        layout.addLayout(right, 1)

    # ----- computing and drawing -----------------------------------------------------------
    def start(self, model, dataset) -> None:
        old = self._probes["baselines"] if self._probes is not None else self._baselines
        same = old is not None and old[0][0] is dataset and old[0][1] == model.code_size
        baselines = old[1] if same else None
        self.run_job(
            "Fitting probes…",
            lambda report: compute_probes(model, dataset, baselines, report),
            self._show_probes,
            lambda error: self.probe_summary.setText(f"The probes failed: {error}"),
        )

    def reset(self) -> None:
        if self._probes is not None:
            self._baselines = self._probes["baselines"]
        self._probes = self._pretraining = None
        self.pre_job.invalidate()
        self.pre_job.setVisible(False)
        self.probe_plot.clear()
        self.pre_plot.clear()
        self.pre_summary.setText("A new model: press Run to compare the two starting points.")

    def _show_probes(self, out: dict) -> None:
        self._probes = out
        if any(math.isnan(a) for a in out["accuracies"]):
            self.probe_summary.setText("This dataset has no labels, so there is nothing to probe.")
            return
        colours = ["#d62728", "#1f77b4", "#7f7f7f"]
        bar_chart(self.probe_plot, out["names"], out["accuracies"], colours, out["chance"])
        codes, pca, pixels = out["accuracies"]
        verdict = "better" if codes > pca else "worse"
        self.probe_summary.setText(
            f"The codes are {verdict} features than PCA's at the same size "
            f"({codes:.1%} against {pca:.1%}); raw pixels give {pixels:.1%}."
        )

    def _show_pretraining(self, out: dict) -> None:
        self._pretraining = out
        chance = 1 / max(len(self.session.dataset.classes), 1)
        values = [out["pretrained"], out["scratch"]]
        names = ["from the autoencoder", "from random weights"]
        bar_chart(self.pre_plot, names, values, ["#2ca02c", "#7f7f7f"], chance)
        gain = out["pretrained"] - out["scratch"]
        self.pre_summary.setText(
            f"With {out['labelled']} labelled examples ({out['labels_per_class']} per class) "
            f"and {out['steps']} steps, starting from the autoencoder gives "
            f"{out['pretrained']:.1%} test accuracy, random weights {out['scratch']:.1%} "
            f"({gain:+.1%})."
        )
