"""The Colourise panel: the bundled colouriser on its test images and on files, the banner for
models that do not colourise, broken files, saving."""

from __future__ import annotations

import math
import re

import numpy as np
import torch
from PIL import Image
from PySide6.QtCore import Qt

from explorer.bundled import COLOURISER, bundled_colouriser
from explorer.panels import PANELS
from explorer.panels.colourise import ColourisePanel
from models.colour import grey3
from trainer.data import as_float

WAIT = 120_000  # ms: the bundled colouriser's data is drawn on first use


def _bundled_panel(qtbot, make_panel, session):
    panel = make_panel("colourise", session=session, size=(1100, 700))
    qtbot.waitUntil(panel.using_bundled, timeout=WAIT)
    return panel


def test_bundled_colouriser_colours_test_images_better_than_grey(qtbot, session, make_panel):
    assert ("colourise", "Colourise", ColourisePanel) in PANELS
    panel = _bundled_panel(qtbot, make_panel, session)  # the session: a grey digits VAE
    model, data = bundled_colouriser()
    assert panel.objectName() == "colourisePanel" and data.name == "shapes-colour"
    gains = []
    for index in (0, 7, 31):
        panel.index_spin.setValue(index)  # the spin box, as a person picks one
        grey, out, truth = panel.images()
        for image in (grey, out, truth):
            assert image.shape == (32, 32, 3) and image.dtype == np.float32
            assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1
        np.testing.assert_allclose(truth, as_float(data.test_x[index]).permute(1, 2, 0).numpy())
        np.testing.assert_allclose(
            grey, grey3(as_float(data.test_x[index : index + 1]))[0].permute(1, 2, 0)
        )
        p = panel.psnrs()
        assert all(math.isfinite(v) for v in p.values()) and len(p) == 4
        gains.append(p["colour_psnr_db"] - p["grey_psnr_db"])
    assert min(gains) > 3  # the colouriser clearly beats the grey image (measured ~9 dB)
    assert "bundled colouriser" in panel.titles[1].text()


def test_next_and_previous_step_through_the_test_split(qtbot, session, make_panel):
    panel = _bundled_panel(qtbot, make_panel, session)
    panel.show_test(0)
    first = panel.images()[2].copy()
    panel.next_image()
    assert panel.index_spin.value() == 1 and not np.array_equal(panel.images()[2], first)
    panel.previous_image()
    panel.previous_image()
    assert panel.index_spin.value() == panel.index_spin.maximum()  # wraps to the last


def test_banner_for_a_grey_model_offers_training_and_the_bundled_one(qtbot, session, make_panel):
    panel = make_panel("colourise", session=session, size=(1100, 700))
    assert panel.banner.isVisible()
    text = re.sub("<[^>]+>", "", panel.banner_text.text())
    assert "objective is vae" in text and "not trained to colour" in text and "grey" in text
    panel.bundled_check.setChecked(False)  # the session's own model: grey in, grey out
    grey, out, truth = panel.images()
    assert grey.shape == out.shape == truth.shape == (8, 8) and panel.psnrs() == {}
    np.testing.assert_allclose(out, session.reconstruct(torch.from_numpy(truth)[None, None])[0])
    with qtbot.waitSignal(session.trainRequested) as request:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    config, dataset = request.args[0]
    assert dataset == "shapes-colour" and config.objective == "colourise"
    assert config.input_shape == (3, 32, 32) and config.backbone == "conv"
    config.validate()
    assert session.config.objective == "vae"  # a copy, not the live config


def test_banner_on_colour_data_trains_a_twin_and_opens_the_bundled_one(
    qtbot, make_session, tiny_model, make_panel
):
    model = tiny_model("conv", "ae", 8, channels=3, steps=30)
    session = make_session(model)
    panel = make_panel("colourise", session=session, size=(1100, 700))
    assert panel.banner.isVisible() and panel.open_bundled_button.isVisible()
    with qtbot.waitSignal(session.trainRequested) as request:
        panel.train_colouriser()
    config, dataset = request.args[0]
    assert dataset == "shapes-colour" and config.objective == "colourise"
    assert (config.backbone, config.code_size, config.hidden) == ("conv", 8, [16, 32])
    with qtbot.waitSignal(session.openRequested) as opened:
        qtbot.mouseClick(panel.open_bundled_button, Qt.MouseButton.LeftButton)
    assert opened.args[0] == COLOURISER

    session.set_model(tiny_model("conv", "colourise", 8, channels=3, steps=30), session.dataset)
    assert panel.banner.isHidden() and not panel.using_bundled()
    grey, out, truth = panel.images()
    assert out.shape == (16, 16, 3) and math.isfinite(panel.psnrs()["colour_psnr_db"])


def test_any_image_file_is_coloured_at_the_model_size(qtbot, session, make_panel, tmp_path):
    panel = _bundled_panel(qtbot, make_panel, session)
    rng = np.random.default_rng(0)
    photo = (rng.random((120, 90, 3)) * 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    assert panel.open_image(tmp_path / "photo.png")
    grey, out, truth = panel.images()
    assert grey.shape == out.shape == truth.shape == (32, 32, 3)
    assert "photo.png" in panel.source_label.text() and math.isfinite(
        panel.psnrs()["colour_psnr_db"]
    )
    Image.fromarray(photo[..., 0]).save(tmp_path / "old.png")  # a black-and-white picture
    assert panel.open_image(tmp_path / "old.png")
    assert panel.psnrs() == {} and "grey" in panel.source_label.text()
    assert panel.images()[1].shape == (32, 32, 3)

    saved = panel.save_png(tmp_path / "result")
    assert saved.name == "result.png"
    with Image.open(saved) as image:
        assert image.size == (32, 32) and image.mode == "RGB"
        np.testing.assert_allclose(
            np.asarray(image) / 255, panel.images()[1], atol=0.5 / 255 + 1e-6
        )


def test_a_broken_file_is_one_sentence_and_keeps_the_image(qtbot, session, make_panel, tmp_path):
    panel = _bundled_panel(qtbot, make_panel, session)
    panel.show_test(4)
    before = [a.copy() for a in panel.images()]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert not panel.open_image(broken)
    text = re.sub("<[^>]+>", "", panel.message.text()).strip()
    assert "broken.png" in text and text.endswith(".")
    assert len(re.findall(r"[.!?](\s|$)", text)) == 1, text
    for a, b in zip(before, panel.images()):
        np.testing.assert_array_equal(a, b)
    assert panel.index_spin.value() == 4


def test_a_dropped_file_is_coloured(qtbot, session, make_panel, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    panel = _bundled_panel(qtbot, make_panel, session)
    photo = np.zeros((40, 60, 3), np.uint8)
    photo[:, :30] = (200, 40, 40)
    Image.fromarray(photo).save(tmp_path / "red.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "red.png"))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    panel.dropEvent(event)
    assert "red.png" in panel.source_label.text()
    truth = panel.images()[2]
    assert truth.shape == (32, 32, 3) and truth[:, :8, 0].min() > 0.7  # red on the left


def test_the_window_opens_the_bundled_colouriser_and_trains_one(qtbot, window):
    panel = window.panel("colourise")
    window.tabs.show_panel("colourise")
    qtbot.waitUntil(panel.using_bundled, timeout=WAIT)
    window.session.openRequested.emit(COLOURISER)  # what "Open the bundled colouriser" sends
    assert window.session.model.colourises and window.session.path == COLOURISER
    assert panel.banner.isHidden() and not panel.using_bundled()
    assert math.isfinite(panel.psnrs()["colour_psnr_db"])
    config = window.session.config.copy()
    config.objective = "ae"
    window.session.trainRequested.emit((config, "shapes-colour"))  # a request with its data
    assert window.is_training() and window.form.dataset.currentData() == "shapes-colour"
    assert window.form.objective.currentData() == "ae"
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=WAIT)
