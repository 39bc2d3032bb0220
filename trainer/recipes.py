"""Default settings per kind of data and backbone: the one table the form and `train` share.

A recipe gives the architecture (hidden sizes, normalisation, convolutions per stage, a
dense layer before the code, activation, loss) and the optimisation (batch size, peak
learning rate, weight decay, and how many training examples to show, from which the
number of epochs follows for a dataset of n training images). The kind of data is chosen
by the image's shorter side: up to 16 pixels like the 8 x 8 digits, up to 30 like 28 x 28
MNIST, else like 32 x 32 shapes, CIFAR-10 and folders (at their chosen size; larger
images get more conv stages from the same channel list, see models.backbones.conv_sizes).

Numbers were chosen on a validation split held out from the training split, and measured
on the test split by benchmarks/quality.py (docs/benchmarks.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from trainer import data

EPOCHS = (5, 300)  # the fewest and most epochs a recipe gives
PATIENCE_SHARE, MIN_PATIENCE = 0.25, 5  # early stopping: patience as a share of the epochs
KL_WARMUP_SHARE = 0.1  # the VAE's KL weight rises over this share of the epochs
SMALL_CODE = 8  # codes this small get the recipe's dense layer (a 2-d code from 2,048
# conv features in one linear map underfits; at code 30 the extra layer overfits)
MAP_CODE = 2  # the latent map's code: a recipe may pick another activation for it


@dataclass(frozen=True)
class Recipe:
    hidden: tuple[int, ...] = ()
    norm: str = "none"
    depth: int = 1
    dense: int = 0  # conv: a dense layer this wide before codes of at most SMALL_CODE units
    activation: str = "relu"
    map_activation: str = ""  # for a code of MAP_CODE units, this one instead (when set)
    loss: str = "bce"
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.0
    schedule: str = "onecycle"
    samples: int = 200_000  # training examples to show: epochs = samples / n
    epochs: int = 100  # when n is unknown (a folder not read yet)


LINEAR = dict(loss="mse", batch_size=128, schedule="cosine")  # PCA's objective, steadily
ELU = dict(activation="elu", map_activation="relu")  # elu wins at codes 8 and 30, relu at 2
TABLE: dict[tuple[str, str], Recipe] = {
    ("8x8", "linear"): Recipe(**LINEAR, lr=5e-2, samples=144_000),
    ("8x8", "mlp"): Recipe((256, 128, 64), "group", weight_decay=0.3, samples=216_000, **ELU),
    ("8x8", "conv"): Recipe((32, 64), "group", 2, weight_decay=0.3, samples=216_000, **ELU),
    ("28x28", "linear"): Recipe(**LINEAR, lr=3e-2, samples=144_000),
    ("28x28", "mlp"): Recipe((512, 256, 128), "group", weight_decay=0.3, samples=216_000),
    ("28x28", "conv"): Recipe((32, 64, 128), "batch", dense=256, weight_decay=1.0, samples=180_000),
    ("32x32", "linear"): Recipe(**LINEAR, lr=3e-2, samples=144_000),
    ("32x32", "mlp"): Recipe((512, 256, 128), "group", weight_decay=0.3, samples=216_000),
    ("32x32", "conv"): Recipe((32, 64, 128), "batch", dense=256, weight_decay=1.0, samples=180_000),
}
MODEL_FIELDS = ("hidden", "norm", "depth", "dense", "activation", "loss")
TRAIN_FIELDS = ("epochs", "batch_size", "lr", "weight_decay", "schedule", "patience", "kl_warmup")
FIELDS = (*MODEL_FIELDS, *TRAIN_FIELDS)  # the settings a recipe fills in
CODE_FIELDS = ("dense", "activation")  # those that depend on the code size (see band)


def kind(input_shape) -> str:
    """The row of TABLE for images of this (C, H, W): by the shorter side."""
    side = min(int(input_shape[1]), int(input_shape[2]))
    return "8x8" if side <= 16 else "28x28" if side <= 30 else "32x32"


def defaults(
    input_shape,
    backbone: str,
    n_train: int | None = None,
    epochs: int | None = None,
    code_size: int = 2,
) -> dict:
    """The recipe's settings as ModelConfig and TrainConfig field values (MODEL_FIELDS and
    TRAIN_FIELDS) for `backbone` on images of `input_shape`, n_train of them, with a code of
    `code_size`; patience and KL warm-up follow `epochs` when it is given (else the
    recipe's epochs)."""
    recipe = TABLE[(kind(input_shape), backbone)]
    if not epochs:
        epochs = recipe.epochs
        if n_train:
            epochs = min(max(round(recipe.samples / n_train), EPOCHS[0]), EPOCHS[1])
    values = {f.name: getattr(recipe, f.name) for f in fields(Recipe)}
    values.update(
        hidden=list(recipe.hidden) or [64],  # linear ignores hidden; keep a valid list
        epochs=epochs,
        dense=recipe.dense if code_size <= SMALL_CODE else 0,
        activation=(recipe.map_activation or recipe.activation)
        if code_size == MAP_CODE
        else recipe.activation,
        patience=max(MIN_PATIENCE, math.ceil(PATIENCE_SHARE * epochs)),
        kl_warmup=math.ceil(KL_WARMUP_SHARE * epochs),
    )
    return {key: values[key] for key in FIELDS}


def band(code_size: int) -> tuple[bool, bool]:
    """Where the recipe's values change with the code size: the map's code, a small code."""
    return code_size == MAP_CODE, code_size <= SMALL_CODE


def for_dataset(dataset: str, backbone: str, code_size: int = 2) -> dict:
    """`defaults` for a catalogue dataset (or folder) by name, before it is loaded."""
    shape, n_train = data.shape_and_size(dataset)
    return defaults(shape, backbone, n_train, code_size=code_size)
