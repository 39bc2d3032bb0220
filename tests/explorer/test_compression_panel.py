"""The Compression panel: the four series, real JPEG byte counts, the bits slider, exports."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QSlider

from explorer.panels import PANELS
from explorer.panels.compression import CompressionPanel
from trainer.analysis import compression

WAIT = 120_000  # ms for the background job on a shared machine


def _ready(qtbot, make_panel, **kwargs):
    panel = make_panel("compression", size=(1200, 800), **kwargs)
    qtbot.waitUntil(lambda: not panel.busy() and panel.result() is not None, timeout=WAIT)
    return panel


def test_plot_has_the_four_series_from_the_table(qtbot, make_panel, tiny_model):
    assert ("compression", "Compression", CompressionPanel) in PANELS
    panel = _ready(qtbot, make_panel, model=tiny_model("conv", "ae", 8, steps=60))
    assert panel.objectName() == "compressionPanel"
    assert isinstance(panel.findChild(QSlider, "bitsSlider"), QSlider)
    series, rows = panel.series(), panel.table()
    assert {"model", "PCA", "JPEG", "PNG"} <= set(series)
    assert [r["bits_per_dim"] for r in rows] == list(range(2, 17))
    x, y = series["model"]
    np.testing.assert_array_equal(x, [compression.code_bytes(8, b) for b in range(2, 17)])
    np.testing.assert_allclose(y, [r["psnr_db"] for r in rows])
    np.testing.assert_allclose(series["PCA"][1], [r["pca_psnr_db"] for r in rows])
    assert len(series["JPEG"][0]) == len(compression.QUALITIES) and len(series["PNG"][0]) == 1
    for name in series:
        assert np.isfinite(series[name][1]).all()
    assert panel.table_widget.rowCount() == len(rows)
    assert abs(rows[-1]["psnr_db"] - panel.result()["psnr_db"]) < 0.1  # 16 bits ~ unquantised


def test_jpeg_rows_have_real_byte_counts(qtbot, make_panel, tiny_model):
    panel = _ready(qtbot, make_panel, model=tiny_model("conv", "ae", 8, steps=60))
    data, out = panel.session.dataset, panel.result()
    pixels = compression.to_uint8(data.test_x[:1])[0]
    for row in panel.table():
        assert row["jpeg_bytes"] > 100 and row["jpeg_quality"] in compression.QUALITIES
        sweep = next(s for s in out["jpeg"] if s["quality"] == row["jpeg_quality"])
        assert row["jpeg_bytes"] == sweep["bytes"]
    buffer = io.BytesIO()  # one real file at the smallest quality: the sizes are of that order
    Image.fromarray(pixels).save(buffer, "JPEG", quality=1)
    smallest = min(s["bytes"] for s in out["jpeg"])
    assert 0.5 < len(buffer.getvalue()) / smallest < 2


def test_set_bits_changes_the_shown_image(qtbot, make_panel, tiny_model):
    model = tiny_model("conv", "ae", 8, channels=3, steps=60)
    panel = _ready(qtbot, make_panel, model=model)
    panel.set_bits(2)
    coarse = panel.shown()
    assert set(coarse) == {"original", "model", "PCA", "JPEG"}
    for image in coarse.values():
        assert image.shape == (16, 16, 3) and image.min() >= 0 and image.max() <= 1
    assert "2 bits" in panel.bits_label.text()
    panel.set_bits(16)
    fine = panel.shown()
    assert panel.bits_slider.value() == 16 and "16 bits" in panel.summary.text()
    assert not np.allclose(coarse["model"], fine["model"])
    recon = panel.session.reconstruct(panel.session.dataset.test_x[:1])[0]
    np.testing.assert_allclose(fine["model"], recon, atol=0.02)  # 16 bits: almost exact
    assert np.abs(coarse["model"] - recon).max() > np.abs(fine["model"] - recon).max()


def test_csv_export_rows_match_the_table_and_png_export(qtbot, make_panel, tiny_model, tmp_path):
    panel = _ready(qtbot, make_panel, model=tiny_model("mlp", "vae", 2, steps=60))
    path = panel.export_csv(tmp_path / "numbers")
    assert path.name == "numbers.csv"
    written = list(csv.DictReader(path.open()))
    table = panel.table()
    assert len(written) == len(table)
    for line, row in zip(written, table):
        for key, value in line.items():
            if row[key] is None:
                assert value == ""
            elif isinstance(row[key], bool):
                assert value == str(row[key])
            else:
                assert math.isclose(float(value), row[key], rel_tol=1e-12)
    png = panel.export_png(tmp_path / "plot")
    with Image.open(png) as image:
        assert png.suffix == ".png" and image.size[0] > 200
