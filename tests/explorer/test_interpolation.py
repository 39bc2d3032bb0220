"""Interpolation: the ends are the reconstructions, the strip and GIF exports, endpoint picking."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from explorer.panels.interpolation import InterpolationPanel


def split_codes(session) -> np.ndarray:
    """The codes of the session's whole test split (what the map shows)."""
    return session.encode(session.dataset.test_x)


@pytest.fixture
def session(make_session, tiny_model):
    """A 3-d plain autoencoder: its reconstructions of different digits differ clearly."""
    return make_session(tiny_model("mlp", "ae", code_size=3, steps=150))


@pytest.fixture
def panel(make_panel, session) -> InterpolationPanel:
    return make_panel("interpolation", session=session, size=(800, 600))


def _recon(session, i):
    return session.reconstruct(session.dataset.test_x[i : i + 1])[0]


@pytest.mark.parametrize("mode", [0, 1], ids=["linear", "spherical"])
def test_ends_are_the_reconstructions(qtbot, panel, session, mode):
    panel.mode.setCurrentIndex(mode)
    panel.set_endpoints(3, 10)
    slider = panel.findChild(type(panel.slider), "interpolationSlider")
    assert (slider.minimum(), slider.maximum()) == (0, 100)
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    assert slider.value() == 0
    np.testing.assert_allclose(panel.decoded(), _recon(session, 3), atol=1e-5)
    qtbot.keyClick(slider, Qt.Key.Key_End)
    np.testing.assert_allclose(panel.decoded(), _recon(session, 10), atol=1e-5)
    slider.setValue(50)
    middle = panel.decoded()
    assert middle.min() >= 0 and middle.max() <= 1
    assert np.abs(middle - _recon(session, 3)).max() > 0.02
    assert np.abs(middle - _recon(session, 10)).max() > 0.02


def test_spherical_and_linear_differ_in_between(panel, session):
    codes = split_codes(session)[:50]
    unit = codes / np.linalg.norm(codes, axis=1, keepdims=True)
    a, b = np.unravel_index(np.argmin(unit @ unit.T), (50, 50))  # the widest angle
    panel.set_endpoints(int(a), int(b))
    linear = panel.frames(5)
    panel.mode.setCurrentIndex(1)
    spherical = panel.frames(5)
    np.testing.assert_allclose(linear[[0, -1]], spherical[[0, -1]], atol=1e-5)
    assert np.abs(linear[2] - spherical[2]).max() > 0.02


def test_strip_png_and_gif_have_the_chosen_frames(panel, session, tmp_path):
    panel.set_endpoints(1, 30)
    panel.frames_spin.setValue(7)
    assert panel.strip.item.image.shape[1] == 7 * (8 + 1) + 1  # 7 tiles with 1-px gaps
    gif = panel.export_gif(tmp_path / "morph.gif")
    with Image.open(gif) as im:
        assert im.n_frames == 7
        assert min(im.size) >= 96
    png = panel.export_png(tmp_path / "strip.png", n=4)
    with Image.open(png) as im:
        w, h = im.size
    k = h // (8 + 2)  # whole-number enlargement of one row of 8x8 tiles with 1-px borders
    assert h >= 96 and w == k * (4 * 9 + 1)
    frames = panel.frames(4)
    np.testing.assert_allclose(frames[0], _recon(session, 1), atol=1e-5)
    np.testing.assert_allclose(frames[-1], _recon(session, 30), atol=1e-5)


def test_map_clicks_set_a_then_b(panel, session):
    panel.set_endpoints(0, 1)
    for index, expected in ((5, (5, 1)), (9, (5, 9)), (2, (2, 9))):
        session.examplePicked.emit(index)
        assert (panel.spin_a.value(), panel.spin_b.value()) == expected
    panel.slider.setValue(0)
    np.testing.assert_allclose(panel.decoded(), _recon(session, 2), atol=1e-5)
    with pytest.raises(ValueError, match="out of range"):
        panel.set_endpoints(0, len(session.dataset.test_x))


def test_refreshes_on_new_weights_and_a_new_model(panel, session, tiny_model, digits):
    panel.set_endpoints(4, 8)
    panel.slider.setValue(0)
    session.apply_weights(tiny_model("mlp", "ae", code_size=3, steps=40).state_dict())
    np.testing.assert_allclose(panel.decoded(), _recon(session, 4), atol=1e-5)
    session.set_model(tiny_model("mlp", "vae", code_size=2, steps=60), digits)  # a new code size
    np.testing.assert_allclose(panel.decoded(), _recon(session, 4), atol=1e-5)
    panel.slider.setValue(100)
    np.testing.assert_allclose(panel.decoded(), _recon(session, 8), atol=1e-5)
