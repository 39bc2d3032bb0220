"""The denoise panel: painting with the mouse, noise, files, the banner, and real repairs."""

from __future__ import annotations

import functools
import re
import struct
import zlib

import numpy as np
import torch
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QSlider, QWidget
from tiny import adam_steps

from explorer.panels import PANELS
from explorer.panels.denoise import DenoisePanel
from models import ModelConfig, build
from models.corruption import corrupt
from trainer.data import Dataset, as_float, load


@functools.lru_cache(maxsize=1)
def _denoiser(steps: int = 400):
    """A small conv denoising autoencoder trained on digits, each batch freshly corrupted
    by gaussian noise or a watermark in turn."""
    config = ModelConfig(
        backbone="conv", objective="denoising", input_shape=(1, 8, 8), code_size=16,
        hidden=[16, 32], noise="gaussian:0.5",
    )  # fmt: skip

    def pair(clean, g, step):
        return corrupt(clean, ("gaussian:0.5", "watermark:0.8")[step % 2], generator=g), clean

    return adam_steps(config, load("digits"), steps, pair, batch=64)


def _one_sentence(html: str) -> str:
    text = re.sub("<[^>]+>", "", html).strip()
    assert text.endswith("."), text
    assert len(re.findall(r"[.!?](\s|$)", text)) == 1, text
    return text


def _footprint(shape, points, radius) -> np.ndarray:
    """Pixels whose centres are within radius (>= 0.71, so every pixel the stroke crosses
    counts too) of the polyline through points (x, y)."""
    centres = (np.indices(shape)[::-1].reshape(2, -1).T + 0.5).astype(np.float64)  # (x, y)
    hit = np.zeros(len(centres), bool)
    for a, b in zip(np.array(points[:1] + points[:-1]), np.array(points)):
        along = b - a
        t = (centres - a) @ along / along.dot(along) if along.any() else np.zeros(len(centres))
        nearest = a + np.clip(t, 0, 1)[:, None] * along
        hit |= np.linalg.norm(centres - nearest, axis=1) <= radius
    return hit.reshape(shape)


def test_panel_is_registered_with_the_contract_names(qtbot, session, make_panel):
    assert ("denoise", "Denoise", DenoisePanel) in PANELS
    panel = make_panel("denoise", session=session, size=(1100, 650))
    assert panel.objectName() == "denoisePanel"
    assert panel.findChild(QWidget, "denoiseCanvas") is panel.canvas
    assert isinstance(panel.findChild(QSlider, "noiseSlider"), QSlider)


def test_stroke_changes_exactly_the_pixels_under_it_and_undo_restores(
    qtbot, session, digits, make_panel
):
    panel = make_panel("denoise", session=session, size=(1100, 650))
    panel.set_noise("gaussian", 0.0)
    panel.show_test_image(5)
    panel.size_slider.setValue(3)
    panel.ink_slider.setValue(37)  # 0.37 is no digits value (those are multiples of 1/16)
    before = panel.corrupted().copy()
    canvas = panel.canvas
    rect = canvas.image_rect()
    pixel = rect.width() / 8
    spots = [
        QPoint(int(rect.x() + pixel * x), int(rect.y() + pixel * y))
        for x, y in ((1.3, 1.7), (4.1, 2.6), (6.6, 6.2))
    ]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=spots[0])
    for spot in spots[1:]:
        qtbot.mouseMove(canvas, spot)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=spots[-1])
    after = panel.corrupted()
    points = [canvas.map_to_image(QPointF(spot)) for spot in spots]
    expected = _footprint((8, 8), points, radius=1.5)
    assert 8 < expected.sum() < 60
    np.testing.assert_array_equal(after != before, expected)
    np.testing.assert_allclose(after[expected], 0.37, atol=1e-6)
    assert not np.allclose(panel.denoised(), session.reconstruct(digits.test_x[5:6])[0])

    panel.activateWindow()
    qtbot.waitActive(panel)
    canvas.setFocus()
    QTest.keyClick(panel.windowHandle(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(panel.corrupted(), before)


def test_a_one_pixel_brush_paints_the_pixel_under_the_cursor_and_undo_button(
    qtbot, session, make_panel
):
    panel = make_panel("denoise", session=session, size=(1100, 650))
    panel.set_noise("gaussian", 0.0)
    panel.ink_slider.setValue(37)
    rect = panel.canvas.image_rect()
    pixel = rect.width() / 8
    for x, y in ((2.0, 5.0), (2.5, 5.5), (6.97, 0.02)):  # a corner, a centre, near an edge
        before = panel.corrupted().copy()
        spot = QPoint(round(rect.x() + pixel * x), round(rect.y() + pixel * y))
        qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=spot)
        col, row = (int(v) for v in panel.canvas.map_to_image(QPointF(spot)))
        changed = np.argwhere(panel.corrupted() != before)
        np.testing.assert_array_equal(changed, [[row, col]])
        qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
        np.testing.assert_array_equal(panel.corrupted(), before)


def test_eraser_restores_clean_pixels_and_text_stamps_where_clicked(
    qtbot, session, digits, make_panel
):
    panel = make_panel("denoise", session=session, size=(1100, 650))
    panel.show_test_image(3)
    panel.set_noise("salt_pepper", 0.5)
    clean = as_float(digits.test_x[3, 0]).numpy()
    noisy = panel.corrupted().copy()
    assert (noisy != clean).sum() > 10
    panel.set_tool("eraser")
    panel.size_slider.setValue(4)
    rect = panel.canvas.image_rect()
    centre = rect.center().toPoint()
    qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=centre)
    erased = _footprint((8, 8), [panel.canvas.map_to_image(QPointF(centre))], radius=2.0)
    np.testing.assert_array_equal(panel.corrupted()[erased], clean[erased])
    np.testing.assert_array_equal(panel.corrupted()[~erased], noisy[~erased])

    panel.set_noise("gaussian", 0.0)
    panel.canvas.clear()
    before = panel.corrupted().copy()
    panel.set_tool("text")
    panel.text_edit.setText("X")
    panel.opacity_slider.setValue(100)
    corner = QPoint(int(rect.x() + rect.width() * 0.2), int(rect.y() + rect.height() * 0.2))
    qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=corner)
    changed = np.abs(panel.corrupted() - before) > 0.05
    assert changed.any() and changed[:4, :4].sum() > changed[4:, 4:].sum()
    panel.canvas.undo()
    np.testing.assert_array_equal(panel.corrupted(), before)


def test_noise_is_seeded_and_follows_the_slider(qtbot, session, make_panel):
    panel = make_panel("denoise", session=session, size=(1100, 650))
    panel.set_noise("gaussian", 0.4)
    first = panel.corrupted().copy()
    panel.set_noise("gaussian", 0.4)
    np.testing.assert_array_equal(panel.corrupted(), first)
    panel.new_noise()
    assert not np.array_equal(panel.corrupted(), first)
    slider = panel.findChild(QSlider, "noiseSlider")
    slider.setValue(0)
    np.testing.assert_array_equal(panel.corrupted(), panel.canvas.clean[..., 0])
    assert panel.psnr()[0] == float("inf")
    for kind in ("salt_pepper", "mask", "watermark"):
        panel.kind_combo.setCurrentText(kind)
        slider.setValue(60)
        assert np.abs(panel.corrupted() - panel.canvas.clean[..., 0]).max() > 0.2, kind


def test_a_denoising_model_raises_psnr(make_panel):
    panel = make_panel("denoise", _denoiser(), size=(1100, 650))
    assert panel.banner.isHidden()
    figures = {}
    panel.set_noise("gaussian", 0.6)
    pairs = []
    for index in range(0, 60, 3):
        panel.show_test_image(index)
        pairs.append(panel.psnr())
    figures["gaussian 0.6"] = np.mean(pairs, axis=0)

    panel.set_noise("gaussian", 0.0)
    panel.opacity_slider.setValue(80)
    pairs = []
    for index in range(0, 60, 3):
        panel.show_test_image(index)
        panel.canvas.stamp_text("AE", at=(4.0, 4.0))
        panel.canvas.paint_segment((0.5, 6.5), (7.5, 1.5))  # a stroke across the digit
        pairs.append(panel.psnr())
    figures["stamp + stroke"] = np.mean(pairs, axis=0)
    print("\ndenoise PSNR (damaged dB, repaired dB):", {k: v.round(2) for k, v in figures.items()})
    for noisy_db, repaired_db in figures.values():
        assert repaired_db > noisy_db + 3.0


def test_banner_for_other_objectives_requests_a_denoising_twin(qtbot, session, digits, make_panel):
    panel = make_panel("denoise", session=session, size=(1100, 650))  # the session holds a VAE
    assert panel.banner.isVisible()
    assert "only a denoising autoencoder" in panel.banner_text.text()
    panel.bundled_check.setChecked(False)
    assert "expect damage in its output" in panel.banner_text.text()
    damaged = torch.from_numpy(panel.corrupted())[None, None]
    np.testing.assert_allclose(panel.denoised(), session.reconstruct(damaged)[0], atol=1e-6)
    panel.set_noise("mask", 0.4)
    with qtbot.waitSignal(session.trainRequested) as request:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    config = request.args[0]
    assert config.objective == "denoising" and config.noise == "mask:0.4"
    assert config.backbone == "mlp" and config.code_size == 2 and config.hidden == [64, 32]
    assert session.config.objective == "vae"  # a copy, not the live config

    session.set_model(_denoiser(), digits)
    assert panel.banner.isHidden()


def test_bundled_denoiser_repairs_digits_from_the_start(qtbot, session, make_panel):
    panel = make_panel("denoise", session=session, size=(1100, 650))  # the session: a VAE
    assert panel.bundled_check.isVisible() and panel.bundled_check.isChecked()
    assert (
        panel.repairer() is not session.model and panel.repairer().config.objective == "denoising"
    )
    assert "bundled" in panel.out_title.text()
    pairs = []
    for index in range(0, 40, 4):
        panel.show_test_image(index)
        panel.set_noise("gaussian", 0.5)
        pairs.append(panel.psnr())
    noisy_db, repaired_db = np.mean(pairs, axis=0)
    print(f"\nbundled denoiser, gaussian 0.5: {noisy_db:.2f} dB -> {repaired_db:.2f} dB")
    assert repaired_db > noisy_db + 3.0


def test_refreshes_on_a_model_change(qtbot, session, digits, make_panel):
    panel = make_panel("denoise", session=session, size=(1100, 650))
    panel.use_bundled(False)
    panel.show_test_image(7)
    first = panel.denoised().copy()
    torch.manual_seed(1)
    session.set_model(build(ModelConfig(backbone="mlp", code_size=4)).eval(), digits)
    damaged = torch.from_numpy(panel.corrupted())[None, None]
    np.testing.assert_allclose(panel.denoised(), session.reconstruct(damaged)[0], atol=1e-6)
    assert not np.allclose(panel.denoised(), first)

    colour = Dataset(
        name="colour",
        train_x=torch.rand(4, 3, 16, 16),
        test_x=torch.rand(4, 3, 16, 16),
        train_y=torch.zeros(4, dtype=torch.long),
        test_y=torch.zeros(4, dtype=torch.long),
        classes=["all"],
    )
    config = ModelConfig(backbone="conv", input_shape=(3, 16, 16), code_size=4, hidden=[8])
    session.set_model(build(config).eval(), colour)
    assert panel.corrupted().shape == panel.denoised().shape == (16, 16, 3)
    assert panel.colour_button.isVisible() and not panel.ink_slider.isVisible()


def test_saves_repaired_and_damaged_as_png(qtbot, session, tmp_path, make_panel):
    panel = make_panel("denoise", session=session, size=(1100, 650))
    panel.set_noise("gaussian", 0.5)
    for which, image in (("repaired", panel.denoised()), ("damaged", panel.corrupted())):
        saved = np.asarray(Image.open(panel.save_png(tmp_path / f"{which}.png", which)))
        np.testing.assert_array_equal(saved, np.round(image * 255).astype(np.uint8))


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (a decompression bomb's opening)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_opening_files_converts_or_refuses_in_one_sentence(qtbot, session, tmp_path, make_panel):
    panel = make_panel("denoise", session=session, size=(1100, 650))
    gradient = np.zeros((48, 64, 3), np.uint8)
    gradient[..., 0] = np.linspace(0, 255, 64, dtype=np.uint8)
    Image.fromarray(gradient).save(tmp_path / "colour.jpg")
    Image.new("L", (5000, 5000), 200).save(tmp_path / "huge.png")
    Image.new("RGB", (1, 1), (255, 255, 255)).save(tmp_path / "dot.png")
    good = (tmp_path / "colour.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(good[: len(good) * 4 // 5])
    (tmp_path / "broken.jpg").write_bytes(good[: len(good) // 3])
    (tmp_path / "notes.png").write_text("these are notes, not pixels\n")
    (tmp_path / "bomb.png").write_bytes(_png_claiming(60000, 60000))
    (tmp_path / "big.png").write_bytes(_png_claiming(8000, 8000))

    assert panel.open_image(tmp_path / "colour.jpg")
    note = _one_sentence(panel.source_label.text())
    assert "64 x 48 colour -> 8 x 8 grey" in note and "colour turned to grey" in note
    assert "centre cropped" in note and "shrunk" in note
    clean = panel.canvas.clean[..., 0]
    assert clean[:, 0].mean() < clean[:, -1].mean()  # red grows to the right, so grey does too
    assert panel.open_image(tmp_path / "huge.png")
    assert "5000 x 5000 grey -> 8 x 8 grey" in _one_sentence(panel.source_label.text())
    np.testing.assert_allclose(panel.canvas.clean, 200 / 255, atol=1e-6)
    assert panel.open_image(tmp_path / "dot.png")
    assert "enlarged" in _one_sentence(panel.source_label.text())
    np.testing.assert_allclose(panel.canvas.clean, 1.0)

    for name, words in (
        ("cut.jpg", "damaged"),
        ("broken.jpg", "damaged"),
        ("notes.png", "not an image"),
        ("bomb.png", "too large"),
        ("big.png", "megapixels"),
        ("missing.png", "not a file"),
    ):
        assert not panel.open_image(tmp_path / name)
        assert words in _one_sentence(panel.message.text()), name
        np.testing.assert_allclose(panel.canvas.clean, 1.0)  # the last good image stays

    panel.set_noise("gaussian", 0.5)
    assert panel.denoised().shape == (8, 8) and np.isfinite(panel.psnr()[0])
    assert panel.open_image(tmp_path / "colour.jpg") and panel.message.text() == ""
