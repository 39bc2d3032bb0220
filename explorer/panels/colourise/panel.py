"""The Colourise panel: a grey image in, the model's colours out, beside the truth.

The colouriser is the session's model when it was trained to colourise (`model.colourises`);
otherwise the bundled one (resources/pretrained, on its own shapes-colour test images) when
the person keeps that choice, else the session's model, to show what a model not trained for
it makes of a grey image. The grey image is the BT.601 luminance (`models.colour.grey3`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtWidgets import QFileDialog

from explorer.bundled import COLOURISER, bundled_colouriser
from explorer.panels.base import Panel
from explorer.panels.colourise import controls
from explorer.session import to_images
from explorer.widgets.image_io import (
    ImageFileError,
    accept_file_drag,
    dropped_file,
    open_image,
)
from explorer.widgets.images import save_png
from explorer.widgets.job_status import JobStatus
from models.colour import chroma, grey3
from trainer.data import as_float
from trainer.validation import psnr_db

RED = controls.RED
GREY_SPREAD = 1e-6  # a file whose channels differ by less than this is grey
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return psnr_db(float(torch.mean((a.double() - b.double()) ** 2)))


class ColourisePanel(Panel):
    """Grey input, the model's colours and the truth side by side, with their PSNRs."""

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("colourisePanel")
        self.setAcceptDrops(True)
        self._bundled = None  # (model, Dataset) once loaded
        self._bundled_wanted = True  # the person's choice, kept across model changes
        self._file: tuple[str, np.ndarray, str] | None = None  # (path, RGB or grey, note)
        self._images: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._psnrs: dict[str, float] = {}
        self._rng = np.random.default_rng()
        self.job = JobStatus(self, cancellable=False)
        controls.layout(self)
        self.setEnabled(False)  # until there is a model
        self.follow_session()

    # -- which model colours ------------------------------------------------------------------
    def _colourises(self) -> bool:
        return bool(getattr(self.session.model, "colourises", False))

    def using_bundled(self) -> bool:
        return not self._colourises() and self._bundled_wanted and self._bundled is not None

    def colourer(self):
        """(model, Dataset) that colour here: the session's, or the bundled colouriser."""
        if self.using_bundled():
            return self._bundled
        return self.session.model, self.session.dataset

    def _shape(self) -> tuple[int, int, int]:
        return tuple(self.colourer()[0].input_shape)

    def model_changed(self) -> None:
        self.setEnabled(self.ready())
        if not self.ready():
            return
        if not self._colourises() and self._bundled_wanted and self._bundled is None:
            self._load_bundled()
        self._update()

    def _load_bundled(self) -> None:
        if self.job.busy():
            return
        self.job.run(
            "Opening the bundled colouriser and its colour shapes…",
            lambda _report: bundled_colouriser(),
            self._bundled_loaded,
            lambda error: self._say(f"The bundled colouriser could not be opened: {error}"),
        )

    def _bundled_loaded(self, bundled) -> None:
        if bundled is None:
            self._say(f"The bundled colouriser {COLOURISER.name} is missing or unreadable.")
            self._bundled_wanted = False
        self._bundled = bundled
        self._update()

    def use_bundled(self, on: bool) -> None:
        """Colour with the bundled colouriser (when the session's model is not a colouriser)."""
        self._bundled_wanted = bool(on)
        if on and self._bundled is None and self.ready():
            self._load_bundled()
        self._update()

    def _update(self) -> None:
        """The banner, the index range and the titles for the current colourer; then redraw."""
        if not self.ready():
            return
        self._update_banner()
        model, data = self.colourer()
        self.index_spin.blockSignals(True)
        self.index_spin.setRange(0, len(data.test_x) - 1)
        self.index_spin.blockSignals(False)
        if self._file is not None:
            self.open_image(self._file[0])  # again, at the colourer's size
        else:
            self.show_test(self.index_spin.value())

    def _update_banner(self) -> None:
        config, data = self.session.config, self.session.dataset
        colour = config.input_shape[0] == 3
        self.banner.setVisible(not self._colourises())
        using = self.using_bundled()
        then = (
            "the bundled colouriser colours its own shapes-colour test images here"
            if using
            else "it is shown what it makes of the grey image"
        )
        grey = "" if colour else f" and {data.name} is grey, so there are no colours to learn"
        self.banner_text.setText(
            f"This model's objective is <b>{config.objective}</b>: it was not trained to colour "
            f"grey images{grey}; {then}."
        )
        self.bundled_check.blockSignals(True)
        self.bundled_check.setChecked(self._bundled_wanted)
        self.bundled_check.blockSignals(False)
        where = data.name if colour else "shapes-colour"
        self.train_button.setText(f"Train a colouriser on {where}")
        self.train_button.setToolTip(
            f"Same shape and settings as this model, objective colourise, on {where}"
            if colour
            else "A conv colouriser (code 16) on the colour shapes, like the bundled one"
        )
        self.open_bundled_button.setVisible(data.name == "shapes-colour")
        who = "bundled colouriser's" if using else "model's"
        self.titles[1].setText(f"The {who} colours")

    def train_colouriser(self) -> None:
        """Ask the window to train a colouriser: like this model on its colour data, or (grey
        data) a conv one on shapes-colour."""
        config, data = self.session.config.copy(), self.session.dataset
        if config.input_shape[0] == 3:
            name = data.name
        else:
            name = "shapes-colour"
            config.backbone, config.hidden, config.code_size = "conv", [16, 32, 32], 16
            config.input_shape = (3, 32, 32)
        config.objective = "colourise"
        self.session.trainRequested.emit((config, name))

    def open_bundled(self) -> None:
        """Ask the window to open the bundled colouriser as the current model."""
        self.session.openRequested.emit(COLOURISER)

    # -- sources ------------------------------------------------------------------------------
    def show_test(self, index: int) -> None:
        """Colour test image `index` of the colourer's data."""
        data = self.colourer()[1]
        index = int(np.clip(index, 0, len(data.test_x) - 1))
        self.index_spin.blockSignals(True)
        self.index_spin.setValue(index)
        self.index_spin.blockSignals(False)
        self._file = None
        label = data.classes[int(data.test_y[index])] if data.classes else "?"
        self.source_label.setText(
            f"Test image {index} of {len(data.test_x)} from {data.name} (class {label})."
        )
        self._say("")
        self.refresh_now()

    def previous_image(self) -> None:
        self.show_test((self.index_spin.value() - 1) % (self.index_spin.maximum() + 1))

    def next_image(self) -> None:
        self.show_test((self.index_spin.value() + 1) % (self.index_spin.maximum() + 1))

    def random_image(self) -> None:
        self.show_test(int(self._rng.integers(0, self.index_spin.maximum() + 1)))

    def open_image(self, path) -> bool:
        """Colour an image file of any size, shown at the model's; on failure say why in one
        sentence and keep the current image."""
        c, h, w = self._shape()
        try:
            array, note = open_image(path, c, h, w)
        except ImageFileError as error:
            self._say(str(error), error=True)
            return False
        self._file = (str(path), array, note)
        is_grey = c == 1 or float(np.ptp(array, axis=2).max()) < GREY_SPREAD
        self.source_label.setText(
            note + (" The file is grey: there are no true colours to compare with." if is_grey
                    and c == 3 else "")
        )  # fmt: skip
        self._say("")
        self.refresh_now()
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Colour an image", "", IMAGE_FILTER)
        if path:
            self.open_image(path)

    def dragEnterEvent(self, event) -> None:
        accept_file_drag(event)

    def dropEvent(self, event) -> None:
        path = dropped_file(event)
        if path:
            self.open_image(path)

    def _truth(self) -> tuple[torch.Tensor, bool]:
        """The image to colour [1, C, H, W] and whether its true colours are known."""
        c, h, w = self._shape()
        if self._file is not None and self._file[1].shape[:2] == (h, w):
            array = self._file[1].reshape(h, w, -1)
            x = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))[None]
            known = c == 3 and float(np.ptp(array, axis=2).max()) >= GREY_SPREAD
            return x.float(), known
        data = self.colourer()[1]
        index = min(self.index_spin.value(), len(data.test_x) - 1)
        return as_float(data.test_x[index : index + 1]), data.shape[0] == 3

    # -- output -------------------------------------------------------------------------------
    @torch.no_grad()
    def refresh(self) -> None:
        """Grey the image, colour it with the colourer, show the three and the PSNRs."""
        model, _data = self.colourer()
        truth, known = self._truth()
        grey = grey3(truth) if truth.shape[1] == 3 else truth
        out = model.decode(model.encode(grey)).clamp(0, 1)
        self._images = tuple(to_images(t)[0] for t in (grey, out, truth))
        for view, image in zip(self.views, self._images):
            view.set_image(image)
        self._psnrs = {}
        if known:
            self._psnrs = {
                "colour_psnr_db": _psnr(out, truth),
                "grey_psnr_db": _psnr(grey, truth),
                "chroma_psnr_db": _psnr(chroma(out), chroma(truth)),
                "grey_chroma_psnr_db": _psnr(chroma(grey), chroma(truth)),
            }
        controls.show_psnrs(self, self._psnrs, known)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(f"<span style='color:{RED}'>{text}</span>" if error else text)

    # -- the test contract --------------------------------------------------------------------
    def images(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(grey input, the model's colours, truth), float in [0, 1], [H, W, 3] ([H, W] for a
        grey model)."""
        self.up_to_date()
        return self._images

    def psnrs(self) -> dict[str, float]:
        """colour_psnr_db (the output), grey_psnr_db (the grey baseline), chroma_psnr_db and
        grey_chroma_psnr_db against the truth; {} when the true colours are unknown."""
        self.up_to_date()
        return dict(self._psnrs)

    def save_png(self, path, which: str = "output") -> Path:
        """Save the "output" (or "grey", "truth") image at the model's size as PNG; ".png" is
        added when the name has no such ending."""
        path = Path(path)
        path = path if path.suffix.lower() == ".png" else path.with_name(path.name + ".png")
        grey, out, truth = self.images()
        return save_png(path, {"grey": grey, "output": out, "truth": truth}[which])

    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the colours", "colourised.png", "PNG images (*.png)"
        )
        if not path:
            return
        try:
            self._say(f"Saved {self.save_png(path)}.")
        except OSError as error:
            self._say(
                f"Could not save {path} ({error.strerror or error}); pick another folder.", True
            )
