"""Latent traversals and the factor table: what each code dimension controls.

`traversal_grid` varies one code dimension at a time from -SPAN to +SPAN standard
deviations of the test codes, the others held at the test codes' mean. `factor_table`
says how strongly each code dimension tracks each known generative factor of a dataset
(`shapes`, `shapes-colour`: shape, scale, rotation, x, y), the simple disentanglement view
of the beta-VAE papers. `report(fraction)` is called now and then and may raise to cancel.
"""

from __future__ import annotations

import numpy as np
import torch

from trainer.analysis.probes import decode_codes, encode_all
from trainer.analysis.regularity import region_codes
from trainer.analysis.reporting import Report, tell
from trainer.data.base import as_float

SPAN = 3.0  # standard deviations either side of the mean
STEPS = 9
CATEGORICAL = ("shape",)  # factors that are class indices, not numbers


def _images(x: torch.Tensor) -> np.ndarray:
    """[N, C, H, W] -> float [N, H, W] (grey) or [N, H, W, C], clipped to [0, 1]."""
    x = x.detach().cpu().clamp(0, 1).float()
    return (x[:, 0] if x.shape[1] == 1 else x.permute(0, 2, 3, 1)).numpy()


def traversal_codes(codes: np.ndarray, steps: int = STEPS, span: float = SPAN) -> np.ndarray:
    """[D, steps, D]: row d moves dimension d from mean - span std to mean + span std."""
    codes = np.asarray(codes, dtype=np.float64)
    mean, std = codes.mean(0), codes.std(0)
    size = codes.shape[1]
    grid = np.tile(mean, (size, steps, 1))
    offsets = np.linspace(-span, span, steps)
    for d in range(size):
        grid[d, :, d] = mean[d] + offsets * std[d]
    return grid


def traversal_grid(
    model,
    dataset,
    steps: int = STEPS,
    span: float = SPAN,
    seed: int = 0,
    report: Report = None,
) -> np.ndarray:
    """Decoded traversals, float in [0, 1]: [code_size, steps, H, W] or [..., H, W, C].

    Meant for codes larger than 2 (a 2-d code is better seen on the latent map), but any
    code size works. The mean and std are those of up to 1,000 test codes (seeded).
    """
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be a whole number of at least 2, not {steps!r}.")
    was_training = model.training
    model.eval()
    try:
        grid = traversal_codes(region_codes(model, dataset, seed), steps, span)
        images = _images(decode_codes(model, grid.reshape(-1, grid.shape[-1]), report))
    finally:
        model.train(was_training)
    return images.reshape(grid.shape[0], steps, *images.shape[1:])


def _correlation_ratio(labels: np.ndarray, values: np.ndarray) -> float:
    """eta: sqrt(between-class variance / total variance) of values grouped by labels, in [0, 1]."""
    total = values.var()
    if total == 0:
        return 0.0
    means = np.array([values[labels == k].mean() for k in np.unique(labels)])
    counts = np.array([(labels == k).sum() for k in np.unique(labels)])
    between = np.sum(counts * (means - values.mean()) ** 2) / len(values)
    return float(np.sqrt(between / total))


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(abs(np.corrcoef(a, b)[0, 1]))


def factor_table(model, dataset, seed: int = 0, report: Report = None) -> dict:
    """How strongly each code dimension tracks each known factor, on the test split.

    Returns {"factors": [names], "correlation": [F, D], "mutual_info": [F, D]}, one row per
    factor. `correlation` is |Pearson r| between the factor and the code dimension, and for
    a categorical factor (shape) the correlation ratio eta (its analogue, also in [0, 1]).
    `mutual_info` is scikit-learn's k-nearest-neighbour estimate in nats
    (mutual_info_classif for shape, mutual_info_regression for the others), seeded.
    Rotation is taken as the raw angle, so shapes with rotational symmetry track it weakly.
    A dataset without known factors gives a ValueError naming the ones that have them.
    """
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    if not dataset.factors:
        raise ValueError(
            f"{dataset.name} has no known generative factors: the factor table needs shapes "
            "or shapes-colour."
        )
    n = len(dataset.test_x)
    rng = np.random.default_rng(seed)
    keep = np.arange(n) if n <= 1000 else np.sort(rng.choice(n, 1000, replace=False))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = as_float(dataset.test_x[torch.from_numpy(keep)])
            codes = encode_all(model, model.inputs_for(x))
    finally:
        model.train(was_training)
    names = list(dataset.factors)
    corr = np.zeros((len(names), codes.shape[1]))
    info = np.zeros_like(corr)
    for i, name in enumerate(names):
        values = dataset.factors[name].numpy()[keep]
        if name in CATEGORICAL:
            corr[i] = [_correlation_ratio(values, codes[:, d]) for d in range(codes.shape[1])]
            info[i] = mutual_info_classif(codes, values, random_state=seed)
        else:
            values = values.astype(np.float64)
            corr[i] = [_pearson(values, codes[:, d]) for d in range(codes.shape[1])]
            info[i] = mutual_info_regression(codes, values, random_state=seed)
        tell(report, (i + 1) / len(names))
    return {"factors": names, "correlation": corr, "mutual_info": info}
