"""The plain autoencoder, base of every objective, and what callers ask an objective.

Loss conventions (DESIGN.md, "Models: two axes, one interface"): every term is reported
unweighted, as a batch mean of per-example values; `recon` is summed over the pixels of
each example (mse: sum of squared errors, bce: sum of binary cross-entropies); and
`loss = recon + sum(weight * term)` over the other terms, with the weights read from the
config fields named in `weights`. Batch- or model-level terms (sparse_kl's `sparsity`, a
penalty on the weights) say so where they are defined.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.backbones import BACKBONES
from models.config import ModelConfig
from models.corruption import parse_noise


class AEOutput(NamedTuple):
    loss: Tensor  # scalar: recon + weighted other terms
    terms: dict[str, Tensor]  # unweighted scalar terms, named as in term_names()
    recon: Tensor  # the reconstruction x_hat [N, C, H, W], in data range
    z: Tensor  # the code used for the reconstruction [N, code_size] (VAE: the sample)


def _mse(logits: Tensor, x_hat: Tensor, target: Tensor) -> Tensor:
    return (x_hat - target).pow(2).flatten(1).sum(1).mean()


def _bce(logits: Tensor, x_hat: Tensor, target: Tensor) -> Tensor:
    per_pixel = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return per_pixel.flatten(1).sum(1).mean()


RECON_LOSSES = {"mse": _mse, "bce": _bce}


class Autoencoder(nn.Module):
    """The plain autoencoder; the other objectives override `code`, `latent` or `penalties`.

    `encode(x) -> z`, `decode(z) -> x_hat`, `forward(x, target=None) -> AEOutput`. The
    target defaults to x. What the network is trained on comes from `training_pair`
    (denoising: a corrupted batch as x and the clean one as target; the forward pass never
    corrupts anything itself), and what it sees at inference from `inputs_for`.

    The class attributes are what the trainer, the analysis, the panels and the form ask
    instead of testing an objective's name: its terms and their weights, the config fields
    it uses (the form shows their rows only for it), the channels it takes, whether it has
    a prior, which terms sum to its negative ELBO, and one line about it.
    """

    about = "reproduce the input through the bottleneck."
    terms: tuple[str, ...] = ("recon",)
    weights: dict[str, str] = {}  # term name -> the config field that holds its weight
    uses: tuple[str, ...] = ()  # ModelConfig / TrainConfig fields only this objective reads
    warmup_terms: tuple[str, ...] = ()  # terms whose weight a trainer may warm up from 0
    elbo_terms: tuple[str, ...] = ()  # terms whose sum is the negative ELBO (eval reports it)
    head_factor = 1  # the encoder head gives head_factor * code_size numbers
    channels: tuple[int, ...] = (1, 3)  # the image channels this objective accepts
    has_prior = False  # whether decode(z) of z ~ N(0, I) is a sample of the model
    colourises = False  # whether it was trained to colour the grey version of its input

    @property
    def corruption(self) -> str | None:
        """The corruption this model was trained to remove (a noise spec), or None."""
        return None

    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        """Raise ValueError for settings this objective cannot train on. The noise spec is
        checked for every objective, so a config is valid or not whatever its objective."""
        if config.input_shape[0] not in cls.channels:
            raise ValueError(
                f"objective {config.objective} needs images with "
                f"{' or '.join(map(str, cls.channels))} channels but these have "
                f"{config.input_shape[0]}: pick a colour dataset such as shapes-colour or "
                "cifar10, or another objective."
            )
        try:
            parse_noise(config.noise)
        except ValueError as error:
            raise ValueError(f"noise is not valid: {error}") from None

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config.copy()
        backbone = BACKBONES[config.backbone]
        self.backbone = backbone(self.config, self.head_factor * config.code_size)
        self._recon = RECON_LOSSES[config.loss]
        # A trainer's warm-up sets this in [0, 1]: the weights of warmup_terms are multiplied
        # by it in `loss` (the terms themselves stay unweighted). Not saved with the weights.
        self.warmup = 1.0

    @property
    def code_size(self) -> int:
        return self.config.code_size

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.config.input_shape)

    def _check(self, x: Tensor, name: str = "x") -> None:
        if x.dim() != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"{name} must have shape [N, {', '.join(map(str, self.input_shape))}] for this "
                f"model, not {list(x.shape)}."
            )

    def code(self, head: Tensor) -> Tensor:
        """The code layer's activation applied to the encoder head (identity here)."""
        return head

    def training_pair(
        self, batch: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """(inputs, target) to train and validate on for a batch of data: (batch, batch) here."""
        return batch, batch

    def inputs_for(self, x: Tensor) -> Tensor:
        """What to feed the model to reconstruct images x at inference: x itself here."""
        return x

    def psnr_errors(self, target: Tensor, recon: Tensor) -> dict[str, Tensor]:
        """Extra figures beyond the loss terms: per-example mean squared errors [N] by name.

        Validation and `eval` report each as `<name>_psnr_db`, 10 log10(1 / mean over the
        test split), for images in [0, 1]. None here.
        """
        return {}

    def _encode(self, x: Tensor) -> Tensor:
        return self.code(self.backbone.encode_head(x))

    def encode(self, x: Tensor) -> Tensor:
        """x [N, C, H, W] -> z [N, code_size]."""
        self._check(x)
        return self._encode(x)

    def decode(self, z: Tensor) -> Tensor:
        """z [N, code_size] -> x_hat [N, C, H, W] in data range (the linear backbone: unclipped)."""
        return self.backbone.output(self.backbone.decode_logits(z))

    def penalties(self, x: Tensor, z: Tensor) -> dict[str, Tensor]:
        """The terms besides recon, from the input and its code."""
        return {}

    def latent(
        self, x: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The code to decode during training, and the terms besides recon."""
        z = self._encode(x)
        return z, self.penalties(x, z)

    def forward(
        self, x: Tensor, target: Tensor | None = None, generator: torch.Generator | None = None
    ) -> AEOutput:
        """`generator` (on x's device) makes the VAE's sampling repeatable; others ignore it."""
        self._check(x)
        if target is None:
            target = x
        else:
            self._check(target, "target")
        z, extra = self.latent(x, generator)
        logits = self.backbone.decode_logits(z)
        x_hat = self.backbone.output(logits)
        terms = {"recon": self._recon(logits, x_hat, target), **extra}
        loss = terms["recon"]
        for name, weight in self.weights.items():
            scale = self.warmup if name in self.warmup_terms else 1.0
            loss = loss + scale * getattr(self.config, weight) * terms[name]
        return AEOutput(loss, terms, x_hat, z)
