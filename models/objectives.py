"""Objectives: what a backbone is trained to do (`ae`, `denoising`, `sparse_l1`, ...).

Loss conventions (DESIGN.md, "Models: two axes, one interface"): every term is reported
unweighted, as a batch mean of per-example values; `recon` is summed over the pixels of
each example (mse: sum of squared errors, bce: sum of binary cross-entropies); and
`loss = recon + sum(weight * term)` over the other terms, with the weights read from the
config fields named in `weights`. The one batch-level term is `sparse_kl`'s `sparsity`,
which by definition compares the batch mean activation of each code unit with rho.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.backbones import BACKBONES
from models.colour import chroma, grey3
from models.corruption import corrupt

if TYPE_CHECKING:
    from models.config import ModelConfig

LOGVAR_RANGE = (-30.0, 20.0)  # the VAE's log-variance is clamped here so exp() stays finite
KL_EPS = 1e-6  # sparse_kl keeps rho_hat inside (eps, 1 - eps)


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
    """

    terms: tuple[str, ...] = ("recon",)
    weights: dict[str, str] = {}  # term name -> the config field that holds its weight
    warmup_terms: tuple[str, ...] = ()  # terms whose weight a trainer may warm up from 0
    head_factor = 1  # the encoder head gives head_factor * code_size numbers
    channels: tuple[int, ...] = (1, 3)  # the image channels this objective accepts
    has_prior = False  # whether decode(z) of z ~ N(0, I) is a sample of the model

    @property
    def corruption(self) -> str | None:
        """The corruption this model was trained to remove (a noise spec), or None."""
        return None

    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        """Raise ValueError for settings this objective cannot train on."""
        if config.input_shape[0] not in cls.channels:
            raise ValueError(
                f"objective {config.objective} needs images with "
                f"{' or '.join(map(str, cls.channels))} channels but these have "
                f"{config.input_shape[0]}: pick a colour dataset such as shapes-colour or "
                "cifar10, or another objective."
            )

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


class DenoisingAutoencoder(Autoencoder):
    """Reconstructs the clean target from a corrupted x; the trainer corrupts each batch
    afresh with `models.corruption.corrupt(clean, config.noise)`."""

    @property
    def corruption(self) -> str | None:
        return self.config.noise

    def training_pair(
        self, batch: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        return corrupt(batch, self.config.noise, generator=generator), batch


def _pixel_mse(a: Tensor, b: Tensor) -> Tensor:
    return (a - b).pow(2).flatten(1).mean(1)


class ColourAutoencoder(Autoencoder):
    """Colourisation: sees the grey version of a colour image and reconstructs its colours.

    The grey version is the ITU-R BT.601 luminance repeated in three channels
    (`models.colour.grey3`), so input_shape stays (3, H, W) and every backbone works. The
    encoder greys whatever it is given, so `encode` of a colour image is the code of its
    grey version. Extra figures (`psnr_errors`): `colour` (output against truth),
    `grey` (the grey input against truth: the baseline), `chroma` (the output's Cb and Cr
    planes of full-range BT.601 YCbCr against the truth's) and `grey_chroma` (the grey
    input's chroma, 0.5 everywhere, against the truth's: the chroma baseline).
    """

    channels = (3,)

    def _encode(self, x: Tensor) -> Tensor:
        return super()._encode(grey3(x))

    def training_pair(
        self, batch: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        return grey3(batch), batch

    def inputs_for(self, x: Tensor) -> Tensor:
        return grey3(x)

    def psnr_errors(self, target: Tensor, recon: Tensor) -> dict[str, Tensor]:
        grey = grey3(target)
        truth = chroma(target)
        return {
            "colour": _pixel_mse(recon, target),
            "grey": _pixel_mse(grey, target),
            "chroma": _pixel_mse(chroma(recon), truth),
            "grey_chroma": _pixel_mse(torch.full_like(truth, 0.5), truth),
        }


class SparseL1Autoencoder(Autoencoder):
    """`sparsity` = mean absolute activation of the code layer (per example: mean over units)."""

    terms = ("recon", "sparsity")
    weights = {"sparsity": "sparsity"}

    def penalties(self, x: Tensor, z: Tensor) -> dict[str, Tensor]:
        return {"sparsity": z.abs().mean()}


class SparseKLAutoencoder(Autoencoder):
    """Sigmoid code layer; `sparsity` = sum_j KL(rho || rho_hat_j), rho_hat_j the batch mean
    activation of code unit j."""

    terms = ("recon", "sparsity")
    weights = {"sparsity": "sparsity"}

    def code(self, head: Tensor) -> Tensor:
        return torch.sigmoid(head)

    def penalties(self, x: Tensor, z: Tensor) -> dict[str, Tensor]:
        rho = self.config.rho
        rho_hat = z.mean(0).clamp(KL_EPS, 1 - KL_EPS)
        kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
        return {"sparsity": kl.sum()}


class ContractiveAutoencoder(Autoencoder):
    """`contractive` = mean_i ||d z_i / d x_i||_F^2, exact.

    One forward pass and code_size vector-Jacobian products, batched with torch.func.vmap;
    examples are independent, so row j of every example's Jacobian comes from one vjp with
    the j-th unit vector. The result is differentiable, so training minimises it. Cost and
    memory grow with code_size x input size per example.
    """

    terms = ("recon", "contractive")
    weights = {"contractive": "contractive"}

    def _jacobian_norms(self, x: Tensor) -> tuple[Tensor, Tensor]:
        z, vjp_fn = torch.func.vjp(self._encode, x)
        k = z.shape[1]
        basis = torch.eye(k, dtype=z.dtype, device=z.device)[:, None, :].expand(k, *z.shape)
        (jac,) = torch.func.vmap(vjp_fn)(basis)  # [k, N, C, H, W]: jac[j, i] = d z_ij / d x_i
        return z, jac.pow(2).transpose(0, 1).flatten(1).sum(1)

    def jacobian_norms(self, x: Tensor) -> Tensor:
        """||d z_i / d x_i||_F^2 for each example [N] (what the contractive term averages)."""
        self._check(x)
        return self._jacobian_norms(x)[1]

    def latent(
        self, x: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        z, norms = self._jacobian_norms(x)
        return z, {"contractive": norms.mean()}


class VariationalAutoencoder(Autoencoder):
    """The encoder head gives the posterior mean and log-variance (2 * code_size numbers).

    `encode` returns the mean; `forward` samples z = mean + std * eps (the
    reparameterisation trick) on every call, from `generator` when given; `kl` is the
    closed-form KL(q(z|x) || N(0, I)) per example, so `recon + kl` is the negative ELBO (in
    nats with bce) and `loss = recon + beta * kl`. A KL warm-up (TrainConfig.kl_warmup) scales
    beta by `warmup`, rising from 0 to 1 over the first epochs, against posterior collapse.
    """

    terms = ("recon", "kl")
    weights = {"kl": "beta"}
    warmup_terms = ("kl",)
    head_factor = 2
    has_prior = True

    def posterior(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x -> (mean, log-variance), each [N, code_size]; log-variance clamped to LOGVAR_RANGE."""
        self._check(x)
        mean, logvar = self.backbone.encode_head(x).chunk(2, dim=1)
        return mean, logvar.clamp(*LOGVAR_RANGE)

    def _encode(self, x: Tensor) -> Tensor:
        return self.backbone.encode_head(x)[:, : self.code_size]

    def latent(
        self, x: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        mean, logvar = self.posterior(x)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + torch.exp(0.5 * logvar) * eps
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
        return z, {"kl": kl}


OBJECTIVES: dict[str, type[Autoencoder]] = {
    "ae": Autoencoder,
    "denoising": DenoisingAutoencoder,
    "sparse_l1": SparseL1Autoencoder,
    "sparse_kl": SparseKLAutoencoder,
    "contractive": ContractiveAutoencoder,
    "vae": VariationalAutoencoder,
    "colourise": ColourAutoencoder,
}


def term_names(objective: str) -> list[str]:
    """The loss terms an objective reports, e.g. ["recon", "kl"] ("loss" is not listed)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}.")
    return list(OBJECTIVES[objective].terms)
