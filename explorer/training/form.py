"""The training form: one row per setting of `trainer.config.settings()`, made from its metadata.

A setting's label, tooltip, range, choices and scale come from the config field it
describes; which rows show comes from the backbone's and objective's `uses`, and a value a
backbone allows only one of (`fixed`) is set and locked. Widgets are named after their
field: `codeSizeSpin`, `backboneCombo`, `hiddenEdit`, ... (DESIGN.md's test contract).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer.training import editors
from explorer.training.editors import FOLDER, set_data
from explorer.training.folder_info import FolderInfo
from models import BACKBONES, OBJECTIVES, ModelConfig
from models.config import Setting, owners, settings_of
from models.summary import describe_layers
from trainer import data, recipes
from trainer.config import GROUPS, TrainConfig, settings

MODEL = {s.name for s in settings_of(ModelConfig)}


class TrainingForm(QWidget):
    """Builds ModelConfig and TrainConfig from widgets whose ranges keep values valid.

    Each setting's editor is an attribute named after its field (`form.lr`, `form.hidden`);
    the noise spec has two, `noise_kind` and `noise_level`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = {s.name: s for s in settings()}
        self._forms: dict[str, QFormLayout] = {}  # setting name -> the group's layout
        self._rows: dict[str, list[QWidget]] = {}  # setting name -> its editor widgets
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        forms = {}
        for group in GROUPS:
            box = QGroupBox(group)
            layout.addWidget(box)
            forms[group] = QFormLayout(box)
            forms[group].setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._boxes = [forms[group].parentWidget() for group in GROUPS]
        self.folder_info = FolderInfo()
        self.layers = QLabel(objectName="layerShapes", wordWrap=True)
        self.layers.setToolTip("The shape of the image after each layer of the encoder, as "
                               "the model these settings build has them (the decoder mirrors "
                               "them), down to the code.")  # fmt: skip
        for s in self.settings.values():
            self._add_row(forms[s.group], s)
            if s.name == "dataset":  # what a folder holds, right under it
                forms[s.group].addRow(self.folder_info)
            if s.name == "hidden":  # the shapes it gives, right under it, two lines kept
                forms[s.group].addRow(self.layers)
                self.layers.setMinimumHeight(2 * self.layers.fontMetrics().lineSpacing())
        self._last_dataset = 0
        self.note = QLabel(objectName="recipeNote", wordWrap=True)
        self.note.setToolTip("Changing the dataset or backbone (or the code size across "
                             f"{recipes.SMALL_CODE}) fills in the recipe's defaults "
                             "(trainer/recipes.py), the same as `train` uses.")  # fmt: skip
        layout.addWidget(self.note)
        self.new_run_button = QPushButton("New run", objectName="newRunButton")
        self.new_run_button.setToolTip(
            "Reset every setting to the recipe for the chosen dataset, backbone, objective and "
            "code size: what `train` uses when given only those (Ctrl+N)."
        )
        self.new_run_button.clicked.connect(self.new_run)
        layout.addWidget(self.new_run_button, 0, Qt.AlignmentFlag.AlignRight)
        self._recipe_key = None  # the _key() whose recipe the form shows
        self._loading = False  # set_configs is filling the form: no recipe
        self.dataset.activated.connect(self._dataset_activated)
        self.objective.currentIndexChanged.connect(self._update_rows)
        self.backbone.currentIndexChanged.connect(self._update_rows)
        self.backbone.currentIndexChanged.connect(self._recipe_changed)
        self.dataset.currentIndexChanged.connect(self._recipe_changed)
        self.dataset.currentIndexChanged.connect(self._folder_changed)
        self.code_size.valueChanged.connect(self._recipe_changed)
        for name in (*MODEL, "dataset"):  # what the layer shapes depend on
            for widget in self._rows.get(name, []):
                editors.changed(widget).connect(self._model_edited)
        self.reset()
        self._keep_heights()

    def _add_row(self, form: QFormLayout, s: Setting) -> None:
        widgets = self._rows[s.name] = editors.make(s)
        if s.kind == "noise":
            self.noise_kind, self.noise_level = widgets
        else:
            setattr(self, s.name, widgets[0])
        for widget, label in zip(widgets, [s.label, f"{s.label} level"]):
            form.addRow(label, widget)
        self._forms[s.name] = form

    def _read(self, name: str):
        return editors.read(self.settings[name], self._rows[name])

    def _write(self, name: str, value) -> None:
        if name == "dataset":
            self.set_dataset(value)
        else:
            editors.write(self.settings[name], self._rows[name], value)

    def model_config(self) -> ModelConfig:
        return ModelConfig(**{name: self._read(name) for name in self.settings if name in MODEL})

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            **{name: self._read(name) for name in self.settings if name not in MODEL}
        )

    def _update_rows(self) -> None:
        backbone = BACKBONES[self.backbone.currentData()]
        self._show_rows(self.backbone.currentData(), self.objective.currentData())
        for name, widgets in self._rows.items():
            label = self._forms[name].labelForField(widgets[0])
            label.setText(backbone.labels.get(name, self.settings[name].label))
            for widget in widgets:
                widget.setEnabled(name not in backbone.fixed)
            if name in backbone.fixed:  # e.g. the linear backbone's output is not in [0, 1]
                self._write(name, backbone.fixed[name][0])
        self._update_layers()

    def _show_rows(self, backbone: str, objective: str) -> None:
        """Show the rows of the settings that `backbone` and `objective` use."""
        for name, widgets in self._rows.items():
            users = set(owners(name))
            for widget in widgets:
                shown = not users or bool(users & {backbone, objective})
                self._forms[name].setRowVisible(widget, shown)

    def _keep_heights(self) -> None:
        """Give each group the height of its tallest row set, so rows below it stay where
        they are when the backbone or objective changes which rows show."""
        tallest = [0] * len(self._boxes)
        for pair in itertools.product(BACKBONES, OBJECTIVES):
            self._show_rows(*pair)
            for i, box in enumerate(self._boxes):
                tallest[i] = max(tallest[i], box.sizeHint().height())
        for box, height in zip(self._boxes, tallest):
            box.setMinimumHeight(height)
        self._update_rows()

    def _model_edited(self) -> None:
        if not self._loading:
            self._update_layers()

    def input_shape(self) -> tuple[int, int, int]:
        """The (C, H, W) the chosen dataset will be read at."""
        return data.shape_and_size(self.dataset.currentData())[0]

    def _update_layers(self) -> None:
        """The layer shapes of the model these settings build, under the hidden sizes."""
        config = self.model_config()
        config.input_shape = self.input_shape()
        try:
            self.layers.setText(f"Layers: {describe_layers(config)}")
        except ValueError as error:
            self.layers.setText(f"Cannot be built: {error}")

    def _folder_changed(self) -> None:
        if self.dataset.currentData() != FOLDER:  # not while the folder dialog is open
            self.folder_info.show_for(self.dataset.currentData())

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
            at, path = self.dataset.count() - 2, name.removeprefix("folder:")
            self.dataset.insertItem(at, f"Folder: {Path(path).name}", name)
            self.dataset.setItemData(at, path, Qt.ItemDataRole.ToolTipRole)
        set_data(self.dataset, name)
        self._last_dataset = self.dataset.currentIndex()

    def reset(self) -> None:
        """The command line's defaults: what `train --out FILE` trains, given no other flag
        (the config's defaults, then the recipe for their dataset and backbone)."""
        self._reset_to(ModelConfig(), TrainConfig())

    def new_run(self) -> None:
        """Every setting back to what `train` uses for the chosen dataset, backbone,
        objective and code size (the recipe, and the config's defaults for the rest)."""
        model = ModelConfig(
            backbone=self.backbone.currentData(),
            objective=self.objective.currentData(),
            code_size=self.code_size.value(),
        )
        self._reset_to(model, TrainConfig(dataset=self.dataset.currentData()))

    def _reset_to(self, model: ModelConfig, train: TrainConfig) -> None:
        self.set_configs(model, train)
        self._recipe_key = None
        self.apply_recipe()

    def _recipe_changed(self) -> None:
        folder = self.dataset.currentData() == FOLDER  # the file dialog is open
        if self._loading or folder or self._key() == self._recipe_key:
            return
        if self._recipe_key and self._key()[:2] == self._recipe_key[:2]:  # the code size alone
            self.apply_recipe(recipes.CODE_FIELDS)  # keeps what the person set elsewhere
        else:
            self.apply_recipe()

    def _key(self) -> tuple:
        """What the recipe depends on: dataset, backbone, and the code size's band."""
        band = recipes.band(self.code_size.value())
        return self.dataset.currentData(), self.backbone.currentData(), band

    def apply_recipe(self, only: tuple[str, ...] = recipes.FIELDS) -> None:
        """Fill in the recipe (its fields in `only`) for the chosen dataset, backbone and code
        size, and say so under the form."""
        dataset, backbone = self.dataset.currentData(), self.backbone.currentData()
        values = recipes.for_dataset(dataset, backbone, self.code_size.value())
        self._loading = True
        try:
            for key in only:
                self._write(key, values[key])
        finally:
            self._loading = False
        self._recipe_key = self._key()
        self._update_rows()
        shape, _ = data.shape_and_size(dataset)
        uses = BACKBONES[backbone].uses
        arch = [f"hidden {self.hidden.text()}" if "hidden" in uses else "",
                f"dense {values['dense']}" if "dense" in uses and values["dense"] else "",
                f"{values['norm']} norm" if "norm" in uses else "",
                values["activation"] if "activation" in uses else ""]  # fmt: skip
        self.note.setText(
            f"Filled in the defaults for {backbone} on {'x'.join(map(str, shape[1:]))} images: "
            f"{''.join(part + ', ' for part in arch if part)}{values['loss']}, "
            f"{values['epochs']} epochs, batch {values['batch_size']}, learning rate "
            f"{values['lr']:g}, weight decay {values['weight_decay']:g}."
        )

    def set_configs(self, model: ModelConfig | None, train: TrainConfig | None = None) -> None:
        """Show these settings (either may be None to leave that half as it is); no recipe
        is applied, and the note under the form is cleared."""
        self._loading = True
        try:
            for config in (model, train):
                for name in self.settings:
                    if config is not None and hasattr(config, name):
                        self._write(name, getattr(config, name))
        finally:
            self._loading = False
        self._recipe_key = self._key()
        self.note.setText("")
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
            saved = json.loads(text)
            model = ModelConfig.from_dict(saved["model"])
            train = TrainConfig.from_dict(saved["train"])
            model.validate()
            train.validate()
        except (ValueError, KeyError, TypeError):
            return False
        self.set_configs(model, train)
        return True
