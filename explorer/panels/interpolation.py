"""Interpolation: slide from one test image's code to another's and watch the decodes morph."""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
)

from explorer.panels.base import Panel
from explorer.session import to_images
from explorer.widgets.exports import ask_path, error_text, tell_saved
from explorer.widgets.image_view import ImageView
from explorer.widgets.images import save_gif, save_png, tile
from models.sampling import lerp, path, slerp
from trainer.data.base import as_float


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


class InterpolationPanel(Panel):
    """Two endpoints from the test split, a slider between their codes, a strip of frames.

    The endpoints and the frame follow new weights at once (while shown); the strip, a batch
    of decodes, is the panel's stale part: redrawn coalesced, or when next shown.
    """

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("interpolationPanel")
        self._za = self._zb = self._frame = None
        self._next_is_b = False
        self._weights_stale = False
        self._build()
        session.examplePicked.connect(self._picked)
        self.follow_session()

    # ----- the test contract -----------------------------------------------------------
    def set_endpoints(self, index_a: int, index_b: int) -> None:
        """Interpolate between test examples index_a and index_b."""
        n = len(self.session.dataset.test_x)
        for i in (index_a, index_b):
            if not 0 <= i < n:
                raise ValueError(f"Test index {i} is out of range; pick one from 0 to {n - 1}.")
        for spin, i in ((self.spin_a, index_a), (self.spin_b, index_b)):
            spin.blockSignals(True)
            spin.setValue(int(i))
            spin.blockSignals(False)
        self._endpoints()

    def decoded(self) -> np.ndarray:
        self._catch_up()
        return self._frame.copy()

    def frames(self, n: int | None = None) -> np.ndarray:
        """n evenly spaced decodes from A to B inclusive, [n, H, W(, C)] in [0, 1]."""
        self._catch_up()
        n = self.frames_spin.value() if n is None else n
        spherical = self.mode.currentIndex() == 1
        return self.session.decode(path(self._za, self._zb, n, spherical=spherical))

    def export_png(self, file, n: int | None = None):
        """Save the strip of n frames as one PNG (enlarged so a frame is at least 96 px)."""
        return save_png(file, tile(self.frames(n), pad=1), min_side=96)

    def export_gif(self, file, n: int | None = None):
        """Save n frames from A to B as a looping animated GIF (about two seconds a loop)."""
        n = self.frames_spin.value() if n is None else n
        return save_gif(file, self.frames(n), ms=max(40, 2000 // n))

    # ----- building --------------------------------------------------------------------
    def _build(self) -> None:
        self.spin_a, self.spin_b = QSpinBox(prefix="A: test #"), QSpinBox(prefix="B: test #")
        self.spin_a.setToolTip("The test image at end A of the path")
        self.spin_b.setToolTip("The test image at end B of the path")
        self.mode = QComboBox()
        self.mode.addItems(["Linear", "Spherical (slerp)"])
        self.mode.setToolTip("The path between the two codes: a straight line, or along the "
                             "sphere (slerp), which keeps the codes' norm as a Gaussian prior "
                             "expects")  # fmt: skip
        self.frames_spin = QSpinBox(minimum=2, maximum=64, value=10, suffix=" frames")
        self.frames_spin.setToolTip("Frames in the strip and in the exported PNG and GIF")
        self.hint = QLabel()
        controls = QHBoxLayout()
        for w in (self.spin_a, self.spin_b, self.mode, self.frames_spin):
            controls.addWidget(w)
        controls.addWidget(self.hint, 1)

        self.orig_a, self.recon_a = ImageView(min_side=90), ImageView(min_side=90)
        self.orig_b, self.recon_b = ImageView(min_side=90), ImageView(min_side=90)
        self.view = ImageView(min_side=240)
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="interpolationSlider")
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.slider.setToolTip("Where on the path from A to B the middle image is decoded")
        self.t_label = _caption("")
        grid = QGridLayout()
        grid.addWidget(_caption("A (original)"), 0, 0)
        grid.addWidget(self.orig_a, 1, 0)
        grid.addWidget(_caption("A reconstructed"), 2, 0)
        grid.addWidget(self.recon_a, 3, 0)
        grid.addWidget(_caption("Decoded between A and B"), 0, 1)
        grid.addWidget(self.view, 1, 1, 3, 1)
        grid.addWidget(_caption("B (original)"), 0, 2)
        grid.addWidget(self.orig_b, 1, 2)
        grid.addWidget(_caption("B reconstructed"), 2, 2)
        grid.addWidget(self.recon_b, 3, 2)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(2, 1)
        slider = QHBoxLayout()
        slider.addWidget(QLabel("A"))
        slider.addWidget(self.slider, 1)
        slider.addWidget(QLabel("B"))
        slider.addWidget(self.t_label)

        self.strip = ImageView(min_side=70)
        self.strip.setMaximumHeight(140)
        self.save_png_button = QPushButton("Save strip as PNG…")
        self.save_gif_button = QPushButton("Save as GIF…")
        self.save_png_button.setToolTip("Save the strip of frames as one PNG image")
        self.save_gif_button.setToolTip("Save the frames as a looping animated GIF")
        self.message = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.save_png_button)
        buttons.addWidget(self.save_gif_button)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(grid, 1)
        layout.addLayout(slider)
        layout.addWidget(self.strip)
        layout.addLayout(buttons)
        self.spin_a.valueChanged.connect(self._endpoints)
        self.spin_b.valueChanged.connect(self._endpoints)
        self.mode.currentIndexChanged.connect(self._path_changed)
        self.frames_spin.valueChanged.connect(self._draw_strip)
        self.slider.valueChanged.connect(self._draw_frame)
        self.save_png_button.clicked.connect(lambda: self._export("png"))
        self.save_gif_button.clicked.connect(lambda: self._export("gif"))

    def model_changed(self) -> None:
        """A new model or dataset: new index ranges, defaults to two different classes."""
        data = self.session.dataset
        if not self.ready():
            return
        n = len(data.test_x)
        a, b = self.spin_a.value(), self.spin_b.value()
        for spin in (self.spin_a, self.spin_b):
            spin.blockSignals(True)
            spin.setRange(0, n - 1)
            spin.blockSignals(False)
        if a == b or max(a, b) >= n:
            others = np.flatnonzero(data.test_y.numpy() != int(data.test_y[0]))
            a, b = 0, int(others[0]) if len(others) else min(1, n - 1)
        self.set_endpoints(a, b)

    # ----- drawing ---------------------------------------------------------------------
    def _endpoints(self, *_) -> None:
        x = self._encode_endpoints()
        for view, img in zip((self.orig_a, self.orig_b), to_images(x)):
            view.set_image(img)
        self._hint()
        self._path_changed()

    def _encode_endpoints(self) -> torch.Tensor:
        """Encode A and B, show their reconstructions; returns the two test images."""
        x = as_float(self.session.dataset.test_x[[self.spin_a.value(), self.spin_b.value()]])
        codes = torch.as_tensor(self.session.encode(x))
        self._za, self._zb = codes[0], codes[1]
        recon = self.session.decode(codes)
        self.recon_a.set_image(recon[0])
        self.recon_b.set_image(recon[1])
        return x

    def _path_changed(self, *_) -> None:
        self._draw_frame()
        self._draw_strip()

    def _draw_frame(self, *_) -> None:
        t = self.slider.value() / 100.0
        z = (slerp if self.mode.currentIndex() == 1 else lerp)(self._za, self._zb, t)
        self._frame = self.session.decode(z)[0]
        self.view.set_image(self._frame)
        self.t_label.setText(f"t = {t:.2f}")

    def _draw_strip(self, *_) -> None:
        """The strip is a batch of decodes: drawn now if shown, else when next shown."""
        self.mark_stale(now=True)

    def refresh(self) -> None:
        self._catch_up()
        frames = self.frames()
        self.strip.set_image(tile(frames, pad=1), tile=frames.shape[1:])

    def weights_changed(self) -> None:
        """New weights from training: redo the endpoints and frame if shown, else when needed;
        the strip at most every COALESCE_MS."""
        self._weights_stale = True
        if self.isVisible():
            self._catch_up()
            self.mark_stale()

    def _catch_up(self) -> None:
        if self._weights_stale:
            self._weights_stale = False
            self._encode_endpoints()
            self._draw_frame()

    def _picked(self, index: int) -> None:
        """Clicks on the latent map set A, then B, then A again, ..."""
        a, b = self.spin_a.value(), self.spin_b.value()
        if self._next_is_b:
            self.set_endpoints(a, index)
        else:
            self.set_endpoints(index, b)
        self._next_is_b = not self._next_is_b
        self._hint()

    def _hint(self) -> None:
        side = "B" if self._next_is_b else "A"
        self.hint.setText(f"Click a dot on the latent map to set {side}.")

    def _export(self, kind: str) -> None:
        what = {"png": "PNG image", "gif": "Animated GIF"}[kind]
        file = ask_path(self, "Save interpolation", f"interpolation.{kind}", what, f".{kind}")
        if not file:
            return
        try:
            saved = (self.export_png if kind == "png" else self.export_gif)(file)
            self.message.setText(tell_saved(self, saved) + ".")
        except (OSError, ValueError) as error:
            self.message.setText(error_text(file, error))
