"""The training form: dataset, model, objective and optimiser settings, with lecture tooltips."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.widgets import ScientificSpinBox
from models import ModelConfig
from models.backbones import ACTIVATIONS, BACKBONES
from models.corruption import LEVELS, parse_noise
from models.objectives import OBJECTIVES
from trainer.config import TrainConfig
from trainer.data import names as dataset_names

FOLDER = "Folder..."
OBJECTIVE_ROWS = {  # which extra settings apply to which objective
    "noise": {"denoising"},
    "sparsity": {"sparse_l1", "sparse_kl"},
    "rho": {"sparse_kl"},
    "contractive": {"contractive"},
    "beta": {"vae"},
}
TIPS = {
    "dataset": "The images the autoencoder learns to reproduce. digits and shapes are built in; "
    "mnist, fashion-mnist, kmnist and cifar10 are downloaded on first use; Folder... "
    "trains on your own images.",
    "backbone": "The network shape. linear: one linear layer each way, which with a squared "
    "loss is equivalent to PCA. mlp: fully connected layers f = s(Wx), g = s(W'h). conv: "
    "strided convolutions down and transposed convolutions up, for images.",
    "objective": "What the network is trained to do. ae: reproduce the input through the "
    "bottleneck. denoising: reproduce the clean input from a corrupted one. sparse: only "
    "a few code units may be active. contractive: similar inputs get similar codes. "
    "vae: the encoder outputs a Gaussian q(z|x) kept close to N(0, I), so you can sample.",
    "code_size": "Number of units in the code (bottleneck) layer h = f(x). Smaller means more "
    "compression; 2 lets the latent map show the code directly.",
    "hidden": "Layer widths between input and code, e.g. 64,32 (the decoder mirrors them). "
    "For conv: channels per stride-2 stage. One number gives the shallow autoencoder.",
    "activation": "The non-linearity s(.) after each hidden layer. With identity activations "
    "the autoencoder can only learn what PCA learns.",
    "loss": "Reconstruction loss L(x, r). bce (binary cross-entropy) suits pixels in [0, 1]; "
    "mse (squared error) suits real values.",
    "noise": "Denoising: the corruption u added to each batch (fresh every batch), and its "
    "strength. The network learns to map x + u back to x.",
    "sparsity": "Sparse: lambda, the weight of the penalty on code activations (L1: mean "
    "absolute activation; KL: divergence of each unit's mean activation from rho).",
    "rho": "Sparse (KL): the desired average activation of each code unit.",
    "contractive": "Contractive: lambda, the weight of the squared Frobenius norm of the "
    "Jacobian d code / d input, so small input changes barely move the code.",
    "beta": "VAE: weight of the KL divergence between q(z|x) and the prior N(0, I). 1 is the "
    "ELBO; larger trades reconstruction for a smoother, more regular latent space.",
    "epochs": "Passes over the training split.",
    "batch_size": "Examples per gradient step.",
    "lr": "Adam learning rate. If training diverges (loss becomes nan), lower it.",
    "device": "Where the training runs: only devices this machine has are listed.",
    "seed": "Random seed for weights, batch order and noise: the same seed repeats a run.",
}


def available_devices() -> list[tuple[str, str]]:
    """(label, device) for the devices this machine really has, best first."""
    found = []
    if torch.cuda.is_available():
        found.append((f"CUDA ({torch.cuda.get_device_name(0)})", "cuda"))
    if torch.backends.mps.is_available():
        found.append(("MPS (Apple GPU)", "mps"))
    return [*found, ("CPU", "cpu")]


def _combo(name: str, items, tip: str) -> QComboBox:
    combo = QComboBox(objectName=name, toolTip=tip)
    for item in items:
        label, data = item if isinstance(item, tuple) else (item, item)
        combo.addItem(label, data)
    return combo


def _spin(name: str, low: int, high: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox(objectName=name, toolTip=tip)
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setAccelerated(True)
    return spin


def _set_data(combo: QComboBox, value) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


class TrainingForm(QWidget):
    """Builds ModelConfig and TrainConfig from widgets whose ranges keep values valid."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset = _combo("datasetCombo", [*dataset_names(), FOLDER], TIPS["dataset"])
        self.dataset.insertSeparator(self.dataset.count() - 1)
        self._last_dataset = 0
        self.backbone = _combo("backboneCombo", BACKBONES, TIPS["backbone"])
        self.objective = _combo("objectiveCombo", OBJECTIVES, TIPS["objective"])
        self.code_size = _spin("codeSizeSpin", 1, 1024, 2, TIPS["code_size"])
        self.hidden = QLineEdit("64,32", objectName="hiddenEdit", toolTip=TIPS["hidden"])
        self.hidden.setValidator(QRegularExpressionValidator(r"^\s*(\d{1,5}\s*(,\s*)?){0,8}$"))
        self.activation = _combo("activationCombo", ACTIVATIONS, TIPS["activation"])
        self.loss = _combo("lossCombo", ["bce", "mse"], TIPS["loss"])
        self.noise_kind = _combo("noiseKindCombo", LEVELS, TIPS["noise"])
        self.noise_level = QDoubleSpinBox(objectName="noiseLevelSpin", toolTip=TIPS["noise"])
        self.noise_level.setSingleStep(0.05)
        self.sparsity = ScientificSpinBox(0.0, 100.0, 1e-3)
        self.rho = QDoubleSpinBox(decimals=3, minimum=0.001, maximum=0.999, singleStep=0.01)
        self.contractive = ScientificSpinBox(0.0, 100.0, 1e-3)
        self.beta = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1000.0, singleStep=0.25)
        self.epochs = _spin("epochsSpin", 1, 100_000, 10, TIPS["epochs"])
        self.batch_size = _spin("batchSizeSpin", 1, 65_536, 128, TIPS["batch_size"])
        self.lr = ScientificSpinBox(1e-6, 10.0, 1e-3)
        self.device = _combo("deviceCombo", available_devices(), TIPS["device"])
        self.seed = _spin("seedSpin", 0, 2**31 - 1, 0, TIPS["seed"])
        for key in ("sparsity", "rho", "contractive", "beta", "lr"):
            widget = getattr(self, key)
            widget.setObjectName(f"{key}Spin")
            widget.setToolTip(TIPS[key])

        self._forms: dict[str, QFormLayout] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._group(layout, "Data", [("Dataset", self.dataset)])
        self._group(
            layout,
            "Model",
            [
                ("Backbone", self.backbone),
                ("Code size", self.code_size),
                ("Hidden sizes", self.hidden),
                ("Activation", self.activation),
                ("Loss", self.loss),
            ],
        )
        self._group(
            layout,
            "Objective",
            [
                ("Objective", self.objective),
                ("Noise", self.noise_kind),
                ("Noise level", self.noise_level),
                ("Sparsity \u03bb", self.sparsity),
                ("Target \u03c1", self.rho),
                ("Contractive \u03bb", self.contractive),
                ("KL weight \u03b2", self.beta),
            ],
        )
        self._group(
            layout,
            "Training",
            [
                ("Epochs", self.epochs),
                ("Batch size", self.batch_size),
                ("Learning rate", self.lr),
                ("Device", self.device),
                ("Seed", self.seed),
            ],
        )
        self.dataset.activated.connect(self._dataset_activated)
        self.objective.currentIndexChanged.connect(self._update_rows)
        self.backbone.currentIndexChanged.connect(self._update_rows)
        self.noise_kind.currentIndexChanged.connect(self._noise_range)
        self.set_configs(ModelConfig(objective="vae", loss="bce"), TrainConfig())

    def _group(self, layout: QVBoxLayout, title: str, rows) -> None:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, widget in rows:
            form.addRow(label, widget)
            self._forms[widget.objectName()] = form
        layout.addWidget(box)

    def _show_row(self, widget: QWidget, visible: bool) -> None:
        self._forms[widget.objectName()].setRowVisible(widget, visible)

    def _update_rows(self) -> None:
        objective, linear = self.objective.currentData(), self.backbone.currentData() == "linear"
        for key, objectives in OBJECTIVE_ROWS.items():
            widgets = (
                (self.noise_kind, self.noise_level) if key == "noise" else [getattr(self, key)]
            )
            for widget in widgets:
                self._show_row(widget, objective in objectives)
        self._show_row(self.hidden, not linear)
        self._show_row(self.activation, not linear)
        if linear:  # a linear output is not in [0, 1]: bce does not apply
            _set_data(self.loss, "mse")
        self.loss.setEnabled(not linear)
        self.changed.emit()

    def _noise_range(self) -> None:
        low, high, meaning = LEVELS[self.noise_kind.currentData()]
        self.noise_level.setRange(low, high)
        self.noise_level.setToolTip(f"{TIPS['noise']} Level: {meaning}.")

    def _dataset_activated(self, index: int) -> None:
        if self.dataset.itemData(index) != FOLDER:
            self._last_dataset = index
            return
        folder = QFileDialog.getExistingDirectory(self, "Train on a folder of images")
        if folder:
            self.set_dataset(f"folder:{folder}")
        else:
            self.dataset.setCurrentIndex(self._last_dataset)

    def set_dataset(self, name: str) -> None:
        """Select a dataset by id, adding a `folder:PATH` entry when needed."""
        if self.dataset.findData(name) < 0 and name.startswith("folder:"):
            label = f"Folder: {Path(name[len('folder:') :]).name}"
            self.dataset.insertItem(self.dataset.count() - 2, label, name)
            self.dataset.setItemData(
                self.dataset.count() - 3, name[7:], Qt.ItemDataRole.ToolTipRole
            )
        _set_data(self.dataset, name)
        self._last_dataset = self.dataset.currentIndex()

    def model_config(self) -> ModelConfig:
        hidden = [int(s) for s in self.hidden.text().replace(" ", "").split(",") if s]
        return ModelConfig(
            backbone=self.backbone.currentData(),
            objective=self.objective.currentData(),
            code_size=self.code_size.value(),
            hidden=hidden,
            activation=self.activation.currentData(),
            loss=self.loss.currentData(),
            noise=f"{self.noise_kind.currentData()}:{self.noise_level.value():g}",
            sparsity=self.sparsity.value(),
            rho=self.rho.value(),
            contractive=self.contractive.value(),
            beta=self.beta.value(),
        )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            dataset=self.dataset.currentData(),
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            lr=self.lr.value(),
            device=self.device.currentData(),
            seed=self.seed.value(),
        )

    def set_configs(self, model: ModelConfig | None, train: TrainConfig | None = None) -> None:
        """Show these settings (either may be None to leave that half as it is)."""
        if model is not None:
            _set_data(self.backbone, model.backbone)
            _set_data(self.objective, model.objective)
            self.code_size.setValue(model.code_size)
            self.hidden.setText(",".join(str(n) for n in model.hidden))
            _set_data(self.activation, model.activation)
            _set_data(self.loss, model.loss)
            kind, level = parse_noise(model.noise)
            _set_data(self.noise_kind, kind)
            self._noise_range()
            self.noise_level.setValue(level)
            self.sparsity.setValue(model.sparsity)
            self.rho.setValue(model.rho)
            self.contractive.setValue(model.contractive)
            self.beta.setValue(model.beta)
        if train is not None:
            self.set_dataset(train.dataset)
            self.epochs.setValue(train.epochs)
            self.batch_size.setValue(train.batch_size)
            self.lr.setValue(train.lr)
            if self.device.findData(train.device) >= 0:
                _set_data(self.device, train.device)
            self.seed.setValue(train.seed)
        self._update_rows()

    def follow(self, run) -> None:
        """Settings can change only while `run` (a TrainingRun) is idle."""
        run.stateChanged.connect(lambda state, _text: self.setEnabled(state == "idle"))

    def to_json(self) -> str:
        cfg = {"model": self.model_config().to_dict(), "train": self.train_config().to_dict()}
        return json.dumps(cfg)

    def from_json(self, text: str) -> bool:
        """Restore settings saved by to_json; False (form unchanged) when unreadable."""
        try:
            data = json.loads(text)
            model = ModelConfig.from_dict(data["model"])
            train = TrainConfig.from_dict(data["train"])
            model.validate()
            train.validate()
        except (ValueError, KeyError, TypeError):
            return False
        self.set_configs(model, train)
        return True
