"""The sample gallery: reproducible seeds, the prior, clicks to the map, saving, refreshes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QDoubleSpinBox, QPushButton

from explorer.panels.samples import FIT_EXAMPLES, SamplePanel


@pytest.fixture
def panel(make_panel, session) -> SamplePanel:
    return make_panel("samples", session=session, size=(700, 600))


def test_gallery_is_reproducible_for_a_seed_and_changes_on_reseed(qtbot, panel):
    panel.reseed(3)
    first = panel.samples()
    assert first.shape == (64, 8, 8) and first.dtype == np.float32
    assert first.min() >= 0 and first.max() <= 1
    panel.reseed(4)
    assert not np.allclose(panel.samples(), first)
    panel.reseed(3)
    np.testing.assert_array_equal(panel.samples(), first)
    button = panel.findChild(QPushButton, "reseedButton")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not np.allclose(panel.samples(), first)
    assert panel.seed_label.text() != "seed 3"


def test_vae_samples_the_prior_and_temperature_scales_it(panel, session):
    assert "N(0, I)" in panel.prior_label.text()
    spin = panel.findChild(QDoubleSpinBox, "temperatureSpin")
    panel.reseed(1)
    wide = panel.codes()
    spin.setValue(0.5)
    np.testing.assert_allclose(panel.codes(), 0.5 * wide, rtol=1e-5, atol=1e-6)
    spin.setValue(0.0)
    zero = session.decode(np.zeros((1, 2)))[0]
    np.testing.assert_allclose(panel.samples(), np.broadcast_to(zero, (64, 8, 8)), atol=1e-6)
    panel.grid_spin.setValue(3)
    assert panel.samples().shape == (9, 8, 8)


def test_other_objectives_sample_a_gaussian_fitted_to_training_codes(
    qtbot, digits, tiny_model, make_panel
):
    panel = make_panel("samples", tiny_model("mlp", "ae", code_size=4, steps=40), show=False)
    session = panel.session
    assert "fitted to its training codes" in panel.prior_label.text()
    codes = session.encode(digits.train_x[:FIT_EXAMPLES])
    panel.temperature.setValue(0.0)
    np.testing.assert_allclose(panel.codes(), np.broadcast_to(codes.mean(0), (64, 4)), atol=1e-5)
    panel.temperature.setValue(1.0)
    panel.grid_spin.setValue(16)  # 256 draws: their spread follows the fitted covariance
    np.testing.assert_allclose(panel.codes().std(0), codes.std(0), rtol=0.3)


def test_clicking_a_sample_moves_the_latent_point(qtbot, panel, session, make_panel):
    latent = make_panel("latent", session=session, show=False)
    panel.grid_spin.setValue(4)
    r, c = 2, 1
    pixel = QPointF(1 + c * 9 + 4, 1 + r * 9 + 4)  # the middle of tile (r, c): 8x8 + 1-px gaps
    pos = panel.view.mapFromScene(panel.view.item.mapToScene(pixel))
    with qtbot.waitSignal(session.codeRequested) as requested:
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    code = panel.codes()[r * 4 + c]
    np.testing.assert_array_equal(requested.args[0], code)
    np.testing.assert_array_equal(latent.point(), code)
    np.testing.assert_allclose(latent.decoded(), panel.samples()[r * 4 + c], atol=1e-6)


def test_save_png(panel, tmp_path):
    panel.grid_spin.setValue(3)
    path = panel.save(tmp_path / "samples.png")
    with Image.open(path) as im:
        assert im.size[0] == im.size[1] >= 3 * 48


def test_refreshes_on_new_weights_and_a_new_model(qtbot, panel, session, tiny_model, digits):
    panel.reseed(0)
    before = panel.samples()
    session.apply_weights(tiny_model("mlp", "vae", code_size=2, steps=20).state_dict())
    after = panel.samples()
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, session.decode(panel.codes()), atol=1e-6)
    session.set_model(tiny_model("linear", "ae", code_size=3, steps=20), digits)
    assert panel.codes().shape == (64, 3)
    assert "fitted" in panel.prior_label.text()
    np.testing.assert_allclose(panel.samples(), session.decode(panel.codes()), atol=1e-6)
