"""The sample gallery: decodes of random codes from the prior (or a Gaussian fitted to codes)."""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from explorer.panels.base import Panel
from explorer.widgets.exports import ask_path, error_text, tell_saved
from explorer.widgets.image_view import ImageView
from explorer.widgets.images import cell_at, save_png, tile
from models.sampling import prior_sample

FIT_EXAMPLES = 2000  # training examples encoded to fit the Gaussian of a model without a prior


class SamplePanel(Panel):
    """A grid of decoded random codes; click one to show its code on the latent map."""

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("samplePanel")
        self._seed = 0
        self._codes = self._images = self._fit = None
        self._build()
        self.follow_session()

    # ----- the test contract -----------------------------------------------------------
    def samples(self) -> np.ndarray:
        """The gallery's images [N, H, W(, C)], float in [0, 1]."""
        self.up_to_date()
        return self._images.copy()

    def codes(self) -> np.ndarray:
        """The gallery's codes [N, code_size]."""
        self.up_to_date()
        return self._codes.copy()

    def reseed(self, seed: int | None = None) -> None:
        """Draw a new gallery from `seed` (a fresh random seed when None)."""
        self._seed = int(np.random.default_rng().integers(2**31)) if seed is None else int(seed)
        self.refresh_now()

    def save(self, file):
        """Save the gallery as one PNG (enlarged so a sample is at least 48 px)."""
        images = self.samples()
        n = self.grid_spin.value()
        k = max(1, -(-48 // images.shape[1]))
        big = images.repeat(k, axis=1).repeat(k, axis=2)
        return save_png(file, tile(big, cols=n, pad=2))

    # ----- building --------------------------------------------------------------------
    def _build(self) -> None:
        self.grid_spin = QSpinBox(minimum=2, maximum=16, value=8, prefix="grid ", suffix=" × 8")
        self.grid_spin.setToolTip("Samples per side of the gallery")
        self.temperature = QDoubleSpinBox(objectName="temperatureSpin", prefix="temperature ")
        self.temperature.setRange(0.0, 3.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(1.0)
        self.temperature.setToolTip("Scales the spread of the codes around the prior's mean")
        self.reseed_button = QPushButton("Reseed", objectName="reseedButton")
        self.reseed_button.setToolTip("Draw new codes from the prior (a new seed)")
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save the gallery as a PNG image")
        self.seed_label = QLabel()
        controls = QHBoxLayout()
        for w in (self.grid_spin, self.temperature, self.reseed_button, self.seed_label):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.save_button)
        self.prior_label = QLabel(wordWrap=True)
        self.view = ImageView(min_side=300)
        self.message = QLabel("Click a sample to show its code on the latent map.")
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.prior_label)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.message)
        self.grid_spin.valueChanged.connect(lambda n: self.grid_spin.setSuffix(f" × {n}"))
        self.grid_spin.valueChanged.connect(lambda _: self.refresh_now())
        self.temperature.valueChanged.connect(lambda _: self.refresh_now())
        self.reseed_button.clicked.connect(lambda: self.reseed())
        self.save_button.clicked.connect(self._save_dialog)
        self.view.pixelClicked.connect(self._clicked)

    # ----- drawing ---------------------------------------------------------------------
    def _prior(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(mean, cov) to sample from: None, None for the prior N(0, I) of a model with one."""
        if self.session.model.has_prior:
            return None, None
        if self._fit is None:
            codes = self.session.encode(self.session.dataset.train_x[:FIT_EXAMPLES])
            cov = np.atleast_2d(np.cov(codes, rowvar=False))
            self._fit = codes.mean(0), cov
        return self._fit

    def _describe(self) -> None:
        config = self.session.model.config
        if self.session.model.has_prior:
            text = (
                f"Codes drawn from the {config.objective} model's prior N(0, I), scaled by the "
                "temperature: the KL term pulls the codes towards this prior, so most samples "
                "decode to plausible images."
            )
        else:
            text = (
                f"A {config.objective} model has no prior, so codes are drawn from a Gaussian "
                "fitted to its training codes (mean and covariance), scaled by the temperature. "
                "Nothing made its latent space regular: expect gaps that decode to blurs "
                "or mixtures."
            )
        self.prior_label.setText(text)

    def refresh(self) -> None:
        """Draw the gallery: decodes of n x n codes from the prior, seeded."""
        n, size = self.grid_spin.value(), self.session.model.code_size
        mean, cov = self._prior()
        generator = torch.Generator().manual_seed(self._seed)
        t = self.temperature.value()
        self._codes = prior_sample(n * n, size, t, generator, mean=mean, cov=cov).numpy()
        self._images = self.session.decode(self._codes)
        self.view.set_image(tile(self._images, cols=n, pad=1), tile=self._images.shape[1:])
        self.seed_label.setText(f"seed {self._seed}")

    def model_changed(self) -> None:
        self._fit = None
        self._describe()
        self.mark_stale(now=True)

    def weights_changed(self) -> None:
        self._fit = None
        self.mark_stale()

    def _clicked(self, row: float, col: float) -> None:
        n = self.grid_spin.value()
        r, c = cell_at(row, col, self._images.shape[1:], cols=n)
        if 0 <= r < n and 0 <= c < n:
            self.session.codeRequested.emit(self._codes[r * n + c].copy())

    def _save_dialog(self) -> None:
        file = ask_path(self, "Save samples", "samples.png", "PNG image", ".png")
        if file:
            try:
                self.message.setText(tell_saved(self, self.save(file)) + ".")
            except (OSError, ValueError) as error:
                self.message.setText(error_text(file, error))
