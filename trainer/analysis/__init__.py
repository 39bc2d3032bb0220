"""What a trained model learned, in numbers: `eval_report` (the `eval --json` object) and
the functions the analysis panels call.

metrics (reconstruction errors, PCA baseline, ELBO, PSNR), probes (codes as features,
clusters; the batched encode / decode helpers), compare (against PCA), pretraining (few
labels), compression (rate against distortion), regularity (the latent space's holes and
roughness), traversal (what each code dimension does) and reporting (progress callbacks).
What an objective adds to the report it says itself: `elbo_terms`, `corruption` and
`psnr_errors` (models/autoencoder.py).
"""

from __future__ import annotations

import math

import numpy as np

from trainer.analysis import regularity  # the module: its function has its name
from trainer.analysis.compression import rate_distortion
from trainer.analysis.metrics import (
    anomaly_threshold,
    denoise_psnr,
    fit_pca,
    neg_elbo,
    objective_figures,
    pca_reconstruct,
    pca_test_mse,
    psnr,
    reconstruction_errors,
    test_mse,
)
from trainer.analysis.probes import kmeans_ari, linear_probe_accuracy, pca_probe_accuracy
from trainer.analysis.traversal import factor_table

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


def eval_report(model, dataset) -> dict:
    """The `eval --json` object of DESIGN.md, plus the probe, cluster and anomaly figures.

    The objective's own figures come from what it says it is: `test_neg_elbo` when it names
    `elbo_terms`, `noisy_psnr_db` and `denoised_psnr_db` when it removes a `corruption`,
    and `<name>_psnr_db` for each of its `psnr_errors`."""
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
    if model.elbo_terms:
        report["test_neg_elbo"] = neg_elbo(model, dataset)
    if model.corruption:
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
    report.update(regularity.regularity(model, dataset))
    if dataset.factors:
        table = factor_table(model, dataset)
        report["factor_table"] = {
            name: {"correlation": table["correlation"][i], "mutual_info": table["mutual_info"][i]}
            for i, name in enumerate(table["factors"])
        }
    # Unlabelled data has no probe or cluster score, exact PNG no finite PSNR: null in JSON.
    return _plain(report)
