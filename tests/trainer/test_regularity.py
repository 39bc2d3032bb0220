"""Latent regularity, traversals and the factor table on briefly trained real models."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from torch import nn

from models import ModelConfig, build
from trainer import recipes
from trainer.analysis import regularity, traversal
from trainer.config import TrainConfig
from trainer.data import as_float, load
from trainer.loop import Trainer


@functools.lru_cache(maxsize=4)
def _trained(objective: str, dataset: str = "digits", backbone: str = "conv", code_size: int = 8,
             epochs: int = 20, seed: int = 0):  # fmt: skip
    """A model trained through the real Trainer with the recipe's settings (what the form and
    `train` give) for `epochs` epochs, in eval mode."""
    data = load(dataset)
    values = recipes.defaults(data.shape, backbone, len(data.train_x), epochs, code_size)
    model = {k: values[k] for k in recipes.MODEL_FIELDS}
    config = ModelConfig(backbone, objective, tuple(data.shape), code_size, **model)
    train = {k: values[k] for k in recipes.TRAIN_FIELDS}
    trainer = Trainer(config, TrainConfig(dataset=dataset, device="cpu", seed=seed, **train), data)
    progress = list(trainer.run())
    assert progress[-1].done and not progress[-1].error
    return trainer.model.eval()


def test_the_vae_latent_space_is_smoother_and_has_fewer_holes_than_the_plain_ae():
    """The lecture's "Autoencoder problem": same backbone, code size and training length."""
    digits = load("digits")
    ae = regularity.regularity(_trained("ae"), digits)
    vae = regularity.regularity(_trained("vae"), digits)
    assert vae["latent_roughness"] < ae["latent_roughness"], (ae, vae)
    assert vae["latent_holes"] < ae["latent_holes"], (ae, vae)


def _scaled(model, factor: float):
    """The same function with every code multiplied by `factor` (head and first decoder
    layer rescaled), so only the scale of the code space differs."""
    scaled = build(model.config)
    scaled.load_state_dict(model.state_dict())
    first = next(m for m in scaled.backbone.decoder.modules() if isinstance(m, nn.Linear))
    with torch.no_grad():
        scaled.backbone.head.weight.mul_(factor)
        scaled.backbone.head.bias.mul_(factor)
        first.weight.div_(factor)
    return scaled.eval()


def test_roughness_and_holes_do_not_depend_on_the_scale_of_the_code_space():
    digits = load("digits")
    model = _trained("ae")
    big = _scaled(model, 25.0)
    x = as_float(digits.test_x[:16])
    with torch.no_grad():
        torch.testing.assert_close(big.encode(x), 25.0 * model.encode(x), rtol=1e-4, atol=1e-3)
        torch.testing.assert_close(big.decode(big.encode(x)), model.decode(model.encode(x)),
                                   rtol=0, atol=1e-4)  # fmt: skip
    plain, scaled = regularity.regularity(model, digits), regularity.regularity(big, digits)
    assert scaled["latent_roughness"] == pytest.approx(plain["latent_roughness"], rel=1e-3)
    assert scaled["latent_holes"] == pytest.approx(plain["latent_holes"], abs=2 / 512)


def test_regularity_is_seeded_and_reports_progress():
    digits = load("digits")
    model = _trained("ae")
    fractions = []
    first = regularity.regularity(model, digits, seed=3, report=fractions.append)
    assert first == regularity.regularity(model, digits, seed=3)
    assert fractions and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert 0 <= first["latent_holes"] <= 1 and first["latent_roughness"] > 0


def test_a_report_that_raises_cancels_the_computation():
    class Stop(Exception):
        pass

    def report(fraction):
        raise Stop

    with pytest.raises(Stop):
        regularity.regularity(_trained("ae"), load("digits"), report=report)


def test_the_traversal_grid_has_one_row_per_code_dimension():
    digits = load("digits")
    model = _trained("vae")
    grid = traversal.traversal_grid(model, digits, steps=7)
    assert grid.shape == (8, 7, 8, 8) and grid.dtype == np.float32
    assert grid.min() >= 0 and grid.max() <= 1
    # The middle column is the mean code in every row; the ends differ from it.
    codes = regularity.region_codes(model, digits)
    with torch.no_grad():
        middle = model.decode(torch.as_tensor(codes.mean(0)[None], dtype=torch.float32))
    for row in grid:
        np.testing.assert_allclose(row[3], middle[0, 0].numpy(), atol=1e-5)
    assert np.abs(grid[:, 0] - grid[:, -1]).max() > 0.05
    grid_codes = traversal.traversal_codes(codes, steps=7)
    std = codes.std(0)
    np.testing.assert_allclose(
        grid_codes[2, :, 2], codes.mean(0)[2] + np.linspace(-3, 3, 7) * std[2]
    )
    np.testing.assert_allclose(grid_codes[2, :, 0], codes.mean(0)[0])


def test_colour_traversals_keep_the_channels_last():
    model = build(ModelConfig("conv", "colourise", (3, 32, 32), code_size=3, hidden=[8]))
    grid = traversal.traversal_grid(model.eval(), load("shapes-colour"), steps=5)
    assert grid.shape == (3, 5, 32, 32, 3)


def test_the_factor_table_has_one_row_per_factor_of_shapes():
    shapes = load("shapes")
    model = _trained("ae", "shapes", backbone="mlp", code_size=6, epochs=2)
    table = traversal.factor_table(model, shapes)
    assert table["factors"] == ["shape", "scale", "rotation", "x", "y"]
    assert table["correlation"].shape == table["mutual_info"].shape == (5, 6)
    assert table["correlation"].min() >= 0 and table["correlation"].max() <= 1
    assert table["mutual_info"].min() >= 0
    rows = dict(zip(table["factors"], table["correlation"].max(1)))
    # Position is what a small autoencoder of sprites tracks first; the raw angle hardly.
    assert min(rows["x"], rows["y"]) > 0.5 and rows["rotation"] < 0.3, rows


def test_the_factor_table_needs_known_factors():
    with pytest.raises(ValueError, match="digits has no known generative factors"):
        traversal.factor_table(_trained("ae"), load("digits"))
