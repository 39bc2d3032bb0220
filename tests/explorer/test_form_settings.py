"""The form's rows are made from the settings' metadata: one editor per setting, named after
its field, with the help text as tooltip; a newly registered objective gets its rows."""

import pytest
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit

import main
from explorer.training.editors import object_name
from explorer.training.form import TrainingForm
from models import OBJECTIVES, Autoencoder
from trainer import cli
from trainer.config import settings


def _form(qtbot) -> TrainingForm:
    form = TrainingForm()
    qtbot.addWidget(form)
    form.show()
    return form


def test_every_setting_has_one_editor_named_after_it_with_its_help(qtbot):
    form = _form(qtbot)
    kinds = {"choice": QComboBox, "dataset": QComboBox, "noise": QComboBox, "ints": QLineEdit,
             "int": QAbstractSpinBox, "float": QAbstractSpinBox}  # fmt: skip
    for s in settings():
        widget = form.findChild(kinds[s.kind], object_name(s))
        assert widget is not None, s.name
        assert widget.toolTip().startswith(s.help), s.name
        if isinstance(widget, QAbstractSpinBox):
            low, high = s.widget_range
            assert (widget.minimum(), widget.maximum()) == pytest.approx((low, high)), s.name
    contract = {"datasetCombo", "backboneCombo", "objectiveCombo", "codeSizeSpin",
                "epochsSpin", "deviceCombo", "hiddenEdit", "lrSpin", "noiseKindCombo"}  # fmt: skip
    assert contract <= {object_name(s) for s in settings()}
    assert form.findChild(QAbstractSpinBox, "noiseLevelSpin") is not None


def test_the_linear_backbone_fixes_the_loss_and_releases_it_after(qtbot):
    form = _form(qtbot)
    form.backbone.setCurrentIndex(form.backbone.findData("linear"))
    assert form.loss.currentData() == "mse" and not form.loss.isEnabled()
    assert not form.hidden.isVisible() and not form.norm.isVisible()
    form.backbone.setCurrentIndex(form.backbone.findData("conv"))
    assert form.loss.isEnabled() and form.depth.isVisible() and form.dense.isVisible()


class Toy(Autoencoder):
    """A stand-in for a new objective: registered, it must need no edit to the form or CLI."""

    about = "a toy objective that weighs nothing."
    uses = ("contractive",)


def test_a_newly_registered_objective_is_in_the_form_and_the_command_line(qtbot, monkeypatch):
    monkeypatch.setitem(OBJECTIVES, "toy", Toy)
    form = _form(qtbot)
    form.objective.setCurrentIndex(form.objective.findData("toy"))
    assert (
        form.objective.currentData() == "toy" and "toy: a toy objective" in form.objective.toolTip()
    )
    assert form.contractive.isVisible() and not form.beta.isVisible()
    assert form.model_config().objective == "toy"
    args = main.build_parser().parse_args(["train", "--objective", "toy", "--out", "x"])
    model, _ = cli.configs(args, (1, 8, 8), 100)
    assert model.objective == "toy"
