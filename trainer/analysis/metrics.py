"""Reconstruction and objective figures of a trained model: errors, PCA baseline, ELBO, PSNR.

Pure functions on (model, Dataset) returning floats and numpy arrays; batched, no_grad,
on the model's own device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from models.corruption import corrupt
from trainer.analysis.probes import BATCH, device_of, flat, pca_on, reconstruct
from trainer.data.base import as_float
from trainer.validation import psnr_db

if TYPE_CHECKING:  # scikit-learn is imported where it is used: it is slow to import
    from sklearn.decomposition import PCA


def reconstruction_errors(model, x: torch.Tensor) -> np.ndarray:
    """Mean squared error per pixel of decode(encode(x)) against x, one number per example."""
    errors = []
    with torch.no_grad():
        for start in range(0, len(x), BATCH):
            batch = as_float(x[start : start + BATCH])
            recon = reconstruct(model, batch).to(batch.device)
            errors.append((recon - batch).pow(2).flatten(1).mean(1).cpu())
    return torch.cat(errors).double().numpy() if errors else np.zeros(0)


def test_mse(model, dataset) -> float:
    """Mean squared error per pixel on the test split."""
    return float(reconstruction_errors(model, dataset.test_x).mean())


def fit_pca(dataset, k: int, seed: int = 0) -> PCA:
    """scikit-learn PCA with k components (capped at what the data allows) fitted on train."""
    return pca_on(flat(dataset.train_x), k, seed)


def pca_reconstruct(pca: PCA, x: torch.Tensor) -> np.ndarray:
    """PCA's reconstruction of x, flat [N, C*H*W]."""
    return pca.inverse_transform(pca.transform(flat(x)))


def pca_test_mse(dataset, k: int) -> float:
    """PCA(k) fitted on the training split, mean squared error per pixel on the test split."""
    pca = fit_pca(dataset, k)
    return float(np.mean((pca_reconstruct(pca, dataset.test_x) - flat(dataset.test_x)) ** 2))


def neg_elbo(model, dataset, seed: int = 0) -> float:
    """Mean over the test split of the terms the objective names in `elbo_terms` (the VAE:
    recon + kl), in nats per example with bce; seeded sampling."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    device = device_of(model)
    # Own generator, not the global RNG: a run may be training in another thread.
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for start in range(0, len(dataset.test_x), BATCH):
            batch = as_float(dataset.test_x[start : start + BATCH], device)
            terms = model(batch, generator=generator).terms
            total += float(sum(terms[name] for name in model.elbo_terms)) * len(batch)
            count += len(batch)
    model.train(was_training)
    return total / max(count, 1)


def psnr(clean, other) -> float:
    """Peak signal-to-noise ratio in dB of images in [0, 1], the squared error pooled over
    every pixel (inf when identical)."""
    clean = np.asarray(clean, dtype=np.float64)
    return psnr_db(float(np.mean((clean - np.asarray(other, dtype=np.float64)) ** 2)))


def denoise_psnr(model, dataset, noise: str | None = None, seed: int = 0) -> tuple[float, float]:
    """PSNR of the corrupted test split and of the model's reconstruction of it (seeded);
    the corruption defaults to the model's own (its `corruption`, else its config's noise)."""
    spec = noise or model.corruption or model.config.noise
    clean = as_float(dataset.test_x)
    noisy = corrupt(clean, spec, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        denoised = torch.cat(
            [reconstruct(model, noisy[i : i + BATCH]).cpu() for i in range(0, len(noisy), BATCH)]
        )
    return psnr(clean.numpy(), noisy.numpy()), psnr(clean.numpy(), denoised.numpy())


def objective_figures(model, dataset) -> dict[str, float]:
    """The objective's extra figures on the test split, `<name>_psnr_db` for each of its
    `psnr_errors` (a colouriser: colour, grey, chroma, grey_chroma); {} for most objectives."""
    sums: dict[str, float] = {}
    with torch.no_grad():
        for start in range(0, len(dataset.test_x), BATCH):
            batch = as_float(dataset.test_x[start : start + BATCH])
            recon = reconstruct(model, batch)
            for name, errors in model.psnr_errors(batch.to(recon.device), recon).items():
                sums[name] = sums.get(name, 0.0) + float(errors.double().sum())
    n = max(len(dataset.test_x), 1)
    return {f"{name}_psnr_db": psnr_db(total / n) for name, total in sums.items()}


def anomaly_threshold(errors: np.ndarray, percentile: float = 99.0) -> float:
    """The error above which an example counts as anomalous: this percentile of `errors`."""
    return float(np.percentile(np.asarray(errors, dtype=np.float64), percentile))
