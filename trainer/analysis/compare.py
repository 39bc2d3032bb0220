"""Autoencoder against PCA: error against code size, 2-D maps, principal angles."""

# scikit-learn and SciPy are imported inside the functions: the app starts without them.

from __future__ import annotations

import numpy as np
import torch

from trainer.analysis.probes import encode_all, flat, pca_on

MAX_SWEEP = 256  # the error-vs-code-size sweep stops at this many components


def code_sizes(dim: int, limit: int = MAX_SWEEP) -> list[int]:
    """Code sizes to sweep: every size up to 64, then a roughly geometric grid up to dim."""
    top = min(dim, limit)
    sizes = list(range(1, min(top, 64) + 1))
    size = 64
    while size < top:
        size = min(top, int(size * 1.5))
        sizes.append(size)
    return sizes


def pca_error_curve(dataset, sizes=None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Test mean squared error per pixel of PCA(k) fitted on train, for each k in sizes.

    One PCA with the largest k is fitted; PCA(k) is its first k components.
    """
    train, test = flat(dataset.train_x), flat(dataset.test_x)
    sizes = np.asarray(sizes if sizes is not None else code_sizes(train.shape[1]), dtype=int)
    sizes = sizes[(sizes >= 1) & (sizes <= min(train.shape))]
    pca = pca_on(train, int(sizes.max()), seed)
    centred = test - pca.mean_
    errors = []
    for k in sizes:
        basis = pca.components_[:k]
        recon = centred @ basis.T @ basis + pca.mean_
        errors.append(float(np.mean((recon - test) ** 2)))
    return sizes, np.asarray(errors)


def pca_map(dataset, seed: int = 0) -> np.ndarray:
    """The test split on the first two principal components of the training split, [N, 2]."""
    pca = pca_on(flat(dataset.train_x), 2, seed)
    return _two_columns(pca.transform(flat(dataset.test_x)))


def code_map(codes: np.ndarray, seed: int = 0) -> np.ndarray:
    """Codes as 2-D points: themselves when 2-D, else their first two principal components."""
    from sklearn.decomposition import PCA

    codes = np.asarray(codes, dtype=np.float64)
    if codes.shape[1] <= 2:
        return _two_columns(codes)
    return PCA(n_components=2, random_state=seed).fit_transform(codes)


def _two_columns(points: np.ndarray) -> np.ndarray:
    if points.shape[1] >= 2:
        return points[:, :2]
    return np.column_stack([points[:, 0], np.zeros(len(points))])


def model_map(model, dataset, seed: int = 0) -> np.ndarray:
    """The test split's codes as 2-D points (see code_map)."""
    return code_map(encode_all(model, dataset.test_x), seed)


def decoder_basis(model) -> np.ndarray:
    """Columns spanning a linear decoder's output space, [C*H*W, code_size]."""
    with torch.no_grad():
        param = next(model.parameters())
        eye = torch.eye(model.code_size, device=param.device, dtype=param.dtype)
        zero = torch.zeros(1, model.code_size, device=param.device, dtype=param.dtype)
        columns = model.decode(eye) - model.decode(zero)
    return columns.reshape(model.code_size, -1).T.cpu().double().numpy()


def principal_angles(model, dataset, seed: int = 0) -> np.ndarray:
    """Angles in degrees between a linear decoder's subspace and PCA's (same k), ascending.

    Zero degrees everywhere means the autoencoder spans exactly PCA's subspace.
    """
    from scipy.linalg import subspace_angles

    if not model.backbone.affine:  # the linear backbone's decoder is affine
        raise ValueError(
            f"principal angles need the linear backbone, not {model.config.backbone!r}: "
            "train a linear model to compare its subspace with PCA's."
        )
    pca = pca_on(flat(dataset.train_x), model.code_size, seed)
    angles = subspace_angles(decoder_basis(model), pca.components_.T)
    return np.sort(np.degrees(angles))
