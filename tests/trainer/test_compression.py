"""Compression on digits: quantised codes of a real model against PCA, JPEG and PNG."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from models import ModelConfig, build
from trainer.analysis import compression
from trainer.data import as_float


@pytest.fixture(scope="module")
def model(digits):
    """A conv autoencoder with code size 8, 400 Adam steps on digits."""
    torch.manual_seed(0)
    config = ModelConfig("conv", "ae", (1, 8, 8), code_size=8, hidden=[16, 32], loss="bce")
    model = build(config)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(400):
        x = as_float(digits.train_x[torch.randint(0, len(digits.train_x), (64,), generator=g)])
        opt.zero_grad()
        model(x).loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="module")
def table(model, digits):
    return compression.rate_distortion(model, digits, bits=[2, 3, 4, 6, 8, 12, 16])


def test_quantisation_uses_uniform_levels_over_the_training_range():
    rng = np.random.default_rng(0)
    train = rng.normal(0, 10, size=(500, 3))
    low, high = compression.code_ranges(train)
    np.testing.assert_array_equal(low, train.min(0))
    q = compression.quantise(train, low, high, 2)
    for d in range(3):  # 4 levels per dimension, the ends included
        np.testing.assert_allclose(np.unique(q[:, d]), np.linspace(low[d], high[d], 4))
    outside = compression.quantise(np.array([[1e6, -1e6, 0.0]]), low, high, 8)
    np.testing.assert_allclose(outside[0, :2], [high[0], low[1]])  # clipped to the range
    fine = compression.quantise(train, low, high, 16)
    assert np.abs(fine - train).max() <= (high - low).max() / (2**16 - 1) / 2 + 1e-12
    assert compression.code_bytes(8, 4) == 4 + compression.HEADER_BYTES
    assert compression.code_bytes(3, 5) == 2 + compression.HEADER_BYTES  # 15 bits: 2 bytes
    with pytest.raises(ValueError, match="bits per dimension"):
        compression.quantise(train, low, high, 0)


def test_16_bits_match_the_unquantised_decode_and_psnr_rises_with_bits(table):
    rows = table["rows"]
    assert [r["bits_per_dim"] for r in rows] == [2, 3, 4, 6, 8, 12, 16]
    assert abs(rows[-1]["psnr_db"] - table["psnr_db"]) < 0.1
    assert abs(rows[-1]["pca_psnr_db"] - table["pca_psnr_db"]) < 0.1
    for key in ("psnr_db", "pca_psnr_db"):
        values = [r[key] for r in rows]
        assert all(b >= a - 0.02 for a, b in zip(values, values[1:])), (key, values)
        assert values[-1] > values[0] + 1, (key, values)
    assert [r["bytes_per_image"] for r in rows] == [3, 4, 5, 7, 9, 13, 17]


def test_jpeg_rows_have_real_byte_counts(table, digits):
    sweep = table["jpeg"]
    assert [s["quality"] for s in sweep] == list(compression.QUALITIES)
    sizes = [s["bytes"] for s in sweep]
    assert all(s > 100 for s in sizes)  # real files with their headers, for 8x8 images
    assert all(b >= a for a, b in zip(sizes, sizes[1:])) and sizes[-1] > sizes[0]
    psnrs = [s["psnr_db"] for s in sweep]
    assert psnrs[-1] > psnrs[0] + 10
    assert all(0 < s["bare_bytes"] < s["bytes"] for s in sweep)
    # One quality checked by hand: encode the first of the compared test images with Pillow.
    pixels = compression.to_uint8(digits.test_x[:1])
    buffer = io.BytesIO()
    Image.fromarray(pixels[0]).save(buffer, "JPEG", quality=50)
    assert 0.8 * len(buffer.getvalue()) < sweep[compression.QUALITIES.index(50)]["bytes"]
    for row in table["rows"]:
        match = next(s for s in sweep if s["quality"] == row["jpeg_quality"])
        assert row["jpeg_bytes"] == match["bytes"] and row["jpeg_psnr_db"] == match["psnr_db"]
        assert row["jpeg_fits"] == (row["jpeg_bytes"] <= row["bytes_per_image"])
    png = table["png"]
    assert png["bytes"] > 50 and png["psnr_db"] > 40  # digits are k/16: 8 bits are nearly exact


def test_jpeg_is_matched_at_the_largest_quality_within_the_budget():
    sweep = [
        {"quality": 1, "bytes": 300.0, "bare_bytes": 20.0, "psnr_db": 10.0},
        {"quality": 50, "bytes": 350.0, "bare_bytes": 70.0, "psnr_db": 20.0},
        {"quality": 95, "bytes": 420.0, "bare_bytes": 140.0, "psnr_db": 30.0},
    ]
    assert compression.jpeg_match(sweep, 360)["quality"] == 50
    assert compression.jpeg_match(sweep, 360)["fits"] is True
    assert compression.jpeg_match(sweep, 10) == {**sweep[0], "fits": False}
    assert compression.jpeg_bytes_for(sweep, 19.0) == 350.0
    assert compression.jpeg_bytes_for(sweep, 31.0) is None


def test_rate_distortion_is_seeded_reports_progress_and_restores_the_mode(model, digits):
    fractions = []
    model.train()
    first = compression.rate_distortion(model, digits, bits=[4], qualities=[10, 90],
                                        max_images=50, report=fractions.append)  # fmt: skip
    assert model.training
    model.eval()
    again = compression.rate_distortion(model, digits, bits=[4], qualities=[10, 90], max_images=50)
    assert first == again and first["images"] == 50
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert math.isfinite(first["rows"][0]["jpeg_psnr_db"])
