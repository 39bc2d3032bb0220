"""Clusters: k-means on the test split's codes, scored against the labels, shown on the map."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.panels.base import AnalysisPanel
from explorer.session import to_images
from explorer.widgets.images import tile
from explorer.widgets.plotting import colour, image_label
from trainer.analysis import probes

EXAMPLES = 8  # examples shown per cluster, those nearest its centre


def compute(model, dataset, k: int, report) -> dict:
    """Cluster ids of the test codes, their scores, and each cluster's most central examples."""
    codes = probes.encode_all(model, dataset.test_x)
    report(0.3)
    ids = probes.kmeans_clusters(codes, k)
    report(0.8)
    labels = dataset.test_y.numpy()
    scores = probes.cluster_scores(labels, ids)
    members = []
    for c in range(int(ids.max()) + 1):
        index = np.flatnonzero(ids == c)
        centre = codes[index].mean(0)
        nearest = index[np.argsort(((codes[index] - centre) ** 2).sum(1))[:EXAMPLES]]
        top = np.bincount(labels[index]).argmax() if len(index) else 0
        share = float((labels[index] == top).mean()) if len(index) else 0.0
        members.append(
            {"size": len(index), "examples": to_images(dataset.test_x[nearest]),
             "majority": int(top), "share": share}
        )  # fmt: skip
    table = np.zeros((len(members), len(dataset.classes)), dtype=int)
    np.add.at(table, (ids, labels), 1)
    return {"ids": ids, "k": len(members), **scores, "clusters": members, "table": table}


class ClusterPanel(AnalysisPanel):
    """k-means on the codes; ARI and purity against the labels; the clusters offered to the
    latent map (shown there when its "Colour by" asks for them)."""

    def __init__(self, session, parent=None):
        super().__init__(session, parent, cancellable=False)
        self.setObjectName("clusterPanel")
        self._sent = False  # whether the latent map is showing our cluster ids
        self._k_follows_classes = True  # until the person picks k
        self._build()
        self.follow_session()

    def clusters(self) -> np.ndarray | None:
        """Cluster id of each test example, or None before the first run."""
        return None if self.result() is None else self.result()["ids"]

    def scores(self) -> dict | None:
        """{"ari": ..., "purity": ...} of the last run, or None."""
        if self.result() is None:
            return None
        return {"ari": self.result()["ari"], "purity": self.result()["purity"]}

    def set_k(self, k: int) -> None:
        self.k_spin.setValue(int(k))

    def _build(self) -> None:
        self.k_spin = QSpinBox(objectName="clusterKSpin")
        self.k_spin.setRange(2, 50)
        self.k_spin.setValue(10)
        self.k_spin.setToolTip("Number of clusters (starts at the number of classes)")
        self.k_spin.valueChanged.connect(self._k_changed)
        self.colour_check = QCheckBox("Offer these clusters to the latent map")
        self.colour_check.setToolTip(
            "The latent map shows them when its 'Colour by' is 'k-means cluster'; without "
            "them it clusters the codes itself (one cluster per label)"
        )
        self.colour_check.setChecked(True)
        self.colour_check.setToolTip("Colour the latent map's dots by these clusters instead of "
                                     "by their labels")  # fmt: skip
        self.colour_check.toggled.connect(self._send)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("k-means clusters on the codes, k ="))
        controls.addWidget(self.k_spin)
        controls.addSpacing(16)
        controls.addWidget(self.colour_check)
        controls.addStretch(1)
        self.summary = QLabel("Train or open a model to cluster its codes.")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.rows = QGridLayout()
        self.rows.setColumnStretch(2, 1)
        inner = QWidget()
        inner.setLayout(self.rows)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.table = QTableWidget(objectName="clusterTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setToolTip("Test examples of each class (column) in each cluster (row)")
        for corner in self.table.findChildren(QAbstractButton, "qt_tableview_cornerbutton"):
            corner.setToolTip("Select every cell of the table")
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(20)
        right = QVBoxLayout()
        right.addWidget(QLabel("Examples of each label (columns) in each cluster (rows)"))
        right.addWidget(self.table, 1)
        body = QHBoxLayout()
        body.addWidget(scroll, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.job)
        layout.addWidget(self.summary)
        layout.addLayout(body, 1)

    def start(self, model, dataset) -> None:
        k = self.k_spin.value()
        self.run_job(
            f"Clustering the codes into {k}…",
            lambda report: compute(model, dataset, k, report),
            self._show,
            lambda error: self.summary.setText(f"Clustering failed: {error}"),
        )

    def reset(self) -> None:
        if self._sent:  # the old ids may not even fit the new test split
            self._sent = False
            self.session.clustersChanged.emit(None)
        dataset = self.session.dataset
        if dataset is not None and self._k_follows_classes:
            self.k_spin.blockSignals(True)
            self.k_spin.setValue(max(2, min(len(dataset.classes), self.k_spin.maximum())))
            self.k_spin.blockSignals(False)

    def _k_changed(self) -> None:
        self._k_follows_classes = False
        self.mark_stale()

    def _send(self) -> None:
        on = self.colour_check.isChecked() and self.result() is not None
        if on or self._sent:
            self._sent = on
            self.session.clustersChanged.emit(self.result()["ids"] if on else None)

    def _show(self, out: dict) -> None:
        dataset = self.session.dataset
        n = len(out["ids"])
        self.summary.setText(
            f"<b>Adjusted Rand index {out['ari']:.2f}</b> (1 = the clusters are the classes, "
            f"0 = chance) · <b>purity {out['purity']:.0%}</b> (share of examples in their "
            f"cluster's majority class) · k = {out['k']}, {n} test examples."
        )
        while self.rows.count():
            self.rows.takeAt(0).widget().deleteLater()
        for c, info in enumerate(out["clusters"]):
            swatch = QLabel("\u25a0")
            swatch.setStyleSheet(f"color: {colour(c, out['k']).name()}; font-size: 20px;")
            majority = dataset.classes[info["majority"]]
            text = QLabel(textFormat=Qt.TextFormat.RichText)
            text.setText(
                f"<b>cluster {c}</b>: {info['size']} examples<br>"
                f"mostly '{majority}' ({info['share']:.0%})"
            )
            self.rows.addWidget(swatch, c, 0)
            self.rows.addWidget(text, c, 1)
            strip = tile(info["examples"], cols=EXAMPLES)
            examples = image_label(strip, 44, "the examples nearest the cluster's centre")
            examples.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            self.rows.addWidget(examples, c, 2)
        self._fill_table(out["table"], dataset.classes)
        self._send()

    def _fill_table(self, table: np.ndarray, classes) -> None:
        self.table.clear()
        self.table.setRowCount(table.shape[0])
        self.table.setColumnCount(table.shape[1])
        self.table.setHorizontalHeaderLabels([str(c) for c in classes])
        self.table.setVerticalHeaderLabels([str(c) for c in range(table.shape[0])])
        top = max(int(table.max()), 1)
        for r, c in np.ndindex(table.shape):
            n = int(table[r, c])
            item = QTableWidgetItem(str(n) if n else "")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            shade = int(255 - 150 * n / top)
            item.setBackground(QColor(shade, shade, 255))
            self.table.setItem(r, c, item)
