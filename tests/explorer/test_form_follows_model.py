"""The training form shows the open model's settings (bundled, opened or restored), "New run"
fills in the recipe, and the form and `train` start from the same defaults."""

from __future__ import annotations

from dataclasses import replace

import main
from explorer.training.form import TrainingForm
from trainer import checkpoint, cli, data
from trainer.config import TrainConfig


def _shown(form, model_config, train_config) -> None:
    """The form's configs equal these (the image shape comes from the data, the device
    combo lists only real devices)."""
    model = form.model_config()
    assert replace(model, input_shape=model_config.input_shape) == model_config
    if train_config is not None:
        assert replace(form.train_config(), device=train_config.device) == train_config


def _cli(*flags):
    args = main.build_parser().parse_args(["train", *flags, "--out", "x.safetensors"])
    digits = data.load("digits")
    return cli.configs(args, digits.shape, len(digits.train_x))


def test_at_start_the_form_shows_the_bundled_models_settings(window):
    session = window.session
    assert session.train_config is not None
    _shown(window.form, session.config, session.train_config)
    status = window._status_labels["model"].text()
    c = window.form.model_config()
    assert status == f"Model: {c.backbone} {c.objective}, code {c.code_size}"


def test_opening_a_checkpoint_shows_its_settings(window, tiny_model, tmp_path):
    model = tiny_model("conv", "ae", code_size=3)
    train = TrainConfig("digits", epochs=7, batch_size=32, lr=2e-3, schedule="cosine", seed=5)
    path = checkpoint.save(tmp_path / "conv.safetensors", model, train_config=train)
    window.open_checkpoint(path)
    _shown(window.form, model.config, train)
    assert window.form.hidden.text() == "16,32" and window.form.depth.isVisible()


def test_last_used_settings_do_not_replace_the_open_models(window, make_window):
    form = window.form
    form.backbone.setCurrentIndex(form.backbone.findData("linear"))
    form.code_size.setValue(8)
    form.epochs.setValue(2000)
    window.close()
    again = make_window(show=False)
    _shown(again.form, again.session.config, again.session.train_config)
    assert again.form.backbone.currentData() == "mlp" and again.form.epochs.value() != 2000


def test_new_run_fills_in_what_train_uses_for_the_same_choices(window, tiny_model, tmp_path):
    model = tiny_model("conv", "vae", code_size=2)
    train = TrainConfig("digits", epochs=3, lr=0.5, weight_decay=2.0, seed=9)
    window.open_checkpoint(checkpoint.save(tmp_path / "c.safetensors", model, train_config=train))
    window.actions_by_name["new"].trigger()
    expected = _cli("--dataset", "digits", "--backbone", "conv", "--objective", "vae",
                    "--code-size", "2")  # fmt: skip
    _shown(window.form, *expected)
    window.form.code_size.setValue(5)
    window.form.lr.setValue(1.0)
    window.form.new_run_button.click()  # the form's own button does the same
    expected = _cli("--backbone", "conv", "--objective", "vae", "--code-size", "5")
    _shown(window.form, *expected)
    assert window.form.new_run_button.toolTip()


def test_a_new_form_starts_where_train_with_no_flags_does(qtbot):
    form = TrainingForm()
    qtbot.addWidget(form)
    model, train = _cli()
    _shown(form, model, train)
    assert form.loss.currentData() == model.loss  # one source: the recipe (bce for mlp)
