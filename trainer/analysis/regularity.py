"""How regular is a latent space? The lecture's "Autoencoder problem", measured.

Both figures work in the region the test codes occupy and are invariant to the scale of
the code space: codes are standardised per dimension, u = (z - mean) / std, with the mean
and standard deviation of the test codes (so a plain autoencoder whose codes span +-50
and a VAE whose codes span +-3 are measured alike). Image distances are root mean square
differences per pixel, for images in [0, 1].

- `latent_roughness`: PATHS straight paths of length PATH_LENGTH (in standardised units,
  i.e. standard deviations of the test codes), each centred on a random test code in a
  random direction, cut into STEPS equal segments; the mean over all segments of the
  distance between the decodings of its two ends divided by its length. A finite-
  difference estimate of the decoder's Lipschitz constant: RMS pixel change per standard
  deviation moved. Smooth latent spaces score low.
- `latent_holes`: the share of SAMPLES random codes, drawn from the Gaussian with the test
  codes' mean and covariance, whose decodings lie farther from every training image (the
  nearest of up to MAX_TRAIN) than real images do: farther than the HOLE_PERCENTILE-th
  percentile of the test images' own nearest-neighbour distances to the same training
  images. The threshold depends on the data alone, not on the model.

Seeded (numpy and torch generators of their own); `report(fraction)` is called now and
then and may raise to cancel.
"""

from __future__ import annotations

import numpy as np
import torch

from trainer.analysis.probes import BATCH, decode_codes, encode_all
from trainer.analysis.reporting import Report, part, tell
from trainer.data.base import as_float

PATHS = 64
STEPS = 8
PATH_LENGTH = 1.0  # standard deviations of the test codes
SAMPLES = 512
MAX_CODES = 1000  # test codes that define the region (seeded subsample)
MAX_TRAIN = 2000  # training images the nearest neighbours are searched among
HOLE_PERCENTILE = 95.0
MIN_STD = 1e-8  # a dimension that never varies is standardised as if its std were this


def _subsample(n: int, limit: int, rng: np.random.Generator) -> torch.Tensor:
    """Indices of up to `limit` of n items, sorted (all of them when n <= limit)."""
    keep = np.arange(n) if n <= limit else np.sort(rng.choice(n, limit, replace=False))
    return torch.from_numpy(keep)


def _rows(x: torch.Tensor) -> torch.Tensor:
    """Images as float64 rows [N, P] on the CPU."""
    return as_float(x.detach().cpu()).reshape(len(x), -1).double()


def region_codes(model, dataset, seed: int = 0) -> np.ndarray:
    """Codes of up to MAX_CODES test images (a seeded subsample), float64 [N, D]."""
    rng = np.random.default_rng(seed)
    keep = _subsample(len(dataset.test_x), MAX_CODES, rng)
    x = as_float(dataset.test_x[keep])
    with torch.no_grad():
        return encode_all(model, model.inputs_for(x))


def _standardiser(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return codes.mean(0), np.maximum(codes.std(0), MIN_STD)


def latent_roughness(
    model, dataset, codes: np.ndarray | None = None, seed: int = 0, report: Report = None
) -> float:
    """Mean RMS pixel change per standard deviation moved along short random paths."""
    codes = region_codes(model, dataset, seed) if codes is None else codes
    mean, std = _standardiser(codes)
    rng = np.random.default_rng(seed + 1)
    centres = (codes[rng.integers(len(codes), size=PATHS)] - mean) / std
    directions = rng.standard_normal((PATHS, codes.shape[1]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    t = np.linspace(-PATH_LENGTH / 2, PATH_LENGTH / 2, STEPS + 1)
    points = centres[:, None, :] + t[None, :, None] * directions[:, None, :]  # [paths, steps+1, D]
    images = _rows(decode_codes(model, (mean + std * points).reshape(-1, codes.shape[1])))
    images = images.view(PATHS, STEPS + 1, -1)
    tell(report, 1.0)
    steps = (images[:, 1:] - images[:, :-1]).pow(2).mean(-1).sqrt()  # RMS per segment
    return float(steps.mean() / (PATH_LENGTH / STEPS))


def _nearest(rows: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """RMS distance of each row to its nearest reference row [N]."""
    parts = [torch.cdist(rows[i : i + BATCH], reference).min(1).values
             for i in range(0, len(rows), BATCH)]  # fmt: skip
    return torch.cat(parts) / rows.shape[1] ** 0.5


def hole_threshold(dataset, seed: int = 0) -> tuple[float, torch.Tensor]:
    """The HOLE_PERCENTILE-th percentile of the test images' RMS distances to their nearest
    training image, and the training rows searched (up to MAX_TRAIN, a seeded subsample)."""
    rng = np.random.default_rng(seed + 2)
    train = _rows(dataset.train_x[_subsample(len(dataset.train_x), MAX_TRAIN, rng)])
    test = _rows(dataset.test_x[_subsample(len(dataset.test_x), MAX_CODES, rng)])
    return float(np.percentile(_nearest(test, train).numpy(), HOLE_PERCENTILE)), train


def latent_holes(
    model, dataset, codes: np.ndarray | None = None, seed: int = 0, report: Report = None
) -> float:
    """Share of random codes (from the test codes' Gaussian) that decode far from all training
    images."""
    codes = region_codes(model, dataset, seed) if codes is None else codes
    threshold, train = hole_threshold(dataset, seed)
    tell(report, 0.5)
    rng = np.random.default_rng(seed + 3)
    cov = np.atleast_2d(np.cov(codes, rowvar=False))
    samples = rng.multivariate_normal(codes.mean(0), cov, size=SAMPLES, method="eigh")
    distances = _nearest(_rows(decode_codes(model, samples)), train)
    tell(report, 1.0)
    return float((distances > threshold).double().mean())


def regularity(model, dataset, seed: int = 0, report: Report = None) -> dict[str, float]:
    """{"latent_roughness", "latent_holes"} from one encoding of the test split."""
    was_training = model.training
    model.eval()
    try:
        codes = region_codes(model, dataset, seed)
        rough = latent_roughness(model, dataset, codes, seed, part(report, 0, 0.5))
        holes = latent_holes(model, dataset, codes, seed, part(report, 0.5, 1))
    finally:
        model.train(was_training)
    return {"latent_roughness": rough, "latent_holes": holes}
