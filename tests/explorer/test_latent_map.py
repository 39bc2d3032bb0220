"""The latent map as a person sees it (issue 14): the point stands out and stays in view, the
view follows new codes unless the person moved it, the key never covers a dot, colouring is
the map's own choice, the clicked dot is ringed, and a map of many points stays usable."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QColor

from explorer.panels.latent import view
from explorer.widgets import plotting
from trainer.checkpoint import save
from trainer.data import Dataset, as_float

LONG = 60_000  # ms: generous bounds for a shared, slow CPU; never a speed assertion


def luminance(c: QColor) -> float:
    """WCAG 2 relative luminance."""
    channels = [v / 255 for v in c.getRgb()[:3]]
    lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def in_view(panel, xy) -> bool:
    xy = np.atleast_2d(xy)
    (x0, x1), (y0, y1) = panel.vb.viewRange()
    return bool((xy[:, 0] >= x0).all() and (xy[:, 0] <= x1).all()
                and (xy[:, 1] >= y0).all() and (xy[:, 1] <= y1).all())  # fmt: skip


def point_xy(panel) -> np.ndarray:
    p = panel.target.pos()
    return np.array([p.x(), p.y()])


def settled(panel) -> bool:
    return panel.map_ready() and not panel.busy() and not panel.is_stale()


def shifted(model, by=(40.0, -30.0)):
    """A copy of a 2-d mlp model whose codes lie `by` away (its code layer's bias moved)."""
    other = copy.deepcopy(model)
    with torch.no_grad():
        other.backbone.head.bias[:2] += torch.tensor(by)  # a VAE: the mean comes first
        other.backbone.decoder[0].bias -= other.backbone.decoder[0].weight @ torch.tensor(by)
    return other


@pytest.fixture
def panel(qtbot, make_panel, session):
    p = make_panel("latent", session=session, size=(900, 600))
    qtbot.waitUntil(lambda: settled(p), timeout=LONG)
    return p


def test_point_stands_out_and_stays_in_view_while_training(qtbot, window, choose):
    latent = window.panel("latent")
    window.tabs.show_panel("latent")
    qtbot.waitUntil(lambda: settled(latent), timeout=LONG)
    background = latent.plot.backgroundBrush().color()
    ring, fill = latent.target.pen.color(), latent.target.brush.color()
    assert contrast(ring, background) >= 7  # WCAG AAA against the plot
    assert contrast(ring, fill) >= 7 and fill.alpha() >= 200  # a disc on any backdrop
    for rgb in latent.dots.rgb:  # and against every dot colour
        assert contrast(ring, QColor(*map(int, rgb))) >= 3
    others = [item for item in latent.vb.childGroup.childItems() if item is not latent.target]
    assert latent.dots.items and latent.selection in others  # dots, ring, grid: all under it
    assert latent.target.zValue() > max(item.zValue() for item in others)

    seen = []  # at each refresh: are the point and every dot inside the view?
    latent.mapRefreshed.connect(
        lambda: seen.append(in_view(latent, point_xy(latent)) and in_view(latent, latent.space.xy))
    )
    choose(window, backbone="mlp", objective="ae", epochs=12, batch_size=16)
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    qtbot.waitUntil(lambda: settled(latent), timeout=LONG)
    assert len(seen) >= 2 and all(seen)  # the first map of the new model and its updates
    assert in_view(latent, point_xy(latent)) and in_view(latent, latent.positions())
    codes = latent.session.encode(latent.session.dataset.test_x)
    np.testing.assert_allclose(latent.positions(), codes, atol=1e-5)  # the final weights


def test_a_second_model_elsewhere_is_brought_into_view(qtbot, tmp_path, window, tiny_model):
    latent = window.panel("latent")
    window.tabs.show_panel("latent")
    first = tiny_model("mlp", "ae", code_size=2, steps=40)
    for n, model in enumerate((first, shifted(first))):
        path = save(tmp_path / f"model{n}.safetensors", model, dataset="digits")
        window.open_checkpoint(path)
        qtbot.waitUntil(lambda: settled(latent), timeout=LONG)
        assert in_view(latent, latent.positions()) and in_view(latent, point_xy(latent))
    assert latent.positions()[:, 0].min() > 10  # the second model's codes do lie elsewhere
    # the key sits outside the plot: it covers no dot
    key = QRect(latent.legend.mapTo(latent, QPoint(0, 0)), latent.legend.size())
    plot = QRect(latent.plot.mapTo(latent, QPoint(0, 0)), latent.plot.size())
    assert latent.legend.isVisible() and not key.intersects(plot)
    assert latent.legend.names() == latent.session.dataset.classes


def test_the_view_stays_where_the_person_put_it(qtbot, panel, session, tiny_model):
    viewport = panel.plot.viewport()
    inner = panel.vb.sceneBoundingRect().bottomLeft() + QPointF(25, -25)
    corner = panel.plot.mapFromScene(inner)  # the map's background, far from the point
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=corner)
    for k in range(1, 8):
        qtbot.mouseMove(viewport, corner + QPoint(15 * k, -10 * k))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=corner + QPoint(105, -70))
    kept = panel.vb.viewRange()
    with qtbot.waitSignal(panel.mapRefreshed, timeout=LONG):
        session.apply_weights(shifted(session.model, (5.0, 5.0)).state_dict())
    assert not in_view(panel, panel.positions())  # the codes moved away ...
    np.testing.assert_allclose(panel.vb.viewRange(), kept)  # ... the person's view stayed


def test_the_clusters_tab_leaves_the_colours_to_the_map(qtbot, window):
    latent = window.panel("latent")
    window.tabs.show_panel("latent")
    qtbot.waitUntil(lambda: settled(latent), timeout=LONG)
    classes = latent.session.dataset.classes
    drawn = latent.dots.rgb.copy()
    clusters = window.panel("clusters")
    window.tabs.show_panel("clusters")
    qtbot.waitUntil(lambda: clusters.clusters() is not None, timeout=LONG)
    window.tabs.show_panel("latent")
    assert latent.legend.names() == classes  # opening the tab recoloured nothing
    np.testing.assert_array_equal(latent.dots.rgb, drawn)

    latent.colour_by.setCurrentIndex(latent.colour_by.findData("cluster"))
    ids = clusters.clusters()
    assert latent.legend.names() == [f"cluster {v}" for v in np.unique(ids)]
    assert "Clusters tab" in latent.legend.text()
    np.testing.assert_array_equal(latent.dots.classes, np.unique(ids, return_inverse=True)[1])

    latent.colour_by.setCurrentIndex(latent.colour_by.findData("error"))
    qtbot.waitUntil(lambda: "reconstruction error" in latent.legend.text(), timeout=LONG)
    session = latent.session
    x = as_float(session.dataset.test_x)
    errors = ((torch.as_tensor(session.reconstruct(x)) - x[:, 0]) ** 2).flatten(1).mean(1)
    order = np.argsort(errors.numpy())
    bins = latent.dots.classes
    assert bins[order[0]] == 0 and bins[order[-1]] == bins.max() == 5  # dark small, light large
    assert (np.diff(bins[order]) >= 0).mean() > 0.99  # bins rise with the error

    latent.colour_by.setCurrentIndex(latent.colour_by.findData("label"))
    assert latent.legend.names() == classes


def test_a_click_rings_the_dot_and_a_new_model_clears_it(qtbot, panel, session, tiny_model):
    px, py = panel.vb.viewPixelSize()
    xy = panel.positions() / np.array([px, py])
    d = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    k = int(np.argmax(d.min(1)))  # the most isolated dot on screen
    scene = panel.vb.mapViewToScene(QPointF(*map(float, panel.positions()[k])))
    qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.plot.mapFromScene(scene))  # fmt: skip
    assert panel.selected() == k
    x, y = panel.selection.getData()
    np.testing.assert_allclose([x[0], y[0]], panel.positions()[k], atol=1e-6)
    assert panel.hover_label.text().startswith(f"Picked test #{k}")
    np.testing.assert_allclose(panel.hover_view.item.image, as_float(session.dataset.test_x[k, 0]))
    np.testing.assert_allclose(point_xy(panel), panel.positions()[k], atol=1e-5)

    session.set_model(tiny_model("mlp", "ae", code_size=2, steps=20), session.dataset)
    assert panel.selected() == -1 and len(panel.selection.getData()[0]) == 0
    assert panel.hover_label.text() == view.HOVER_HINT  # no stale hover from the old model
    assert panel.hover_view.item.image is None


def many_points(n: int, digits) -> Dataset:
    """The digits' test split repeated with a little noise to `n` examples."""
    g = torch.Generator().manual_seed(0)
    reps = -(-n // len(digits.test_x))
    x = digits.test_x.repeat(reps, 1, 1, 1)[:n]
    x = (x + 0.05 * torch.rand(x.shape, generator=g)).clamp(0, 1)
    y = digits.test_y.repeat(reps)[:n]
    return Dataset("digits", digits.train_x, x, digits.train_y, y, digits.classes)


def test_a_large_map_is_a_density_image_with_an_index(
    qtbot, make_panel, tiny_model, digits, monkeypatch
):
    threads = []
    original = plotting.spatial_index

    def spy(xy):  # the real index, noting the thread it is built on
        threads.append(threading.current_thread())
        return original(xy)

    monkeypatch.setattr("explorer.panels.latent.refresh.spatial_index", spy)
    data = many_points(30_000, digits)
    panel = make_panel("latent", tiny_model("mlp", "ae", 2, steps=40), data, size=(900, 600))
    qtbot.waitUntil(lambda: settled(panel) and panel.dots.image is not None, timeout=LONG)
    qtbot.waitUntil(lambda: panel.dots.index_for(panel.space.xy) is not None, timeout=LONG)
    assert panel.dots.dense and not panel.dots.items  # one image, no scatter items
    assert threads and threading.main_thread() not in threads
    rgba = panel.dots.image.image
    assert rgba.dtype == np.uint8 and rgba.shape[2] == 4 and (rgba[..., 3] > 0).any()
    np.testing.assert_array_equal(panel.dots.shown(), panel.positions())
    assert in_view(panel, panel.positions())

    xy = panel.positions()
    px, py = panel.vb.viewPixelSize()
    for k in (0, 777, 29_999):  # the index answers what a search of every dot would
        scene = panel.vb.mapViewToScene(QPointF(*map(float, xy[k] + [2 * px, 1 * py])))
        d = ((xy - (xy[k] + [2 * px, py])) / [px, py]) ** 2
        assert panel.dots.nearest(xy, panel.vb, scene) == int(np.argmin(d.sum(1)))
    with qtbot.waitSignal(panel.session.examplePicked) as picked:
        pos = panel.plot.mapFromScene(panel.vb.mapViewToScene(QPointF(*map(float, xy[777]))))
        qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert np.allclose(xy[picked.args[0]], xy[777], atol=2 * max(px, py))

    with qtbot.waitSignal(panel.mapRefreshed, timeout=LONG):  # new weights: a new image
        panel.session.apply_weights(tiny_model("mlp", "ae", 2, steps=20).state_dict())
    codes = panel.session.encode(data.test_x)
    np.testing.assert_allclose(panel.dots.shown(), codes, atol=1e-5)
