"""The training form fills in the recipe (as `train` does), says so, and its VAE default
does not collapse; the loss plot shows the learning rate on its own axis."""

import torch

import main
from explorer.training.form import TrainingForm
from explorer.training.loss_plot import LossPlot
from models import ModelConfig
from trainer import cli, data, recipes
from trainer.config import TrainConfig
from trainer.loop import Trainer


def _form(qtbot) -> TrainingForm:
    form = TrainingForm()
    qtbot.addWidget(form)
    form.show()
    return form


def _cli(*flags):
    args = main.build_parser().parse_args(["train", *flags, "--out", "x.safetensors"])
    digits = data.load("digits")
    return cli.configs(args, digits.shape, len(digits.train_x))


def _choose(combo, value) -> None:
    combo.setCurrentIndex(combo.findData(value))


def test_the_form_starts_with_the_same_defaults_as_train(qtbot):
    form = _form(qtbot)
    model, train = _cli()  # no flags: the config's defaults and their recipe
    ours = form.model_config()
    ours.input_shape = model.input_shape  # the run sets it from the dataset
    assert ours == model
    form_train = form.train_config().to_dict()
    assert {**form_train, "device": "auto"} == train.to_dict()  # the form lists real devices
    assert "defaults for mlp on 8x8 images" in form.note.text()


def test_changing_the_backbone_or_dataset_fills_in_its_recipe(qtbot):
    form = _form(qtbot)
    form.hidden.setText("7")
    _choose(form.backbone, "conv")
    conv = recipes.for_dataset("digits", "conv")
    assert form.hidden.text() == ",".join(map(str, conv["hidden"]))
    assert form.depth.value() == conv["depth"] and form.norm.currentData() == conv["norm"]
    assert form.depth.isVisible() and "conv on 8x8" in form.note.text()
    _choose(form.dataset, "mnist")  # nothing is downloaded: the recipe knows its shape
    mnist = recipes.for_dataset("mnist", "conv")
    assert form.hidden.text() == ",".join(map(str, mnist["hidden"]))
    assert form.epochs.value() == mnist["epochs"] and form.lr.value() == mnist["lr"]
    assert "conv on 28x28" in form.note.text()
    _choose(form.backbone, "linear")
    assert form.loss.currentData() == "mse" and not form.depth.isVisible()
    assert form.lr.value() == recipes.for_dataset("mnist", "linear")["lr"]


def test_settings_from_a_checkpoint_are_kept_as_they_are(qtbot):
    form = _form(qtbot)
    model = ModelConfig("conv", "vae", (1, 8, 8), 3, [8, 16], loss="bce", norm="batch", depth=3)
    train = TrainConfig("shapes", epochs=7, batch_size=32, lr=2e-3, schedule="cosine", patience=4,
                        clip=0.5, kl_warmup=2, val_fraction=0.2, weight_decay=0.01)  # fmt: skip
    form.set_configs(model, train)
    got = form.model_config()
    assert got.hidden == [8, 16] and got.norm == "batch" and got.depth == 3
    assert {**form.train_config().to_dict(), "device": "auto"} == train.to_dict()
    assert form.note.text() == ""
    assert form.kl_warmup.isVisible() and form.beta.isVisible()
    assert form.from_json(form.to_json()) and form.train_config() == form.train_config()
    _choose(form.objective, "ae")
    assert not form.kl_warmup.isVisible()


def test_a_vae_from_the_forms_defaults_does_not_collapse(qtbot):
    form = _form(qtbot)
    _choose(form.objective, "vae")
    digits = data.load("digits")
    model_config, train_config = form.model_config(), form.train_config()
    model_config.input_shape = digits.shape
    train_config.epochs = 40  # a short run: collapse shows early, the default runs longer
    trainer = Trainer(model_config, train_config, digits)
    assert list(trainer.run())[-1].error is None
    model = trainer.model.eval()
    with torch.no_grad():
        kl = model(data.as_float(digits.test_x)).terms["kl"].item()
        z = torch.randn(64, model.code_size, generator=torch.Generator().manual_seed(0))
        samples = model.decode(z).flatten(1)
    assert kl / model.code_size > 0.5  # nats per code dimension: the codes carry information
    spread = torch.pdist(samples).mean()
    images = torch.pdist(data.as_float(digits.test_x[:64]).flatten(1)).mean()
    assert spread > 0.4 * images, (spread, images)  # samples differ about as digits do


def test_the_loss_plot_draws_the_learning_rate_on_the_right_axis(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    for step in range(1, 6):
        plot.append(step, {"loss": 1.0 / step}, lr=1e-3 * step)
    plot.redraw()
    assert plot.lr_points() == 5 and plot.latest_lr() == 5e-3
    assert plot.getPlotItem().getAxis("right").isVisible()
    assert plot.point_count("train") == 5  # the rate is not a loss term
    history = {"train": {"step": [1, 2], "loss": [2.0, 1.0], "lr": [1e-4, 2e-4]}}
    plot.set_history(history)
    assert plot.lr_points() == 2 and plot.point_count("train") == 2
    assert "lr" not in plot.latest("train")
    plot.set_history({"train": {"step": [1], "loss": [1.0]}})  # an old checkpoint: no rate
    assert plot.lr_points() == 0 and plot.latest_lr() is None


def test_a_small_code_gets_the_recipes_dense_layer(qtbot):
    form = _form(qtbot)
    _choose(form.backbone, "conv")
    _choose(form.dataset, "mnist")
    width = recipes.for_dataset("mnist", "conv", 2)["dense"]
    assert width > 0 and form.dense.value() == width and f"dense {width}" in form.note.text()
    form.code_size.setValue(30)
    assert form.dense.value() == 0
    form.code_size.setValue(16)  # still a large code: the form is left as it is
    form.dense.setValue(5)
    form.code_size.setValue(20)
    assert form.dense.value() == 5


def test_the_activation_follows_the_code_size_where_the_recipe_says(qtbot):
    # On 8x8 digits the mlp keeps relu for the map's 2-d code and takes elu for larger codes.
    form = _form(qtbot)
    _choose(form.dataset, "digits")
    _choose(form.backbone, "mlp")
    form.code_size.setValue(2)
    assert form.activation.currentData() == "relu" and "relu" in form.note.text()
    form.code_size.setValue(8)
    assert form.activation.currentData() == "elu" and "elu" in form.note.text()
    form.code_size.setValue(2)
    assert form.activation.currentData() == "relu"
    form.hidden.setText("40,20")  # set by hand: a code-size band change leaves it alone
    form.lr.setValue(0.0123)
    form.code_size.setValue(8)
    assert form.activation.currentData() == "elu"
    assert form.hidden.text() == "40,20" and form.lr.value() == 0.0123
    _choose(form.backbone, "conv")  # a new backbone fills in the whole recipe again
    assert form.hidden.text() != "40,20"


def _label_rects(axis) -> list:
    from PySide6.QtGui import QImage, QPainter

    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        return [(rect, text) for rect, _flags, text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()


def test_the_log_axes_labels_never_overlap(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(900, 200)  # the loss dock at 1280x800
    plot.show()
    plot.set_log(True)
    for step in range(1, 400):  # one-cycle's warm-up: 1.2e-4 up to 3e-3, a decade and a half
        rate = 3e-3 * min(1.0, 0.04 + step / 300)
        plot.append(step, {"loss": 60 - step / 10, "kl": 1 + step / 200}, lr=rate)
    plot.redraw()
    qtbot.wait(50)
    for side in ("left", "right"):  # the loss from 1 to 60, the rate over 1.4 decades
        labels = _label_rects(plot.getPlotItem().getAxis(side))
        assert len(labels) >= 2, side
        for i, (a, _text) in enumerate(labels):
            assert not any(a.intersects(b) for b, _ in labels[i + 1 :]), (side, labels)
