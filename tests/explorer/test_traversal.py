"""The traversal panel: a row per code dimension; for shapes, a row per generative factor."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QTableWidget

from trainer.analysis.traversal import factor_table, traversal_grid

WAIT = 120_000  # ms for a background job on a shared machine


def _computed(panel, qtbot):
    panel.refresh_now()
    qtbot.waitUntil(lambda: not panel.busy() and panel.result() is not None, timeout=WAIT)
    return panel.result()


def test_the_traversal_grid_has_a_row_per_code_dimension(qtbot, make_panel, tiny_model):
    model = tiny_model("mlp", "vae", code_size=8)
    panel = make_panel("traversal", model)
    out = _computed(panel, qtbot)
    assert panel.rows() == 8 and out["grid"].shape == (8, 9, 8, 8)
    np.testing.assert_allclose(
        out["grid"], traversal_grid(panel.session.model, panel.session.dataset)
    )
    strips = [panel.rows_layout.itemAtPosition(r + 1, 1).widget() for r in range(8)]
    assert all(s.pixmap() is not None and s.pixmap().width() > 8 * 9 for s in strips)
    assert not any(np.allclose(row[0], row[-1]) for row in out["grid"][:2])  # rows do vary
    assert panel.factor_rows() == 0 and not panel.table_box.isVisible()  # digits: no factors


def test_the_factor_table_has_a_row_per_factor_of_shapes(qtbot, make_panel, tiny_model):
    model = tiny_model("mlp", "vae", code_size=4, channels=3)  # trained on the shapes sprites
    panel = make_panel("traversal", model)
    data = panel.session.dataset
    assert data.name == "shapes-colour" and data.factors
    _computed(panel, qtbot)
    table = panel.findChild(QTableWidget, "factorTable")
    assert panel.factor_rows() == table.rowCount() == len(data.factors) == 5
    assert table.columnCount() == 4
    names = [table.verticalHeaderItem(i).text() for i in range(5)]
    assert names == ["shape", "scale", "rotation", "x", "y"]
    expected = factor_table(panel.session.model, data)
    shown = [[float(table.item(i, d).text()) for d in range(4)] for i in range(5)]
    np.testing.assert_allclose(shown, expected["correlation"], atol=0.006)
    panel.measure.setCurrentIndex(panel.measure.findData("mutual_info"))
    shown = [[float(table.item(i, d).text()) for d in range(4)] for i in range(5)]
    np.testing.assert_allclose(shown, expected["mutual_info"], atol=0.006)
    assert panel.rows() == 4
