"""The recipe table: valid settings for every kind of data, shared by `train`, and a linear
autoencoder that reaches PCA in its default epochs on the built-in datasets."""

import pytest

import main
from models import BACKBONES, OBJECTIVES, ModelConfig, build
from trainer import analysis, cli, data, recipes
from trainer.config import TrainConfig
from trainer.loop import Trainer

SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32), (1, 32, 32), (3, 64, 64), (1, 12, 20)]


def test_every_catalogue_dataset_has_a_recipe_before_it_is_loaded():
    for name in data.names():
        shape, n_train = data.shape_and_size(name)
        values = recipes.for_dataset(name, "conv")
        assert values == recipes.defaults(shape, "conv", n_train)
    folder = recipes.for_dataset("folder:/anywhere", "mlp")
    assert folder == recipes.defaults((1, data.FOLDER_SIZE, data.FOLDER_SIZE), "mlp")


def test_kinds_follow_the_shorter_side():
    kinds = [recipes.kind(shape) for shape in SHAPES]
    assert kinds == ["8x8", "28x28", "32x32", "32x32", "32x32", "8x8"]


@pytest.mark.parametrize("shape", SHAPES)
def test_every_recipe_builds_every_objective(shape):
    for backbone in BACKBONES:
        values = recipes.defaults(shape, backbone, n_train=1000)
        model = {k: values[k] for k in recipes.MODEL_FIELDS}
        train = TrainConfig(**{k: values[k] for k in recipes.TRAIN_FIELDS})
        train.validate()
        for objective in OBJECTIVES:
            if backbone == "conv" and min(shape[1:]) < 8:
                continue
            if shape[0] not in OBJECTIVES[objective].channels:
                continue
            config = ModelConfig(backbone, objective, shape, 2, **model)
            build(config)  # validates


def test_conv_channels_widen_as_the_image_shrinks():
    for (kind, backbone), recipe in recipes.TABLE.items():
        if backbone == "conv":
            assert list(recipe.hidden) == sorted(set(recipe.hidden)), kind
            assert recipe.norm != "none"


def test_epochs_follow_the_number_of_training_images():
    small = recipes.defaults((1, 8, 8), "mlp", n_train=1438)
    big = recipes.defaults((1, 8, 8), "mlp", n_train=100_000)
    assert small["epochs"] > big["epochs"] == recipes.EPOCHS[0]
    assert recipes.defaults((1, 8, 8), "mlp", n_train=1)["epochs"] == recipes.EPOCHS[1]
    assert small["patience"] >= recipes.MIN_PATIENCE and small["kl_warmup"] >= 1
    given = recipes.defaults((1, 8, 8), "mlp", n_train=1438, epochs=8)
    assert given["epochs"] == 8 and given["patience"] == recipes.MIN_PATIENCE


def _parse(*flags):
    args = main.build_parser().parse_args(["train", *flags, "--out", "x.safetensors"])
    digits = data.load("digits")
    return cli.configs(args, digits.shape, len(digits.train_x))


def test_train_takes_the_recipe_for_flags_not_given():
    model, train = _parse("--dataset", "digits", "--backbone", "conv", "--objective", "vae")
    values = recipes.defaults((1, 8, 8), "conv", 1438)
    assert {k: getattr(model, k) for k in recipes.MODEL_FIELDS} == {
        k: values[k] for k in recipes.MODEL_FIELDS
    }
    assert {k: getattr(train, k) for k in recipes.TRAIN_FIELDS} == {
        k: values[k] for k in recipes.TRAIN_FIELDS
    }
    model, train = _parse("--backbone", "conv", "--hidden", "8,16", "--lr", "0.5", "--norm",
                          "none", "--epochs", "3")  # fmt: skip
    assert model.hidden == [8, 16] and model.norm == "none" and train.lr == 0.5
    assert train.epochs == 3 and train.patience == recipes.MIN_PATIENCE
    assert model.depth == values["depth"]  # the flags not given still come from the recipe


@pytest.mark.parametrize(
    ("name", "code_size"),
    [("digits", 2), ("digits", 8), ("digits", 30), ("shapes", 2), ("shapes", 8)],
)
def test_the_default_linear_autoencoder_reaches_pca(name, code_size):
    dataset = data.load(name)
    values = recipes.defaults(dataset.shape, "linear", len(dataset.train_x))
    model = ModelConfig("linear", "ae", dataset.shape, code_size,
                        **{k: values[k] for k in recipes.MODEL_FIELDS})  # fmt: skip
    train = TrainConfig(dataset=name, **{k: values[k] for k in recipes.TRAIN_FIELDS})
    trainer = Trainer(model, train, dataset)
    last = list(trainer.run())[-1]
    assert last.done and last.error is None
    ours = analysis.test_mse(trainer.model.eval(), dataset)
    pca = analysis.pca_test_mse(dataset, code_size)
    assert ours <= 1.02 * pca, (ours, pca)


def test_the_dense_layer_is_for_small_codes_only():
    rows = [(kind, r) for (kind, backbone), r in recipes.TABLE.items() if backbone == "conv"]
    assert any(r.dense for _, r in rows)
    for kind, recipe in rows:
        shape = {"8x8": (1, 8, 8), "28x28": (1, 28, 28), "32x32": (3, 32, 32)}[kind]
        small = recipes.defaults(shape, "conv", 1000, code_size=recipes.SMALL_CODE)
        large = recipes.defaults(shape, "conv", 1000, code_size=recipes.SMALL_CODE + 1)
        assert small["dense"] == recipe.dense and large["dense"] == 0
    model, _ = _parse("--backbone", "conv", "--code-size", "30")
    assert model.dense == 0


def test_a_recipe_may_give_the_maps_code_its_own_activation():
    for backbone in ("mlp", "conv"):
        recipe = recipes.TABLE[("8x8", backbone)]
        assert recipe.map_activation and recipe.map_activation != recipe.activation
        got = recipes.defaults((1, 8, 8), backbone, 1438, code_size=2)["activation"]
        assert got == "relu"
        for code in (3, 8, 30):
            got = recipes.defaults((1, 8, 8), backbone, 1438, code_size=code)["activation"]
            assert got == "elu"
    for code in (2, 8):  # 28x28 has one activation for every code size
        assert recipes.defaults((1, 28, 28), "mlp", 4000, code_size=code)["activation"] == "relu"
