"""The latent map: dragging, placing, projections, hover/click and refreshes, with real models."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from explorer.panels.latent import LatentPanel, work


def split_codes(session) -> np.ndarray:
    """The codes of the session's whole test split (what the map shows)."""
    return session.encode(session.dataset.test_x)


@pytest.fixture
def panel(qtbot, make_panel, session) -> LatentPanel:
    p = make_panel("latent", session=session, size=(900, 600))
    qtbot.waitUntil(lambda: "Encoding" not in p.info.text())  # the map is drawn
    return p


def _viewport_pos(panel: LatentPanel, xy) -> QPoint:
    """Map coordinates -> a pixel on the plot's viewport."""
    scene = panel.vb.mapViewToScene(QPointF(float(xy[0]), float(xy[1])))
    return panel.plot.mapFromScene(scene)


def _isolated_dot(panel: LatentPanel) -> int:
    """The test example whose dot is farthest (on screen) from any other dot."""
    px, py = panel.vb.viewPixelSize()
    xy = panel.positions() / np.array([px, py])
    d = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return int(np.argmax(d.min(1)))


def test_mouse_drag_moves_the_point_and_decodes_it(qtbot, panel, session):
    before_z, before_img = panel.point(), panel.decoded()
    start = panel.plot.mapFromScene(panel.target.scenePos())
    viewport = panel.plot.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 11):
        qtbot.mouseMove(viewport, start + QPoint(12 * k, -9 * k))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(120, -90))
    z = panel.point()
    assert z[0] > before_z[0] and z[1] > before_z[1]  # right and up on the map
    assert not np.allclose(panel.decoded(), before_img)
    np.testing.assert_allclose(panel.decoded(), session.decode(z)[0], atol=1e-6)


def test_move_point_decodes_exactly_that_code(panel, session):
    z = np.array([0.7, -1.2], np.float32)
    panel.move_point(z)
    np.testing.assert_array_equal(panel.point(), z)
    np.testing.assert_allclose(panel.decoded(), session.decode(z[None])[0], atol=1e-6)
    img = panel.decoded()
    assert img.shape == (8, 8) and img.min() >= 0 and img.max() <= 1
    with pytest.raises(ValueError, match="code values or 2 map coordinates"):
        panel.move_point([1.0, 2.0, 3.0])


def test_projected_map_round_trips_through_a_dot(qtbot, digits, tiny_model, make_panel):
    panel = make_panel("latent", tiny_model("mlp", "ae", code_size=4, steps=40), show=False)
    session = panel.session
    assert panel.positions().shape == (len(digits.test_x), 2)
    assert "PCA" in panel.info.text()
    recon = session.reconstruct(digits.test_x)
    codes = split_codes(session)
    errors = []
    for k in range(0, len(codes), 40):
        panel.move_point(panel.positions()[k])  # 2 map coordinates, lifted by inverse PCA
        np.testing.assert_allclose(panel.decoded(), session.decode(panel.point())[0], atol=1e-6)
        d = ((recon - panel.decoded()) ** 2).mean(axis=(1, 2))
        errors.append((d[k], np.median(d)))
    own, typical = np.array(errors).T
    assert (own < typical).all() and own.mean() < 0.25 * typical.mean()
    # A full code is placed exactly, and dragging from it keeps its off-map directions.
    panel.move_point(codes[7])
    np.testing.assert_array_equal(panel.point(), codes[7])
    np.testing.assert_allclose(panel.decoded(), recon[7], atol=1e-5)
    assert "the placed code" in panel.info.text()
    panel.move_point(panel.positions()[7])
    np.testing.assert_allclose(panel.point(), codes[7], atol=1e-5)


def test_two_chosen_dimensions_hold_the_rest(qtbot, digits, tiny_model, make_panel):
    panel = make_panel("latent", tiny_model("mlp", "ae", code_size=4, steps=40), show=False)
    session = panel.session
    panel.axes.setCurrentIndex(1)
    panel.dim_x.setValue(3)  # x = z3, y = z2
    assert "Two of the 4 code dimensions" in panel.info.text()
    codes = split_codes(session)
    np.testing.assert_allclose(panel.positions(), codes[:, [2, 1]], atol=1e-6)
    panel.move_point(codes[3])
    panel.move_point([0.5, -0.25])
    expected = codes[3].copy()
    expected[[2, 1]] = [0.5, -0.25]
    np.testing.assert_allclose(panel.point(), expected, atol=1e-6)


def test_hover_shows_a_dot_and_click_picks_it(qtbot, panel, session):
    k = _isolated_dot(panel)
    pos = _viewport_pos(panel, panel.positions()[k])
    qtbot.mouseMove(panel.plot.viewport(), pos)
    assert panel.hover_label.text().startswith(f"Test #{k}\n")
    with qtbot.waitSignal(session.examplePicked) as picked:
        qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert picked.args == [k]
    np.testing.assert_array_equal(panel.point(), split_codes(session)[k])
    np.testing.assert_allclose(
        panel.decoded(), session.reconstruct(session.dataset.test_x[k : k + 1])[0], atol=1e-5
    )


def test_code_requested_moves_the_point(panel, session):
    session.codeRequested.emit(np.array([-0.4, 0.9], np.float32))
    np.testing.assert_allclose(panel.point(), [-0.4, 0.9])


def test_grid_overlay_decodes_the_visible_range(qtbot, panel):
    assert not panel.grid_item.isVisible()
    panel.grid_size.setValue(5)
    panel.grid_check.setChecked(True)
    qtbot.waitUntil(lambda: panel.grid_item.image is not None)
    img = panel.grid_item.image
    assert min(img.shape) == 5 * (8 + 1) + 1  # five 8x8 cells along the shorter side, 1-px gaps
    assert img.min() >= 0 and img.max() <= 1
    (x0, x1), (y0, y1) = panel.vb.viewRange()
    rect = panel.grid_item.mapRectToView(panel.grid_item.boundingRect())
    assert rect.left() == pytest.approx(x0) and rect.right() == pytest.approx(x1)


def test_refreshes_on_weights_clusters_and_a_new_model(qtbot, panel, session, tiny_model, digits):
    before = panel.decoded()
    session.apply_weights(tiny_model("mlp", "vae", code_size=2, steps=20).state_dict())
    np.testing.assert_allclose(panel.decoded(), session.decode(panel.point())[0], atol=1e-6)
    assert not np.allclose(panel.decoded(), before)
    qtbot.waitUntil(lambda: np.allclose(panel.positions(), split_codes(session), atol=1e-6))

    session.clustersChanged.emit(np.arange(len(digits.test_x)) % 3)
    assert panel.legend.names() == digits.classes  # shared clusters alone recolour nothing
    panel.colour_by.setCurrentIndex(panel.colour_by.findData("cluster"))
    assert panel.legend.names() == [f"cluster {i}" for i in range(3)]
    assert "Clusters tab" in panel.legend.text()

    session.set_model(tiny_model("linear", "ae", code_size=3, steps=20), digits)
    assert panel.point().shape == (3,)
    assert panel.positions().shape == (len(digits.test_x), 2)
    assert "computing the clusters" in panel.legend.text()  # the old ids fit no more
    # k-means of the new codes, computed by the map itself: one cluster per label
    expected = [f"cluster {i}" for i in range(len(digits.classes))]
    qtbot.waitUntil(lambda: panel.legend.names() == expected, timeout=30_000)
    assert "k-means here" in panel.legend.text()
    np.testing.assert_allclose(panel.decoded(), session.decode(panel.point())[0], atol=1e-6)


def test_new_weights_wait_for_the_end_of_a_drag(qtbot, panel, session, tiny_model):
    old = panel.positions()
    start = panel.plot.mapFromScene(panel.target.scenePos())
    viewport = panel.plot.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, start + QPoint(10 * k, 0))
    assert panel.target.moving
    session.apply_weights(tiny_model("mlp", "vae", code_size=2, steps=20).state_dict())
    # the point itself decodes with the new weights at once ...
    np.testing.assert_allclose(panel.decoded(), session.decode(panel.point())[0], atol=1e-6)
    qtbot.wait(4 * LatentPanel.COALESCE_MS)  # the coalescing timer fires: no encoding yet
    assert panel.is_stale() and not panel.busy()
    np.testing.assert_array_equal(panel.positions(), old)  # ... the map waits for the drop
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(50, 0))
    qtbot.waitUntil(lambda: np.allclose(panel.positions(), split_codes(session), atol=1e-6))


def test_a_new_model_is_encoded_in_the_background(qtbot, panel, session, tiny_model, digits):
    session.set_model(tiny_model("linear", "ae", code_size=3, steps=20), digits)
    assert "Encoding the test split" in panel.info.text()  # set_model returned before encoding
    assert panel.point().shape == (3,)
    qtbot.waitUntil(lambda: "PCA projection of the 3-d codes" in panel.info.text())
    np.testing.assert_allclose(panel.point(), split_codes(session).mean(0), atol=1e-5)


def test_a_drag_right_after_a_new_model_decodes_without_waiting_for_the_map(
    qtbot, panel, session, tiny_model, digits
):
    """Train replaces the model; the person drags at once: the point decodes with the new
    model, the test split is not encoded on the GUI thread, and the map arrives after."""
    session.set_model(tiny_model("mlp", "ae", code_size=2, steps=20), digits)
    z = np.array([0.3, -0.4], np.float32)
    panel.move_point(z)
    assert not panel.map_ready()  # still the background job's to do
    np.testing.assert_allclose(panel.decoded(), session.decode(z[None])[0], atol=1e-6)
    qtbot.waitUntil(panel.map_ready)
    np.testing.assert_allclose(panel.positions(), split_codes(session), atol=1e-5)


def test_new_weights_move_the_dots_in_the_background(
    qtbot, panel, session, tiny_model, monkeypatch
):
    """A refresh is encoded off the GUI thread, then placed a class per event-loop turn."""
    import threading

    threads = []
    original = work.encode

    def spy(model, x, report):  # the real encoding, noting the thread it runs on
        threads.append(threading.current_thread())
        return original(model, x, report)

    monkeypatch.setattr(work, "encode", spy)
    with qtbot.waitSignal(panel.mapRefreshed, timeout=10_000):
        session.apply_weights(tiny_model("mlp", "vae", code_size=2, steps=20).state_dict())
    assert threads and threading.main_thread() not in threads
    np.testing.assert_allclose(panel.positions(), split_codes(session), atol=1e-6)
    np.testing.assert_allclose(panel.dots.shown(), panel.positions(), atol=1e-6)
