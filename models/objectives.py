"""Objectives: what a backbone is trained to do (`ae`, `denoising`, `sparse_l1`, ...).

Each is a subclass of `models.autoencoder.Autoencoder` plus its line in OBJECTIVES; the
class attributes say what it needs (terms and weights, the config fields it uses, a
prior, a corruption), so the trainer, the analysis, the form and the command line pick a
new objective up without an edit. Loss conventions are in models/autoencoder.py.
"""

from __future__ import annotations

import torch
from torch import Tensor

from models.autoencoder import AEOutput, Autoencoder
from models.colour import chroma, grey3
from models.config import OBJECTIVES
from models.corruption import corrupt

__all__ = ["OBJECTIVES", "AEOutput", "Autoencoder"]

LOGVAR_RANGE = (-30.0, 20.0)  # the VAE's log-variance is clamped here so exp() stays finite
KL_EPS = 1e-6  # sparse_kl keeps rho_hat inside (eps, 1 - eps)


class DenoisingAutoencoder(Autoencoder):
    """Reconstructs the clean target from a corrupted x; the trainer corrupts each batch
    afresh with `models.corruption.corrupt(clean, config.noise)`."""

    about = "reproduce the clean input from a corrupted one, corrupted afresh every batch."
    uses = ("noise",)

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

    about = "reconstruct colour images from their grey version."
    channels = (3,)
    colourises = True

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

    about = "reproduce the input with a penalty on the code's mean absolute activation."
    terms = ("recon", "sparsity")
    weights = {"sparsity": "sparsity"}
    uses = ("sparsity",)

    def penalties(self, x: Tensor, z: Tensor) -> dict[str, Tensor]:
        return {"sparsity": z.abs().mean()}


class SparseKLAutoencoder(Autoencoder):
    """Sigmoid code layer; `sparsity` = sum_j KL(rho || rho_hat_j), rho_hat_j the batch mean
    activation of code unit j (a batch-level term)."""

    about = "reproduce the input while each sigmoid code unit's mean activation stays near rho."
    terms = ("recon", "sparsity")
    weights = {"sparsity": "sparsity"}
    uses = ("sparsity", "rho")

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

    about = "reproduce the input with a penalty on how fast the code moves with the input."
    terms = ("recon", "contractive")
    weights = {"contractive": "contractive"}
    uses = ("contractive",)

    def _jacobian_norms(self, x: Tensor) -> tuple[Tensor, Tensor]:
        z, vjp_fn = torch.func.vjp(self._encode, x)
        k = z.shape[1]
        basis = torch.eye(k, dtype=z.dtype, device=z.device)[:, None, :].expand(k, *z.shape)
        (jac,) = torch.func.vmap(vjp_fn)(basis)  # [k, N, C, H, W]: jac[j, i] = d z_ij / d x_i
        return z, jac.pow(2).transpose(0, 1).flatten(1).sum(1)

    def latent(
        self, x: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        z, norms = self._jacobian_norms(x)
        return z, {"contractive": norms.mean()}


class RidgeAutoencoder(Autoencoder):
    """`weights` = the sum of the squared entries of every weight matrix and kernel (not the
    biases or normalisation scales): L2 regularisation of the weights, a model-level term,
    so `loss = recon + ridge * weights`. Unlike AdamW's decoupled weight decay
    (TrainConfig.weight_decay) it is part of the loss the gradient follows, and shows in
    the curves."""

    about = "reproduce the input with a penalty on the sum of squared weights (ridge, L2)."
    terms = ("recon", "weights")
    weights = {"weights": "ridge"}
    uses = ("ridge",)

    def penalties(self, x: Tensor, z: Tensor) -> dict[str, Tensor]:
        return {"weights": sum(p.pow(2).sum() for p in self.parameters() if p.dim() > 1)}


class VariationalAutoencoder(Autoencoder):
    """The encoder head gives the posterior mean and log-variance (2 * code_size numbers).

    `encode` returns the mean; `forward` samples z = mean + std * eps (the
    reparameterisation trick) on every call, from `generator` when given; `kl` is the
    closed-form KL(q(z|x) || N(0, I)) per example, so `recon + kl` is the negative ELBO (in
    nats with bce) and `loss = recon + beta * kl`. A KL warm-up (TrainConfig.kl_warmup) scales
    beta by `warmup`, rising from 0 to 1 over the first epochs, against posterior collapse.
    """

    about = "the encoder gives a Gaussian q(z|x) near N(0, I), so new images can be sampled."
    terms = ("recon", "kl")
    weights = {"kl": "beta"}
    uses = ("beta", "kl_warmup")
    warmup_terms = ("kl",)
    elbo_terms = ("recon", "kl")
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


OBJECTIVES.update({
    "ae": Autoencoder,
    "denoising": DenoisingAutoencoder,
    "sparse_l1": SparseL1Autoencoder,
    "sparse_kl": SparseKLAutoencoder,
    "contractive": ContractiveAutoencoder,
    "vae": VariationalAutoencoder,
    "colourise": ColourAutoencoder,
    "ridge": RidgeAutoencoder,
})  # fmt: skip
