"""Compression: a model's codes quantised to b bits per dimension, against PCA, JPEG and PNG.

The rate of a model is `code_bytes(code_size, bits)`: ceil(code_size * bits / 8) bytes of
packed code plus HEADER_BYTES (one byte per image, holding the bits per dimension). The
model and the per-dimension code ranges (2 x code_size float32, `side_bytes`) are shared
by every image, like a codec's tables, and are not counted per image. Codes are quantised
uniformly with 2**bits levels between each dimension's minimum and maximum over the
training codes (test codes outside that range are clipped to it). PCA with code_size
components is quantised the same way, its ranges taken from the training coefficients.

JPEG (Pillow, the qualities in QUALITIES) and PNG (lossless, compress level 9) encode the
same test images as 8-bit pixels; their byte counts are the mean length of the real
files. Every PSNR is 10 log10(1 / MSE) with the MSE pooled over all pixels of all the
images, against the float test images, decodings clipped to [0, 1].

Functions take `report(fraction)` (trainer/analysis/reporting.py): it is
called now and then and may raise to cancel.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
import torch

from trainer.analysis.metrics import psnr
from trainer.analysis.probes import decode_codes, encode_all, flat, pca_on
from trainer.analysis.reporting import Report, part, tell
from trainer.data.base import as_float, to_pixels

BITS = (2, 3, 4, 5, 6, 8, 10, 12, 16)
QUALITIES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 95)
HEADER_BYTES = 1  # per image: the bits per dimension
MAX_IMAGES = 128  # test images compared (a seeded subsample when there are more)
MAX_TRAIN = 2000  # training images that give the code ranges and fit PCA (seeded)


def code_bytes(code_size: int, bits: int) -> int:
    """Bytes per image of a code: the packed bits rounded up to whole bytes, plus the header."""
    return math.ceil(code_size * bits / 8) + HEADER_BYTES


def code_ranges(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension (low, high) of training codes [N, D]."""
    codes = np.asarray(codes, dtype=np.float64)
    return codes.min(0), codes.max(0)


def quantise(codes: np.ndarray, low: np.ndarray, high: np.ndarray, bits: int) -> np.ndarray:
    """Codes rounded to 2**bits uniform levels in [low, high] per dimension, as floats again."""
    if not 1 <= int(bits) <= 32:
        raise ValueError(f"bits per dimension must be a whole number from 1 to 32, not {bits!r}.")
    levels = 2 ** int(bits) - 1
    width = np.maximum(high - low, 1e-12)
    steps = np.rint((np.clip(codes, low, high) - low) / width * levels)
    return low + steps * width / levels


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """Images [N, C, H, W] in [0, 1] as 8-bit [N, H, W] (grey) or [N, H, W, 3] (colour)."""
    x = x.detach().cpu()
    pixels = to_pixels(x if x.dtype == torch.uint8 else x.double()).numpy()
    return pixels[:, 0] if pixels.shape[1] == 1 else pixels.transpose(0, 2, 3, 1)


def _encoded(image: np.ndarray, fmt: str, **options) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, fmt, **options)
    return buffer.getvalue()


def _decoded(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


def jpeg_sweep(
    pixels: np.ndarray,
    truth: np.ndarray,
    qualities: Sequence[int] = QUALITIES,
    report: Report = None,
) -> list[dict]:
    """For each quality: mean bytes of the JPEG files (`bytes`), of their image data alone
    with the tables left out (`bare_bytes`, as Pillow's streamtype 2 writes it) and the PSNR.

    `pixels` are 8-bit images [N, H, W(, 3)]; `truth` the float images in the same layout.
    The tables (Pillow's standard ones) are the same for every image of one size, mode and
    quality, so their length is measured once per quality, on the first image.
    """
    rows = []
    for i, quality in enumerate(qualities):
        files = [_encoded(p, "JPEG", quality=int(quality)) for p in pixels]
        bare = _encoded(pixels[0], "JPEG", quality=int(quality), streamtype=2)
        tables = len(files[0]) - len(bare)
        decoded = np.stack([_decoded(f) for f in files]).astype(np.float64) / 255
        size = float(np.mean([len(f) for f in files]))
        rows.append({
            "quality": int(quality),
            "bytes": size,
            "bare_bytes": size - tables,
            "psnr_db": psnr(truth, decoded),
        })  # fmt: skip
        tell(report, (i + 1) / len(qualities))
    return rows


def png_point(pixels: np.ndarray, truth: np.ndarray) -> dict:
    """Lossless PNG: mean bytes per image and the PSNR of its 8-bit pixels (inf if exact)."""
    files = [_encoded(p, "PNG", compress_level=9) for p in pixels]
    decoded = np.stack([_decoded(f) for f in files]).astype(np.float64) / 255
    return {"bytes": float(np.mean([len(f) for f in files])), "psnr_db": psnr(truth, decoded)}


def jpeg_match(sweep: list[dict], budget: float) -> dict:
    """The largest quality whose mean bytes stay within `budget` (`fits` True); when none
    does, the quality with the fewest bytes (`fits` False)."""
    inside = [row for row in sweep if row["bytes"] <= budget]
    if inside:
        return {**max(inside, key=lambda row: row["quality"]), "fits": True}
    return {**min(sweep, key=lambda row: row["bytes"]), "fits": False}


def jpeg_bytes_for(sweep: list[dict], psnr: float) -> float | None:
    """The fewest mean bytes at which JPEG reaches `psnr` (None when no quality does)."""
    enough = [row["bytes"] for row in sweep if row["psnr_db"] >= psnr]
    return min(enough) if enough else None


def _subsample(n: int, limit: int, seed: int) -> torch.Tensor:
    if n <= limit:
        return torch.arange(n)
    return torch.from_numpy(np.sort(np.random.default_rng(seed).choice(n, limit, replace=False)))


def fit_codec(model, dataset, seed: int = 0) -> dict:
    """What both codecs share across images: the model's code ranges (`low`, `high`) and
    PCA with code_size components (`pca`) with its coefficient ranges (`pca_low`,
    `pca_high`), all from up to MAX_TRAIN training images (seeded)."""
    train = as_float(dataset.train_x[_subsample(len(dataset.train_x), MAX_TRAIN, seed)])
    with torch.no_grad():
        low, high = code_ranges(encode_all(model, model.inputs_for(train)))
    pca = pca_on(flat(train), model.code_size, seed)
    pca_low, pca_high = code_ranges(pca.transform(flat(train)))
    return {"low": low, "high": high, "pca": pca, "pca_low": pca_low, "pca_high": pca_high}


@torch.no_grad()
def compress(model, codec: dict, x: torch.Tensor, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Images x [N, C, H, W] through the model and through PCA at `bits` per dimension:
    (model's decoding, PCA's), float64 [N, C, H, W] in [0, 1]."""
    x = as_float(x)
    codes = quantise(encode_all(model, model.inputs_for(x)), codec["low"], codec["high"], bits)
    coef = quantise(codec["pca"].transform(flat(x)), codec["pca_low"], codec["pca_high"], bits)
    pca = np.clip(codec["pca"].inverse_transform(coef), 0, 1).reshape(tuple(x.shape))
    return decode_codes(model, codes).numpy(), pca


def jpeg_image(pixels: np.ndarray, quality: int) -> tuple[int, np.ndarray]:
    """One 8-bit image [H, W(, 3)] through JPEG at `quality`: (file bytes, decoded uint8)."""
    data = _encoded(pixels, "JPEG", quality=int(quality))
    return len(data), _decoded(data)


def rate_distortion(
    model,
    dataset,
    bits: Sequence[int] = BITS,
    qualities: Sequence[int] = QUALITIES,
    max_images: int = MAX_IMAGES,
    seed: int = 0,
    report: Report = None,
) -> dict:
    """The model and PCA at each bits per dimension, against JPEG and PNG, on the same test
    images (up to `max_images`, a seeded subsample).

    Returns {"rows": [{bits_per_dim, bytes_per_image, psnr_db, pca_psnr_db, jpeg_quality,
    jpeg_bytes, jpeg_bare_bytes, jpeg_psnr_db, jpeg_fits, jpeg_bytes_same_psnr}, ...],
    "jpeg": jpeg_sweep(...), "png": png_point(...), "psnr_db" and "pca_psnr_db" (unquantised),
    "code_size", "header_bytes", "side_bytes", "images"}.
    """
    test = as_float(dataset.test_x[_subsample(len(dataset.test_x), max_images, seed)])
    truth_flat = flat(test)
    was_training = model.training
    model.eval()
    try:
        codec = fit_codec(model, dataset, seed)
        low, high, pca = codec["low"], codec["high"], codec["pca"]
        pca_low, pca_high = codec["pca_low"], codec["pca_high"]
        with torch.no_grad():
            test_codes = encode_all(model, model.inputs_for(test))
        test_coef = pca.transform(truth_flat)

        def pca_psnr(coef: np.ndarray) -> float:
            return psnr(truth_flat, np.clip(pca.inverse_transform(coef), 0, 1))

        def model_psnr(codes: np.ndarray) -> float:
            return psnr(test.double().numpy(), decode_codes(model, codes).numpy())

        tell(report, 0.1)
        rows = []
        for i, b in enumerate(bits):
            rows.append({
                "bits_per_dim": int(b),
                "bytes_per_image": code_bytes(model.code_size, int(b)),
                "psnr_db": model_psnr(quantise(test_codes, low, high, b)),
                "pca_psnr_db": pca_psnr(quantise(test_coef, pca_low, pca_high, b)),
            })  # fmt: skip
            tell(report, 0.1 + 0.3 * (i + 1) / len(bits))
        pixels = to_uint8(test)
        truth = test.double().numpy()
        truth = truth[:, 0] if truth.shape[1] == 1 else truth.transpose(0, 2, 3, 1)
        sweep = jpeg_sweep(pixels, truth, qualities, part(report, 0.4, 0.95))
        for row in rows:
            match = jpeg_match(sweep, row["bytes_per_image"])
            row.update({
                "jpeg_quality": match["quality"],
                "jpeg_bytes": match["bytes"],
                "jpeg_bare_bytes": match["bare_bytes"],
                "jpeg_psnr_db": match["psnr_db"],
                "jpeg_fits": match["fits"],
                "jpeg_bytes_same_psnr": jpeg_bytes_for(sweep, row["psnr_db"]),
            })  # fmt: skip
        result = {
            "rows": rows,
            "jpeg": sweep,
            "png": png_point(pixels, truth),
            "psnr_db": model_psnr(test_codes),
            "pca_psnr_db": pca_psnr(test_coef),
            "code_size": int(model.code_size),
            "header_bytes": HEADER_BYTES,
            "side_bytes": 2 * 4 * int(model.code_size),
            "images": len(test),
        }
    finally:
        model.train(was_training)
    tell(report, 1.0)
    return result
