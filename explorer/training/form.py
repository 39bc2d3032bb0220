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
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.widgets import ScientificSpinBox
from models import ModelConfig
from models.backbones import ACTIVATIONS, BACKBONES, NORMS
from models.corruption import LEVELS, parse_noise
from models.objectives import OBJECTIVES
from trainer import recipes
from trainer.config import SCHEDULES, TrainConfig
from trainer.data import names as dataset_names

FOLDER = "Folder..."
OBJECTIVE_ROWS = {  # which extra settings apply to which objective
    "noise": {"denoising"},
    "sparsity": {"sparse_l1", "sparse_kl"},
    "rho": {"sparse_kl"},
    "contractive": {"contractive"},
    "beta": {"vae"},
    "kl_warmup": {"vae"},
}
START = ("digits", "mlp", "vae", 2)  # the form's first settings: dataset, backbone, objective, code
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
    "norm": "Normalisation after each hidden layer: batch (BatchNorm) or group (GroupNorm; "
    "layer norm for mlp). It steadies and speeds up training of deeper networks.",
    "depth": "Conv: convolutions per stage. 2 adds a stride-1 convolution before each "
    "stride-2 one (and after each upsampling): a deeper, stronger network that trains slower.",
    "dense": "Conv: width of a fully connected layer between the last feature map and the "
    "code (the decoder mirrors it); 0 for none. It helps very small codes.",
    "epochs": "Passes over the training split. Early stopping may end the run sooner.",
    "batch_size": "Examples per gradient step.",
    "lr": "The peak Adam learning rate of the schedule. If training diverges (loss becomes "
    "nan), lower it.",
    "schedule": "How the learning rate moves over the run. onecycle: warms up to the rate, "
    "then anneals far below it; cosine: a short warm-up, then a cosine decay to 0; constant: "
    "the rate throughout.",
    "weight_decay": "AdamW weight decay: shrinks the weights every step. Raising it fights "
    "overfitting (test error far above training error); too much underfits.",
    "patience": "Early stopping: stop after this many epochs without a better validation "
    "loss and keep the best epoch's weights. Raising it trains longer; 0 never stops early.",
    "clip": "Largest gradient norm per step (0: off). Lowering it tames runs whose loss jumps.",
    "kl_warmup": "VAE: epochs over which the KL weight rises from 0 to beta. Raising it "
    "guards longer against posterior collapse (codes that ignore the input); 0: off. At "
    "most half the epochs are used.",
    "val_fraction": "Share of the training split held out to validate each epoch and to "
    "stop early; the test split is never used for either. 0 trains on all of it.",
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
        self.norm = _combo("normCombo", NORMS, TIPS["norm"])
        self.depth = _spin("depthSpin", 1, 8, 1, TIPS["depth"])
        self.dense = _spin("denseSpin", 0, 100_000, 0, TIPS["dense"])
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
        self.schedule = _combo("scheduleCombo", SCHEDULES, TIPS["schedule"])
        self.weight_decay = ScientificSpinBox(0.0, 100.0, 0.0)
        self.patience = _spin("patienceSpin", 0, 100_000, 20, TIPS["patience"])
        self.clip = ScientificSpinBox(0.0, 1e6, 0.0)
        self.kl_warmup = _spin("klWarmupSpin", 0, 100_000, 0, TIPS["kl_warmup"])
        self.val_fraction = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.5, singleStep=0.05)
        self.device = _combo("deviceCombo", available_devices(), TIPS["device"])
        self.seed = _spin("seedSpin", 0, 2**31 - 1, 0, TIPS["seed"])
        self.note = QLabel(objectName="recipeNote", wordWrap=True)
        self.note.setToolTip("Changing the dataset or backbone (or the code size across "
                             f"{recipes.SMALL_CODE}) fills in the recipe's defaults "
                             "(trainer/recipes.py), the same as `train` uses.")  # fmt: skip
        self._recipe_key = None  # the _key() whose recipe the form shows
        self._loading = False  # set_configs is filling the form: no recipe
        spins = {"sparsity": "sparsitySpin", "rho": "rhoSpin", "contractive": "contractiveSpin",
                 "beta": "betaSpin", "lr": "lrSpin", "weight_decay": "weightDecaySpin",
                 "clip": "clipSpin", "val_fraction": "valFractionSpin"}  # fmt: skip
        for key, name in spins.items():
            widget = getattr(self, key)
            widget.setObjectName(name)
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
                ("Normalisation", self.norm),
                ("Conv depth", self.depth),
                ("Dense layer", self.dense),
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
                ("KL warm-up (epochs)", self.kl_warmup),
            ],
        )
        self._group(
            layout,
            "Training",
            [
                ("Epochs", self.epochs),
                ("Batch size", self.batch_size),
                ("Learning rate", self.lr),
                ("LR schedule", self.schedule),
                ("Weight decay", self.weight_decay),
                ("Early-stop patience", self.patience),
                ("Gradient clip", self.clip),
                ("Validation share", self.val_fraction),
                ("Device", self.device),
                ("Seed", self.seed),
            ],
        )
        layout.addWidget(self.note)
        self.dataset.activated.connect(self._dataset_activated)
        self.objective.currentIndexChanged.connect(self._update_rows)
        self.backbone.currentIndexChanged.connect(self._update_rows)
        self.backbone.currentIndexChanged.connect(self._recipe_changed)
        self.dataset.currentIndexChanged.connect(self._recipe_changed)
        self.code_size.valueChanged.connect(self._recipe_changed)
        self.noise_kind.currentIndexChanged.connect(self._noise_range)
        self.reset()

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
        self._show_row(self.norm, not linear)
        self._show_row(self.depth, self.backbone.currentData() == "conv")
        self._show_row(self.dense, self.backbone.currentData() == "conv")
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
            norm=self.norm.currentData(),
            depth=self.depth.value(),
            dense=self.dense.value(),
        )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            dataset=self.dataset.currentData(),
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            lr=self.lr.value(),
            device=self.device.currentData(),
            seed=self.seed.value(),
            schedule=self.schedule.currentData(),
            patience=self.patience.value(),
            clip=self.clip.value(),
            kl_warmup=self.kl_warmup.value(),
            val_fraction=round(self.val_fraction.value(), 2),
            weight_decay=self.weight_decay.value(),
        )

    def reset(self) -> None:
        """The first settings: START's dataset, backbone, objective and code size, and the
        recipe's defaults for them (what the command line uses when given only those)."""
        dataset, backbone, objective, code_size = START
        self.set_configs(
            ModelConfig(backbone=backbone, objective=objective, code_size=code_size),
            TrainConfig(dataset=dataset),
        )
        self._recipe_key = None
        self.apply_recipe()

    def _recipe_changed(self) -> None:
        folder = self.dataset.currentData() == FOLDER  # the file dialog is open
        if not self._loading and not folder and self._key() != self._recipe_key:
            self.apply_recipe()

    def _key(self) -> tuple:
        """What the recipe depends on: dataset, backbone, and whether the code is small."""
        small = self.code_size.value() <= recipes.SMALL_CODE
        return self.dataset.currentData(), self.backbone.currentData(), small

    def apply_recipe(self) -> None:
        """Fill in the recipe for the chosen dataset and backbone, and say so under the form."""
        dataset, backbone = self.dataset.currentData(), self.backbone.currentData()
        values = recipes.for_dataset(dataset, backbone, self.code_size.value())
        self._loading = True
        try:
            if backbone != "linear":
                self.hidden.setText(",".join(str(n) for n in values["hidden"]))
            _set_data(self.norm, values["norm"])
            self.depth.setValue(values["depth"])
            self.dense.setValue(values["dense"])
            _set_data(self.activation, values["activation"])
            _set_data(self.loss, values["loss"])
            for key in ("epochs", "batch_size", "lr", "weight_decay", "patience", "kl_warmup"):
                getattr(self, key).setValue(values[key])
        finally:
            self._loading = False
        self._recipe_key = self._key()
        shape, _ = recipes.shape_and_size(dataset)
        size = "x".join(str(n) for n in shape[1:])
        dense = f"dense {values['dense']}, " if backbone == "conv" and values["dense"] else ""
        arch = f"hidden {self.hidden.text()}, {dense}{values['norm']} norm, "
        arch = "" if backbone == "linear" else arch
        self.note.setText(
            f"Filled in the defaults for {backbone} on {size} images: {arch}{values['loss']}, "
            f"{values['epochs']} epochs, batch {values['batch_size']}, learning rate "
            f"{values['lr']:g}, weight decay {values['weight_decay']:g}."
        )
        self._update_rows()

    def set_configs(self, model: ModelConfig | None, train: TrainConfig | None = None) -> None:
        """Show these settings (either may be None to leave that half as it is); no recipe
        is applied, and the note under the form is cleared."""
        self._loading = True
        try:
            self._set_configs(model, train)
        finally:
            self._loading = False
        self._recipe_key = self._key()
        self.note.setText("")
        self._update_rows()

    def _set_configs(self, model: ModelConfig | None, train: TrainConfig | None) -> None:
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
            _set_data(self.norm, model.norm)
            self.depth.setValue(model.depth)
            self.dense.setValue(model.dense)
        if train is not None:
            self.set_dataset(train.dataset)
            self.epochs.setValue(train.epochs)
            self.batch_size.setValue(train.batch_size)
            self.lr.setValue(train.lr)
            if self.device.findData(train.device) >= 0:
                _set_data(self.device, train.device)
            self.seed.setValue(train.seed)
            _set_data(self.schedule, train.schedule)
            self.patience.setValue(train.patience)
            self.clip.setValue(train.clip)
            self.kl_warmup.setValue(train.kl_warmup)
            self.val_fraction.setValue(train.val_fraction)
            self.weight_decay.setValue(train.weight_decay)

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
