"""The layer shapes a config is said to build are the shapes its real model gives an image."""

import pytest
import torch
from torch import nn

from models import ModelConfig, build
from models.summary import describe_layers, layer_shapes

CONFIGS = [
    ModelConfig("mlp", "vae", (1, 8, 8), 2, [256, 128, 64]),
    ModelConfig("linear", "ae", (3, 16, 16), 5),
    ModelConfig("conv", "ae", (1, 8, 8), 2, [32, 64]),
    ModelConfig("conv", "vae", (1, 8, 8), 2, [8, 16, 32], depth=2, dense=20),
    ModelConfig("conv", "ae", (3, 28, 28), 4, [8, 8, 8, 8], norm="batch", dense=16),
    ModelConfig("conv", "ae", (1, 9, 13), 2, [4, 4, 4]),
]


def _forward_shapes(config: ModelConfig) -> list[tuple[int, ...]]:
    """Run a real image through the real encoder, noting each conv and linear output."""
    model = build(config).eval()
    seen = [tuple(config.input_shape)]
    for layer in model.backbone.encoder.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            layer.register_forward_hook(lambda _m, _i, out: seen.append(tuple(out.shape[1:])))
    with torch.no_grad():
        z = model.encode(torch.rand(2, *config.input_shape))
    return [*seen, tuple(z.shape[1:])]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.backbone}-{c.input_shape}")
def test_layer_shapes_are_those_of_the_real_model(config):
    assert layer_shapes(config) == _forward_shapes(config)


def test_the_line_names_the_shapes_and_the_stages_left_out():
    assert describe_layers(CONFIGS[2]) == "1x8x8 \u2192 32x4x4 \u2192 64x2x2 \u2192 code 2"
    assert describe_layers(CONFIGS[0]) == "1x8x8 \u2192 256 \u2192 128 \u2192 64 \u2192 code 2"
    assert "only 2 of 3 stages fit 8x8 images" in describe_layers(CONFIGS[3])
    with pytest.raises(ValueError, match="hidden"):
        describe_layers(ModelConfig("conv", "ae", (1, 8, 8), 2, []))
