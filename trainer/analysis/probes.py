"""Are the codes good features? Linear probes, k-means clusters and 2-D map separation;
and the batched encode / decode helpers every analysis module uses.

Everything is fitted on the training split (probes) or computed on the test split
(clusters, separation) with scikit-learn; results are plain floats and numpy arrays.
"""

# scikit-learn and SciPy are imported inside the functions: the app starts without them.

from __future__ import annotations

import numpy as np
import torch

from trainer.analysis.reporting import tell
from trainer.data.base import as_float

BATCH = 1024  # examples per forward pass
PROBE_TRAIN = 5000  # probes fit on at most this many training examples (seeded subsample)


def device_of(model) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def reconstruct(model, x: torch.Tensor) -> torch.Tensor:
    """decode(encode(inputs_for(x))) on the model's device (the VAE decodes its mean; a
    colouriser sees the grey version of x)."""
    device = device_of(model)
    return model.decode(model.encode(model.inputs_for(as_float(x, device))))


def decode_codes(model, codes, report=None) -> torch.Tensor:
    """Decodings of codes [N, D] (an array or tensor) in batches, clipped to [0, 1]: float64
    [N, C, H, W] on the CPU. `report(fraction)` is told after each batch."""
    device, dtype = device_of(model), next(model.parameters()).dtype
    parts = []
    with torch.no_grad():
        for i in range(0, len(codes), BATCH):
            z = torch.as_tensor(codes[i : i + BATCH], dtype=dtype, device=device)
            parts.append(model.decode(z).clamp(0, 1).cpu().double())
            tell(report, min(1.0, (i + BATCH) / len(codes)))
    return torch.cat(parts)


def encode_all(model, x: torch.Tensor) -> np.ndarray:
    """Codes of x in batches, float64 [N, code_size]."""
    device = device_of(model)
    with torch.no_grad():
        parts = [model.encode(as_float(x[i : i + BATCH], device)).cpu()
                 for i in range(0, len(x), BATCH)]  # fmt: skip
    return torch.cat(parts).double().numpy()


def flat(x: torch.Tensor) -> np.ndarray:
    """Images [N, ...] (uint8 pixels or floats in [0, 1]) as float64 rows [N, C*H*W]."""
    rows = x.reshape(len(x), -1).cpu()
    return rows.double().div_(255).numpy() if rows.dtype == torch.uint8 else rows.double().numpy()


def pca_on(rows: np.ndarray, k: int, seed: int = 0):
    """scikit-learn PCA with k components (capped at what the rows allow) fitted on rows."""
    from sklearn.decomposition import PCA

    k = max(1, min(int(k), *rows.shape))
    return PCA(n_components=k, random_state=seed).fit(rows)


def _subsample(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def _n_labels(y) -> int:
    return len(np.unique(np.asarray(y)))


def probe_accuracy(train_features, train_y, test_features, test_y, seed: int = 0) -> float:
    """Logistic regression on standardised features: test accuracy (nan for one class)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    if _n_labels(train_y) < 2:
        return float("nan")
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    probe.fit(train_features, train_y)
    return float(probe.score(test_features, test_y))


def _train_part(dataset, seed: int):
    keep = _subsample(len(dataset.train_x), PROBE_TRAIN, seed)
    return dataset.train_x[keep], dataset.train_y.numpy()[keep]


def linear_probe_accuracy(model, dataset, seed: int = 0) -> float:
    """Test accuracy of a logistic-regression probe on the model's codes."""
    train_x, train_y = _train_part(dataset, seed)
    return probe_accuracy(
        encode_all(model, train_x),
        train_y,
        encode_all(model, dataset.test_x),
        dataset.test_y.numpy(),
        seed,
    )


def pixel_probe_accuracy(dataset, seed: int = 0) -> float:
    """Test accuracy of a logistic-regression probe on the raw pixels."""
    train_x, train_y = _train_part(dataset, seed)
    return probe_accuracy(
        flat(train_x), train_y, flat(dataset.test_x), dataset.test_y.numpy(), seed
    )


def pca_probe_accuracy(dataset, k: int, seed: int = 0) -> float:
    """Test accuracy of a logistic-regression probe on k PCA features (PCA fitted on train)."""
    train_x, train_y = _train_part(dataset, seed)
    train = flat(train_x)
    pca = pca_on(train, k, seed)
    return probe_accuracy(
        pca.transform(train),
        train_y,
        pca.transform(flat(dataset.test_x)),
        dataset.test_y.numpy(),
        seed,
    )


def kmeans_clusters(codes: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k-means cluster ids [N] of the given codes (k capped at the number of examples)."""
    from sklearn.cluster import KMeans

    k = max(1, min(int(k), len(codes)))
    return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(codes)


def purity(labels, clusters) -> float:
    """Fraction of examples whose cluster's majority label is their own."""
    from sklearn.metrics.cluster import contingency_matrix

    table = contingency_matrix(np.asarray(labels), np.asarray(clusters))
    return float(table.max(axis=0).sum() / table.sum())


def cluster_scores(labels, clusters) -> dict:
    """Adjusted Rand index and purity of clusters against the labels."""
    from sklearn.metrics import adjusted_rand_score

    labels, clusters = np.asarray(labels), np.asarray(clusters)
    return {"ari": float(adjusted_rand_score(labels, clusters)), "purity": purity(labels, clusters)}


def kmeans_ari(model, dataset, k: int | None = None, seed: int = 0) -> float:
    """ARI of k-means on the test split's codes (k defaults to the number of classes)."""
    from sklearn.metrics import adjusted_rand_score

    labels = dataset.test_y.numpy()
    if _n_labels(labels) < 2:
        return float("nan")
    k = k or len(dataset.classes)
    clusters = kmeans_clusters(encode_all(model, dataset.test_x), k, seed)
    return float(adjusted_rand_score(labels, clusters))


def separation(points: np.ndarray, labels, seed: int = 0) -> dict:
    """How well labels separate on a map: 5-fold 5-NN accuracy and silhouette; nan if 1 class."""
    from sklearn.metrics import silhouette_score
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    points, labels = np.asarray(points, dtype=np.float64), np.asarray(labels)
    counts = np.bincount(np.unique(labels, return_inverse=True)[1])
    if len(counts) < 2 or len(points) < 10:
        return {"knn": float("nan"), "silhouette": float("nan")}
    folds = int(min(5, counts.max()))
    knn = cross_val_score(KNeighborsClassifier(5), points, labels, cv=max(folds, 2)).mean()
    size = min(len(points), 2000)
    sil = silhouette_score(points, labels, sample_size=size, random_state=seed)
    return {"knn": float(knn), "silhouette": float(sil)}
