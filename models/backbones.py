"""Backbones: the network shapes an objective trains (`linear`, `mlp`, `conv`).

A backbone has three parts:

- `encoder`: x [N, C, H, W] -> features [N, feature_size],
- `head`: features -> [N, head_size], a Linear layer (the objective picks head_size:
  code_size, or 2 * code_size for the VAE's mean and log-variance),
- `decoder`: z [N, code_size] -> logits [N, C, H, W], and `output(logits)`, the output
  activation that maps logits into data range (identity for `linear`, sigmoid otherwise).

Keeping the output activation apart lets the objectives compute bce from logits, which
is numerically stable.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from models.config import ACTIVATIONS, BACKBONES, NORMS, ModelConfig

ACTIVATIONS.update({
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
})  # fmt: skip
GROUPS = 8  # group norm: up to this many channel groups (an mlp layer is one group: layer norm)
MIN_CONV_SIZE = 8  # smallest H and W the conv backbone accepts
MIN_FEATURE_MAP = 2  # the conv encoder's smallest feature map is at least 2 x 2


class Backbone(nn.Module):
    """Base class: subclasses set encoder, feature_size, head, decoder and output_activation.

    What callers ask instead of testing a backbone's name: `uses` (the ModelConfig fields it
    reads; the form shows their rows only for it), `fixed` (settings it allows one value of,
    with the reason), `affine` (whether decode is an affine map, so its outputs span a
    subspace that PCA's can be compared with), `labels` (the form's name for a setting that
    means something else here) and `about` (one line for tooltips and --help).
    """

    about = ""
    uses: tuple[str, ...] = ()
    fixed: dict[str, tuple[object, str]] = {}  # field -> (the only value, why)
    labels: dict[str, str] = {}  # field -> the form's label for it with this backbone
    affine = False

    def __init__(self, config: ModelConfig, head_size: int) -> None:
        super().__init__()
        self.input_shape = tuple(config.input_shape)
        self.code_size = config.code_size
        self.head_size = head_size

    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        """Raise ValueError for settings this backbone cannot build (common checks are done)."""
        for name, (value, why) in cls.fixed.items():
            if getattr(config, name) != value:
                raise ValueError(
                    f"{name} must be {value!r} with the {config.backbone} backbone, {why}: "
                    f"use {name} {value!r}, not {getattr(config, name)!r}."
                )

    def encode_head(self, x: torch.Tensor) -> torch.Tensor:
        """x -> the raw head output [N, head_size]."""
        return self.head(self.encoder(x))

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z -> pre-activation output [N, C, H, W]."""
        return self.decoder(z)

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        return self.output_activation(logits)


# Normalisation after each hidden layer (not the code), for `width` features or channels:
# batch: BatchNorm (running statistics in eval mode); group: GroupNorm over up to GROUPS
# channel groups for conv, one group (layer norm) for mlp, the same in train and eval mode.
NORMS.update({
    "none": lambda width, conv: [],
    "batch": lambda width, conv: [nn.BatchNorm2d(width) if conv else nn.BatchNorm1d(width)],
    "group": lambda width, conv: [nn.GroupNorm(math.gcd(GROUPS, width) if conv else 1, width)],
})  # fmt: skip


def norm_layer(kind: str, width: int, conv: bool) -> list[nn.Module]:
    """The normalisation layers `kind` (a name in NORMS) for `width` features or channels."""
    return NORMS[kind](width, conv)


def _check_hidden(config: ModelConfig, meaning: str) -> None:
    if not config.hidden:
        raise ValueError(
            f"hidden must list at least one positive whole number ({meaning}) "
            f"for the {config.backbone} backbone, not {config.hidden!r}."
        )


class LinearBackbone(Backbone):
    """One Linear layer each way, identity activations and output: the PCA-equivalent AE."""

    about = "one linear layer each way, no activation; with squared error it finds PCA's subspace."
    fixed = {"loss": ("mse", "whose output is linear (bce needs outputs in [0, 1])")}
    affine = True

    def __init__(self, config: ModelConfig, head_size: int) -> None:
        super().__init__(config, head_size)
        size = math.prod(self.input_shape)
        self.encoder = nn.Flatten()
        self.feature_size = size
        self.head = nn.Linear(size, head_size)
        self.decoder = nn.Sequential(
            nn.Linear(self.code_size, size), nn.Unflatten(1, self.input_shape)
        )
        self.output_activation = nn.Identity()


class MLPBackbone(Backbone):
    """Fully connected: input -> hidden[0] -> ... -> hidden[-1] -> code, mirrored back.

    Each hidden layer is Linear + the normalisation (`norm`) + the selected activation; the
    code layer is linear (the objective may add its own code activation); the output is a
    sigmoid (data in [0, 1]).
    """

    about = "fully connected layers f = s(Wx), g = s(W'h); one is the shallow autoencoder."
    uses = ("hidden", "activation", "norm")

    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        super().check_config(config)
        _check_hidden(config, "layer widths")

    def __init__(self, config: ModelConfig, head_size: int) -> None:
        super().__init__(config, head_size)
        act = ACTIVATIONS[config.activation]
        size = math.prod(self.input_shape)
        widths = [size, *config.hidden]
        down: list[nn.Module] = [nn.Flatten()]
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            down += [nn.Linear(n_in, n_out), *norm_layer(config.norm, n_out, False), act()]
        self.encoder = nn.Sequential(*down)
        self.feature_size = widths[-1]
        self.head = nn.Linear(widths[-1], head_size)
        back = [self.code_size, *reversed(config.hidden)]
        up: list[nn.Module] = []
        for n_in, n_out in zip(back[:-1], back[1:]):
            up += [nn.Linear(n_in, n_out), *norm_layer(config.norm, n_out, False), act()]
        up += [nn.Linear(back[-1], size), nn.Unflatten(1, self.input_shape)]
        self.decoder = nn.Sequential(*up)
        self.output_activation = nn.Sigmoid()


def conv_sizes(height: int, width: int, stages: int) -> list[tuple[int, int]]:
    """Spatial sizes after each stride-2 stage (kernel 3, padding 1), input size first.

    Stops early when another stage would make a side smaller than MIN_FEATURE_MAP.
    """
    sizes = [(height, width)]
    while len(sizes) <= stages:
        h, w = sizes[-1]
        nh, nw = (h + 1) // 2, (w + 1) // 2
        if min(nh, nw) < MIN_FEATURE_MAP:
            break
        sizes.append((nh, nw))
    return sizes


class ConvBackbone(Backbone):
    """Stride-2 convolutions down, transposed convolutions up, for any C in {1, 3}, H, W >= 8.

    `hidden` gives the channels of each stride-2 stage (kernel 3, padding 1, then the
    normalisation `norm` and the activation), e.g. [32, 64, 128]. Stages that would shrink
    a side below 2 pixels are dropped from the end of the list: an 8 x 8 input uses at most
    2 stages (8 -> 4 -> 2), 28 x 28 or 32 x 32 at most 4. `stages` tells how many were used.
    `depth` is the number of convolutions per stage: depth - 1 stride-1 convolutions come
    before each stride-2 one. The decoder mirrors the encoder with transposed convolutions
    (whose output_padding is chosen per stage and per side, so the output is exactly
    (C, H, W) for odd sizes too, e.g. 9 x 13), each followed by depth - 1 stride-1
    convolutions; with depth >= 2 the last of them maps to the C output channels. `dense`
    > 0 puts a fully connected layer of that width (with `norm` and the activation) between
    the last feature map and the code, and mirrors it in the decoder.
    """

    about = "strided convolutions down, transposed convolutions up; images of 8 x 8 or more."
    uses = ("hidden", "activation", "norm", "depth", "dense")
    labels = {"hidden": "Channels per stage"}

    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        super().check_config(config)
        _check_hidden(config, "channels per stride-2 stage")
        _, height, width = config.input_shape
        if min(height, width) < MIN_CONV_SIZE:
            raise ValueError(
                f"input_shape must have H and W of at least {MIN_CONV_SIZE} for the conv "
                f"backbone (use mlp or linear for smaller images), not {tuple(config.input_shape)}."
            )

    def __init__(self, config: ModelConfig, head_size: int) -> None:
        super().__init__(config, head_size)
        act, depth = ACTIVATIONS[config.activation], config.depth
        channels, height, width = self.input_shape
        sizes = conv_sizes(height, width, len(config.hidden))
        self.stages = len(sizes) - 1
        chans = [channels, *config.hidden[: self.stages]]

        def conv(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
            layer = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)
            return [layer, *norm_layer(config.norm, c_out, True), act()]

        down: list[nn.Module] = []
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            for _ in range(depth - 1):
                down += conv(c_in, c_out)
                c_in = c_out
            down += conv(c_in, c_out, stride=2)
        down.append(nn.Flatten())
        last_h, last_w = sizes[-1]
        maps = chans[-1] * last_h * last_w
        up: list[nn.Module] = []
        if config.dense:
            width = config.dense
            down += [nn.Linear(maps, width), *norm_layer(config.norm, width, False), act()]
            up += [nn.Linear(self.code_size, width), *norm_layer(config.norm, width, False), act()]
        self.encoder = nn.Sequential(*down)
        self.feature_size = config.dense or maps
        self.head = nn.Linear(self.feature_size, head_size)
        up += [
            nn.Linear(config.dense or self.code_size, maps),
            act(),
            nn.Unflatten(1, (chans[-1], last_h, last_w)),
        ]
        for stage in range(self.stages, 0, -1):
            (out_h, out_w), (in_h, in_w) = sizes[stage - 1], sizes[stage]
            # (in - 1) * 2 - 2 + 3 + pad = out  ->  pad = out - 2 * in + 1, 0 or 1
            pad = (out_h - 2 * in_h + 1, out_w - 2 * in_w + 1)
            c_out = chans[stage - 1] if stage > 1 or depth == 1 else chans[1]
            up.append(
                nn.ConvTranspose2d(chans[stage], c_out, 3, stride=2, padding=1, output_padding=pad)
            )
            if stage > 1 or depth > 1:
                up += [*norm_layer(config.norm, c_out, True), act()]
            for i in range(depth - 1):
                if stage == 1 and i == depth - 2:
                    up.append(nn.Conv2d(c_out, channels, 3, padding=1))  # to the output channels
                else:
                    up += conv(c_out, c_out)
        self.decoder = nn.Sequential(*up)
        self.output_activation = nn.Sigmoid()


BACKBONES.update({"linear": LinearBackbone, "mlp": MLPBackbone, "conv": ConvBackbone})
