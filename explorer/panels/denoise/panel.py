"""The denoise panel: damage an image (paint, stamp text, add noise) and watch a model repair it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QColorDialog, QFileDialog

from explorer.bundled import bundled_denoiser
from explorer.panels.base import Panel
from explorer.panels.denoise import controls
from explorer.session import to_images
from explorer.widgets.exports import ask_path, error_text, tell_saved
from explorer.widgets.image_io import ImageFileError, open_image
from explorer.widgets.images import channels_last, save_png, squeeze
from models.corruption import parse_noise
from trainer.data.base import as_float

RED, GREEN = "#b00020", "#1b7f3b"


def _psnr(clean, other) -> float:
    from trainer.analysis import psnr  # late: it pulls in scikit-learn

    return psnr(clean, other)


def _db(value: float) -> str:
    return "identical" if value == float("inf") else f"{value:.1f} dB"


class DenoisePanel(Panel):
    """Clean, damaged (the canvas) and repaired images side by side, with the PSNR of each.

    The repair is the panel's stale part: any change of the damage or the weights redraws it
    at most once per COALESCE_MS while shown.
    """

    COALESCE_MS = 16  # while painting, the output is decoded at most once per this many ms

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("denoisePanel")
        self._source: tuple = ("none",)
        self._out: np.ndarray | None = None
        self._bundled_wanted = True  # the person's choice, kept across model changes
        self._rng = np.random.default_rng()
        self._build()
        self.setEnabled(False)  # until there is a model
        self.follow_session()

    def _build(self) -> None:
        controls.layout(self)
        self.kind_combo = self.noise_box.kind_combo
        self.noise_slider = self.noise_box.noise_slider
        self.noise_box.changed.connect(self.noise_changed)
        self.canvas.changed.connect(self.mark_stale)
        self.canvas.fileDropped.connect(self.open_image)
        self.show_difference(False)
        QShortcut(
            QKeySequence.StandardKey.Undo,
            self,
            self.canvas.undo,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )

    # -- the model -------------------------------------------------------------------------
    def model_changed(self) -> None:
        """A new model or dataset: match its shape, noise and objective."""
        config, data = self.session.config, self.session.dataset
        self.setEnabled(self.ready())
        if not self.ready():
            return
        c, h, w = config.input_shape
        self.paint_form.setRowVisible(self.ink_row, c == 1)
        self.paint_form.setRowVisible(self.colour_button, c == 3)
        self.set_ink(np.resize(self.canvas.ink, c))
        self.size_slider.setMaximum(max(4, min(h, w) // 2))
        self.noise_box.set_noise(*parse_noise(config.noise), quiet=True)
        self.index_spin.blockSignals(True)
        self.index_spin.setRange(0, len(data.test_x) - 1)
        self.index_spin.blockSignals(False)
        self._update_banner()
        kind = self._source[0]
        if (
            kind == "none"
            or (kind == "test" and self._source[1] is not data)
            or (self.canvas.clean.shape != (h, w, c))
        ):
            self.show_test_image(self.index_spin.value())
        else:
            self.canvas.set_base(self.noise_box.apply(self.canvas.clean))
        self.mark_stale(now=True)

    def _denoises(self) -> bool:
        """Whether the session's model was trained to remove a corruption."""
        return self.session.model.corruption is not None

    def _bundled(self):
        """The bundled denoiser when the session's model isn't one and one fits, else None."""
        if not self.ready() or self._denoises():
            return None
        return bundled_denoiser(self.session.dataset.name, tuple(self.session.config.input_shape))

    def repairer(self):
        """The model that repairs: the session's, or the bundled denoiser when chosen."""
        bundled = self._bundled()
        return bundled if bundled is not None and self._bundled_wanted else self.session.model

    def use_bundled(self, on: bool) -> None:
        self._bundled_wanted = bool(on)
        self._update_banner()
        self.mark_stale()

    def _update_banner(self) -> None:
        config, bundled = self.session.config, self._bundled()
        self.banner.setVisible(not self._denoises())
        self.bundled_check.setVisible(bundled is not None)
        self.bundled_check.blockSignals(True)
        self.bundled_check.setChecked(self._bundled_wanted)
        self.bundled_check.blockSignals(False)
        using = self.repairer() is bundled and bundled is not None
        then = "the bundled denoiser repairs here" if using else "expect damage in its output"
        self.banner_text.setText(
            f"This model's objective is <b>{config.objective}</b>: only a denoising autoencoder "
            f"was trained for this, so {then}."
        )
        self.out_title.setText("Repaired (bundled denoiser)" if using else "Repaired by the model")

    def train_denoising(self) -> None:
        """Ask the window to train a denoising model of this shape with the panel's noise."""
        config = self.session.config.copy()
        kind, level = self.noise()
        config.objective = "denoising"
        config.noise = f"{kind}:{round(level, 3) if level > 0 else 0.3}"
        self.session.trainRequested.emit(config)

    # -- sources ---------------------------------------------------------------------------
    def _shape(self) -> tuple[int, int, int]:
        return tuple(self.session.config.input_shape)

    def _load(self, clean: np.ndarray, source: tuple, note: str) -> None:
        clean = channels_last(np.clip(clean, 0.0, 1.0))
        self._source = source
        self.canvas.set_clean(clean, self.noise_box.apply(clean))
        self.clean_view.set_image(clean)
        self.source_label.setText(note)
        self.message.setText("")

    def set_image(self, array) -> None:
        """Use `array` ([H, W] or [H, W, C] in [0, 1], the model's H x W) as the clean image."""
        array = channels_last(np.asarray(array, dtype=np.float32))
        c, h, w = self._shape()
        if array.shape[:2] != (h, w) or array.shape[2] not in (1, 3):
            raise ValueError(f"the image must be {h} x {w} (x 1 or 3), not {array.shape}.")
        if array.shape[2] != c:
            array = array.mean(2, keepdims=True) if c == 1 else np.repeat(array, 3, axis=2)
        self._load(array, ("array",), "An image given by code.")

    def show_test_image(self, index: int) -> None:
        data = self.session.dataset
        index = int(np.clip(index, 0, len(data.test_x) - 1))
        self.index_spin.blockSignals(True)
        self.index_spin.setValue(index)
        self.index_spin.blockSignals(False)
        label = data.classes[int(data.test_y[index])] if data.classes else "?"
        note = f"Test image {index} of {len(data.test_x)} from {data.name} (class {label})."
        image = as_float(data.test_x[index]).permute(1, 2, 0).numpy()
        self._load(image, ("test", data, index), note)

    def next_image(self) -> None:
        self.show_test_image((self.index_spin.value() + 1) % (self.index_spin.maximum() + 1))

    def random_image(self) -> None:
        self.show_test_image(int(self._rng.integers(0, self.index_spin.maximum() + 1)))

    def blank(self) -> None:
        c, h, w = self._shape()
        self._load(np.zeros((h, w, c), np.float32), ("blank",), "A blank image: paint your own.")

    def invert(self) -> None:
        note = self.source_label.text().removesuffix(" Inverted.")
        inverted = not self.source_label.text().endswith(" Inverted.")
        self._load(1.0 - self.canvas.clean, self._source, note + (" Inverted." if inverted else ""))

    def open_image(self, path) -> bool:
        """Open any image file as the clean image; on failure say why and keep the current one."""
        try:
            array, note = open_image(path, *self._shape())
        except ImageFileError as error:
            self.message.setText(f"<span style='color:{RED}'>{error}</span>")
            return False
        self._load(array, ("file", str(path)), note)
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open an image",
            "",
            "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)",
        )
        if path:
            self.open_image(path)

    # -- damage ----------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """Pick the canvas tool: "brush", "eraser" or "text"."""
        self.canvas.tool = tool
        self.tool_group.button(controls.TOOLS.index(tool)).setChecked(True)

    def set_ink(self, values) -> None:
        self.canvas.ink = np.clip(np.asarray(values, np.float32), 0.0, 1.0)
        if self.canvas.ink.size == 3:
            colour = QColor.fromRgbF(*map(float, self.canvas.ink))
            self.colour_button.setStyleSheet(f"background: {colour.name()};")

    def pick_colour(self) -> None:
        colour = QColorDialog.getColor(QColor.fromRgbF(*map(float, self.canvas.ink)), self)
        if colour.isValid():
            self.set_ink([colour.redF(), colour.greenF(), colour.blueF()])

    def noise(self) -> tuple[str, float]:
        """(kind, level) the kind combo and noiseSlider set."""
        return self.noise_box.noise()

    def set_noise(self, kind: str, level: float) -> None:
        self.noise_box.set_noise(kind, level)

    def new_noise(self) -> None:
        self.noise_box.new_noise()

    def noise_changed(self) -> None:
        """The noise settings changed: the damaged image gets the new noise under the paint."""
        self.canvas.set_base(self.noise_box.apply(self.canvas.clean))

    # -- output ----------------------------------------------------------------------------
    @torch.no_grad()
    def refresh(self) -> None:
        """Repair the damaged image with the repairer; show it, the difference and the PSNRs."""
        model = self.repairer()
        damaged = channels_last(self.canvas.image())
        x = torch.from_numpy(np.ascontiguousarray(damaged.transpose(2, 0, 1)))[None]
        self._out = to_images(model.decode(model.encode(x)))[0]
        clean = squeeze(self.canvas.clean)
        self.out_view.set_image(self._out)
        self.diff_view.set_image(np.abs(self._out - clean))
        noisy_db, out_db = _psnr(clean, squeeze(damaged)), _psnr(clean, self._out)
        gain = out_db - noisy_db if np.isfinite(out_db - noisy_db) else 0.0
        self.noisy_psnr.setText(f"PSNR vs clean: <b>{_db(noisy_db)}</b>")
        self.out_psnr.setText(
            f"PSNR vs clean: <b>{_db(out_db)}</b> <span style='color:"
            f"{GREEN if gain > 0 else RED}'>({gain:+.1f} dB)</span>"
        )

    def corrupted(self) -> np.ndarray:
        """The damaged image, float in [0, 1], [H, W] or [H, W, C]."""
        return self.canvas.image()

    def denoised(self) -> np.ndarray:
        """The repair of the damaged image, float in [0, 1], [H, W] or [H, W, C]."""
        self.up_to_date()
        return self._out

    def psnr(self) -> tuple[float, float]:
        """(damaged vs clean, repaired vs clean) in dB."""
        clean = squeeze(self.canvas.clean)
        return _psnr(clean, self.corrupted()), _psnr(clean, self.denoised())

    def show_difference(self, on: bool) -> None:
        for widget in self.diff_widgets:
            widget.setVisible(on)

    def save_png(self, path, which: str = "repaired") -> Path:
        """Save the repaired (or "damaged", "clean") image at its own size as PNG."""
        image = {
            "repaired": self.denoised,
            "damaged": self.corrupted,
            "clean": lambda: squeeze(self.canvas.clean),
        }[which]()
        return save_png(path, image)

    def save_dialog(self, which: str) -> None:
        path = ask_path(self, f"Save the {which} image", f"{which}.png", "PNG images", ".png")
        if not path:
            return
        try:
            self.message.setText(tell_saved(self, self.save_png(path, which)) + ".")
        except (OSError, ValueError) as error:
            self.message.setText(f"<span style='color:{RED}'>{error_text(path, error)}</span>")
