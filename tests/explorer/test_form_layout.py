"""The form's rows as a person reads them: conv's hidden row says "Channels per stage" and
every backbone shows the layer shapes its settings build; rows do not jump when the
objective or backbone changes which rows show."""

from __future__ import annotations

from PySide6.QtCore import QPoint

from models.summary import layer_shapes

A = " \u2192 "


def _choose(combo, value) -> None:
    combo.setCurrentIndex(combo.findData(value))


def _label(form, widget) -> str:
    return form._forms["hidden"].labelForField(widget).text()


def test_the_hidden_row_and_the_layer_shapes_follow_the_backbone(window, qtbot):
    form = window.form
    _choose(form.backbone, "mlp")
    form.hidden.setText("256,128,64")
    assert _label(form, form.hidden) == "Hidden sizes"
    assert form.layers.text() == "Layers: " + A.join(["1x8x8", "256", "128", "64", "code 2"])
    _choose(form.backbone, "conv")  # the recipe: [32, 64], depth 2
    assert _label(form, form.hidden) == "Channels per stage"
    form.depth.setValue(1)
    assert form.layers.text() == "Layers: " + A.join(["1x8x8", "32x4x4", "64x2x2", "code 2"])
    form.hidden.setText("8,16")  # as the fields change
    form.code_size.setValue(3)
    form.dense.setValue(24)
    config = form.model_config()
    config.input_shape = (1, 8, 8)
    assert layer_shapes(config)[1:] == [(8, 4, 4), (16, 2, 2), (24,), (3,)]
    assert form.layers.text() == "Layers: " + A.join(["1x8x8", "8x4x4", "16x2x2", "24", "code 3"])
    assert form.layers.isVisible() and form.layers.toolTip()
    form.hidden.setText("")
    assert form.layers.text().startswith("Cannot be built: hidden must list")
    _choose(form.backbone, "linear")
    assert form.layers.text() == "Layers: " + A.join(["1x8x8", "code 3"])


def _y(form, widget) -> int:
    return widget.mapTo(form, QPoint(0, 0)).y()


def test_rows_stay_where_they_are_when_the_objective_or_backbone_changes(window, qtbot):
    form = window.form
    _choose(form.objective, "ae")
    qtbot.wait(10)
    where = {w: _y(form, w) for w in (form.epochs, form.lr, form.seed, form.objective)}
    for backbone in ("mlp", "conv", "linear"):
        _choose(form.backbone, backbone)
        for objective in ("vae", "denoising", "sparse_kl", "contractive", "ridge", "ae"):
            _choose(form.objective, objective)
            qtbot.wait(1)  # the layout settles
            assert {w: _y(form, w) for w in where} == where, (backbone, objective)
    _choose(form.objective, "vae")
    assert form.beta.isVisible() and not form.noise_level.isVisible()
