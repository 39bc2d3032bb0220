"""The Compression panel: the model's codes quantised to b bits per dimension as a codec,
against PCA at the same code size and bits, JPEG (quality swept) and lossless PNG.

The numbers are trainer.analysis.compression's (see its docstring for what a byte counts),
computed in the background on the test images; the slider picks the bits per dimension
shown on one test image beside JPEG at about the same size.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import torch
from PySide6.QtWidgets import QFileDialog

from explorer.panels.base import AnalysisPanel
from explorer.panels.compression import view
from trainer.analysis import compression
from trainer.analysis.reporting import part
from trainer.data import as_float

BITS = tuple(range(view.LOW_BITS, view.HIGH_BITS + 1))
FIELDS = [key for key, _, _ in view.COLUMNS] + ["jpeg_fits"]
RED = "#b00020"


def compute(model, dataset, report) -> dict:
    """The rate-distortion figures and the codec that makes the shown image, off the GUI
    thread; the model is the job's own copy."""
    out = compression.rate_distortion(model, dataset, bits=BITS, report=part(report, 0, 0.9))
    out["codec"] = compression.fit_codec(model, dataset)
    out["model"] = model
    report(1.0)
    return out


def _db(value: float) -> str:
    return "exact" if value == math.inf else f"{value:.1f} dB"


def _with_suffix(path, suffix: str) -> Path:
    path = Path(path)
    return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)


def _layout(x: torch.Tensor) -> np.ndarray:
    """[C, H, W] -> [H, W] or [H, W, 3] (numpy), as the views and JPEG take them."""
    a = x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)


class CompressionPanel(AnalysisPanel):
    """Bytes per image against PSNR: the model, PCA, JPEG and PNG; one image at a chosen rate."""

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.setObjectName("compressionPanel")
        self._shown: dict[str, np.ndarray] = {}
        view.layout(self)
        self.bits_slider.valueChanged.connect(self._bits_changed)
        self.index_spin.valueChanged.connect(lambda _i: self._show_image())
        self._bits_changed(self.bits())
        self.follow_session()

    # -- the test contract --------------------------------------------------------------------
    def bits(self) -> int:
        return self.bits_slider.value()

    def set_bits(self, bits: int) -> None:
        """Bits per dimension (2 to 16) of the shown image and the ringed points."""
        self.bits_slider.setValue(int(bits))

    def table(self) -> list[dict]:
        """The table's rows, one per bits per dimension: trainer.analysis.compression's
        rate_distortion rows ([] before the first result)."""
        out = self.result()
        return [dict(r) for r in out["rows"]] if out else []

    def series(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What the plot draws, {name: (bytes per image, PSNR dB)}: model, PCA, JPEG, JPEG
        without tables, PNG (a lossless PNG's PSNR, inf, is drawn 3 dB above the rest, or above
        view.TOP_DB where the plot ends)."""
        out = {}
        for item in self.plot.getPlotItem().listDataItems():
            if item.name():
                x, y = item.getOriginalDataset()
                out[item.name()] = (np.asarray(x, float), np.asarray(y, float))
        return out

    def shown(self) -> dict[str, np.ndarray]:
        """The shown test image: original, model, PCA and JPEG at the chosen rate, float in
        [0, 1], [H, W] or [H, W, 3]; {} before the first result."""
        return dict(self._shown)

    def export_csv(self, path) -> Path:
        """Write table() as CSV (".csv" added when missing); numbers as Python writes them."""
        path = _with_suffix(path, ".csv")
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, FIELDS, extrasaction="ignore")
            writer.writeheader()
            for r in self.table():
                writer.writerow({k: "" if r[k] is None else r[k] for k in FIELDS})
        self.note.setText(f"Table saved to {path}.")
        return path

    def export_png(self, path) -> Path:
        """Save the plot as a PNG (".png" added when missing)."""
        path = _with_suffix(path, ".png")
        if not self.plot.grab().save(str(path), "PNG"):
            raise OSError(f"Could not write {path}")
        self.note.setText(f"Plot saved to {path}.")
        return path

    # -- computing ----------------------------------------------------------------------------
    def start(self, model, dataset) -> None:
        self.run_job(
            "Compressing the test images (model, PCA, JPEG, PNG)…",
            lambda report: compute(model, dataset, report),
            self._show,
            lambda error: self.summary.setText(f"The comparison failed: {error}"),
        )

    def reset(self) -> None:
        self._shown = {}
        self.plot.clear()
        self.table_widget.setRowCount(0)
        self.summary.setText("Compressing with the new model…")
        data = self.session.dataset
        if data is not None:
            self.index_spin.blockSignals(True)
            self.index_spin.setRange(0, len(data.test_x) - 1)
            self.index_spin.blockSignals(False)

    def _row(self, out: dict | None = None) -> dict | None:
        out = out or self.result()
        if not out:
            return None
        return next(r for r in out["rows"] if r["bits_per_dim"] == self.bits())

    def _series(self, out: dict) -> dict:
        rows, sweep, png = out["rows"], out["jpeg"], out["png"]
        finite = [r[k] for r in rows for k in ("psnr_db", "pca_psnr_db")]
        finite += [s["psnr_db"] for s in sweep]
        top = min(max(finite), view.TOP_DB)  # near-lossless JPEGs reach 150 dB and more
        png_y = png["psnr_db"] if math.isfinite(png["psnr_db"]) else top + 3
        return {
            "model": ([r["bytes_per_image"] for r in rows], [r["psnr_db"] for r in rows]),
            "PCA": ([r["bytes_per_image"] for r in rows], [r["pca_psnr_db"] for r in rows]),
            "JPEG": ([s["bytes"] for s in sweep], [s["psnr_db"] for s in sweep]),
            "JPEG without tables": (
                [s["bare_bytes"] for s in sweep],
                [s["psnr_db"] for s in sweep],
            ),
            "PNG": ([png["bytes"]], [png_y]),
        }

    def _show(self, out: dict) -> None:
        self.index_spin.setRange(0, len(self.session.dataset.test_x) - 1)
        self._draw(out)
        self._summarise(out)
        self._show_image()

    def _draw(self, out: dict) -> None:
        row = self._row(out)
        chosen = [(row["bytes_per_image"], row["psnr_db"]), (row["bytes_per_image"],
                  row["pca_psnr_db"]), (row["jpeg_bytes"], row["jpeg_psnr_db"])]  # fmt: skip
        view.draw(self.plot, self._series(out), chosen)
        view.fill(self.table_widget, out["rows"], self.bits())

    def _summarise(self, out: dict) -> None:
        row, png, smallest = self._row(out), out["png"], min(out["jpeg"], key=lambda s: s["bytes"])
        same = row["jpeg_bytes_same_psnr"]
        jpeg_same = (
            f"JPEG needs {same:.0f} bytes for that PSNR"
            if same is not None
            else "no JPEG quality reaches that PSNR"
        )
        self.summary.setText(
            f"At <b>{row['bits_per_dim']} bits</b> per dimension the model's {out['code_size']}-"
            f"number code takes <b>{row['bytes_per_image']} bytes</b> per image for "
            f"<b>{_db(row['psnr_db'])}</b> on {out['images']} test images (PCA: "
            f"{_db(row['pca_psnr_db'])}); {jpeg_same}, and JPEG's smallest file is "
            f"{smallest['bytes']:.0f} bytes ({_db(smallest['psnr_db'])}, quality "
            f"{smallest['quality']}). Lossless PNG: {png['bytes']:.0f} bytes. Shared by every "
            f"image and not counted: the model and {out['side_bytes']} bytes of code ranges."
            + (
                " A colouriser: its code is of the grey image, decoded to colour."
                if getattr(out["model"], "colourises", False)
                else ""
            )
        )

    def _bits_changed(self, bits: int) -> None:
        per_image = f", {self._row()['bytes_per_image']} B / image" if self.result() else ""
        self.bits_label.setText(f"{bits} bits{per_image}")
        if self.result():
            self._draw(self.result())
            self._summarise(self.result())
            self._show_image()

    @torch.no_grad()
    def _show_image(self) -> None:
        """The chosen test image through the model and PCA at the chosen bits, and JPEG at the
        quality whose mean file size fits those bytes (the smallest when none does)."""
        out = self.result()
        if not out:
            return
        data, row = self.session.dataset, self._row(out)
        index = min(self.index_spin.value(), len(data.test_x) - 1)
        x = as_float(data.test_x[index : index + 1])
        decoded, pca = compression.compress(out["model"], out["codec"], x, self.bits())
        pixels = compression.to_uint8(x)[0]
        jpeg_bytes, jpeg = compression.jpeg_image(pixels, row["jpeg_quality"])
        truth = _layout(x[0]).astype(np.float64)
        self._shown = {
            "original": truth,
            "model": _layout(decoded[0]),
            "PCA": _layout(pca[0]),
            "JPEG": jpeg.astype(np.float64) / 255,
        }
        captions = [
            f"Original\n{pixels.size} B of pixels",
            f"Model\n{row['bytes_per_image']} B",
            f"PCA\n{row['bytes_per_image']} B",
            f"JPEG quality {row['jpeg_quality']}\n{jpeg_bytes} B",
        ]
        for i, image in enumerate(self._shown.values()):
            self.views[i].set_image(image.astype(np.float32))
            db = "" if i == 0 else f" · {_db(compression.psnr(truth, image))}"
            self.captions[i].setText(captions[i] + db)
        fits = "about the same size" if row["jpeg_fits"] else "its smallest file, still larger"
        self.image_note.setText(
            f"Test image {index}. JPEG is shown at {fits}: {jpeg_bytes} bytes against the "
            f"model's {row['bytes_per_image']}."
        )

    # -- dialogs ------------------------------------------------------------------------------
    def csv_dialog(self) -> None:
        self._export(self.export_csv, "Export the table", "compression.csv", "CSV (*.csv)")

    def png_dialog(self) -> None:
        self._export(self.export_png, "Export the plot", "compression.png", "PNG images (*.png)")

    def _export(self, save, title: str, name: str, kinds: str) -> None:
        if not self.result():
            self.note.setText("Nothing to export yet: wait for the numbers.")
            return
        path, _ = QFileDialog.getSaveFileName(self, title, name, kinds)
        if not path:
            return
        try:
            save(path)
        except OSError as error:
            self.note.setText(
                f"<span style='color:{RED}'>Could not write {path} "
                f"({getattr(error, 'strerror', None) or error}); pick another folder.</span>"
            )
