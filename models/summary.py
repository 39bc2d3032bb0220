"""What a config builds, layer by layer: the shapes its encoder's layers give an image.

The model is built on the meta device (no weights are made) and the shapes are read from
its layers' own attributes; no forward pass is run (meta kernels would import torch._dynamo,
seconds on the GUI thread).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from models.config import ModelConfig

ARROW = " \u2192 "


def _next_shape(layer: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shape `layer` gives to one example of `shape`; None for layers that keep it."""
    if isinstance(layer, nn.Conv2d):
        sides = [
            (side + 2 * pad - dil * (k - 1) - 1) // stride + 1
            for side, pad, dil, k, stride in zip(
                shape[1:], layer.padding, layer.dilation, layer.kernel_size, layer.stride
            )
        ]
        return (layer.out_channels, *sides)
    if isinstance(layer, nn.Flatten):
        return (math.prod(shape),)
    if isinstance(layer, nn.Linear):
        return (layer.out_features,)
    return None


def _measure(config: ModelConfig) -> tuple[list[tuple[int, ...]], nn.Module]:
    from models import build

    with torch.device("meta"):
        backbone = build(config).backbone
    shapes, shape = [tuple(config.input_shape)], tuple(config.input_shape)
    for layer in backbone.encoder.modules():
        new = _next_shape(layer, shape)
        if new is not None:
            shape = new
            if not isinstance(layer, nn.Flatten):
                shapes.append(shape)
    return [*shapes, (config.code_size,)], backbone


def layer_shapes(config: ModelConfig) -> list[tuple[int, ...]]:
    """The input's (C, H, W), then the output shape of each convolution and fully connected
    layer of the encoder, then the code's. ValueError (one sentence) when the config cannot
    be built."""
    return _measure(config)[0]


def describe_layers(config: ModelConfig) -> str:
    """One line such as "1x8x8 -> 32x4x4 -> 64x2x2 -> code 2" (with arrows), and which
    conv stages were left out because the image is too small for them."""
    (*layers, code), backbone = _measure(config)
    parts = ["x".join(map(str, shape)) for shape in layers]
    text = ARROW.join([*parts, f"code {code[0]}"])
    stages = getattr(backbone, "stages", None)
    if stages is not None and stages < len(config.hidden):
        _, height, width = config.input_shape
        text += f" (only {stages} of {len(config.hidden)} stages fit {height}x{width} images)"
    return text
