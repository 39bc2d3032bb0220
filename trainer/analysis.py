"""Evaluation numbers for a trained model: reconstruction error, PCA baseline, ELBO, PSNR.

Pure functions on (model, Dataset) returning floats and numpy arrays; batched, no_grad,
on the model's own device. Probes and clusters live in trainer/probes.py, the PCA
comparison in trainer/compare.py, compression in trainer/compression.py, latent
regularity in trainer/regularity.py and traversals and factors in trainer/traversal.py;
the names `eval --json` needs are importable from here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch

from models.corruption import corrupt
from trainer.compression import rate_distortion
from trainer.loop import psnr_db

if TYPE_CHECKING:  # scikit-learn is imported where it is used: it is slow to import
    from sklearn.decomposition import PCA
from trainer.probes import (
    BATCH,
    device_of,
    flat,
    kmeans_ari,
    linear_probe_accuracy,
    pca_on,
    pca_probe_accuracy,
    reconstruct,
)
from trainer.regularity import regularity
from trainer.traversal import factor_table

__all__ = [
    "anomaly_threshold",
    "denoise_psnr",
    "eval_report",
    "fit_pca",
    "kmeans_ari",
    "linear_probe_accuracy",
    "neg_elbo",
    "objective_figures",
    "pca_probe_accuracy",
    "pca_reconstruct",
    "pca_test_mse",
    "psnr",
    "reconstruction_errors",
    "test_mse",
]


def reconstruction_errors(model, x: torch.Tensor) -> np.ndarray:
    """Mean squared error per pixel of decode(encode(x)) against x, one number per example."""
    errors = []
    with torch.no_grad():
        for start in range(0, len(x), BATCH):
            batch = x[start : start + BATCH]
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
    """VAE: mean of recon + kl over the test split in nats per example (seeded sampling)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    device = device_of(model)
    # Own generator, not the global RNG: a run may be training in another thread.
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for start in range(0, len(dataset.test_x), BATCH):
            batch = dataset.test_x[start : start + BATCH].to(device)
            terms = model(batch, generator=generator).terms
            total += float(terms["recon"] + terms["kl"]) * len(batch)
            count += len(batch)
    model.train(was_training)
    return total / max(count, 1)


def psnr(clean, other) -> float:
    """Peak signal-to-noise ratio in dB for images in [0, 1] (inf when identical)."""
    clean = np.asarray(clean, dtype=np.float64)
    other = np.asarray(other, dtype=np.float64)
    mse = float(np.mean((clean - other) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def denoise_psnr(model, dataset, noise: str | None = None, seed: int = 0) -> tuple[float, float]:
    """PSNR of the corrupted test split and of the model's reconstruction of it (seeded)."""
    spec = noise or model.config.noise
    clean = dataset.test_x
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
            batch = dataset.test_x[start : start + BATCH]
            recon = reconstruct(model, batch)
            for name, errors in model.psnr_errors(batch.to(recon.device), recon).items():
                sums[name] = sums.get(name, 0.0) + float(errors.double().sum())
    n = max(len(dataset.test_x), 1)
    return {f"{name}_psnr_db": psnr_db(total / n) for name, total in sums.items()}


def _plain(value):
    """JSON-ready: numpy to lists and floats, nan and inf to None."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def anomaly_threshold(errors: np.ndarray, percentile: float = 99.0) -> float:
    """The error above which an example counts as anomalous: this percentile of `errors`."""
    return float(np.percentile(np.asarray(errors, dtype=np.float64), percentile))


def eval_report(model, dataset) -> dict:
    """The `eval --json` object of DESIGN.md, plus the probe, cluster and anomaly figures."""
    config = model.config
    errors = reconstruction_errors(model, dataset.test_x)
    report = {
        "objective": config.objective,
        "backbone": config.backbone,
        "code_size": int(model.code_size),
        "dataset": dataset.name,
        "test_mse": float(errors.mean()),
        "pca_test_mse": pca_test_mse(dataset, model.code_size),
    }
    if config.objective == "vae":
        report["test_neg_elbo"] = neg_elbo(model, dataset)
    if config.objective == "denoising":
        report["noisy_psnr_db"], report["denoised_psnr_db"] = denoise_psnr(model, dataset)
    report.update(objective_figures(model, dataset))
    report["linear_probe_accuracy"] = linear_probe_accuracy(model, dataset)
    report["pca_probe_accuracy"] = pca_probe_accuracy(dataset, model.code_size)
    report["kmeans_ari"] = kmeans_ari(model, dataset)
    report["anomaly_threshold_p99"] = anomaly_threshold(errors, 99.0)
    compressed = rate_distortion(model, dataset)
    report["rate_distortion"] = compressed["rows"]
    report["png_bytes_per_image"] = compressed["png"]["bytes"]
    report["png_psnr_db"] = compressed["png"]["psnr_db"]
    report.update(regularity(model, dataset))
    if dataset.factors:
        table = factor_table(model, dataset)
        report["factor_table"] = {
            name: {"correlation": table["correlation"][i], "mutual_info": table["mutual_info"][i]}
            for i, name in enumerate(table["factors"])
        }
    # Unlabelled data has no probe or cluster score, exact PNG no finite PSNR: null in JSON.
    return _plain(report)
