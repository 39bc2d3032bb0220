"""Compression: a conv autoencoder (code 8) against PCA, JPEG and PNG on digits and MNIST-5k.

`mnist-5k-code32` repeats MNIST-5k with code size 32 (and PCA with 32 components), where
the autoencoder's rates reach JPEG's quality.

Prints one JSON object. For each dataset a conv AE (hidden 32,64, code size 8, bce) is
trained through the product's Trainer, then `trainer.analysis.compression.rate_distortion` runs on
every test image with bits 2..16 and JPEG qualities 1..95. The references (PCA with 8
components quantised the same way, JPEG, PNG) are measured in the same run on the same
images. `mnist-5k` is ../shared/data/mnist-5k (5,000 real MNIST test digits) split
4,000 / 1,000, stratified, seed 0; it is skipped when that folder is missing.

Figures per dataset: `ae_beats_jpeg_at_bytes` is the smallest AE rate (bytes per image)
whose PSNR beats JPEG's matched there (the largest quality whose mean file fits the
budget, or the smallest JPEG file when none fits, which is always the case here:
JPEG's headers alone outweigh these codes), with `ae_margin_db` its lead; the same for
PCA. `jpeg_bytes_to_match_ae` is the fewest mean JPEG bytes that reach the AE's best
PSNR (`jpeg_bare_bytes_to_match_ae`: the same files without their tables).

    python benchmarks/compression.py [--threads N] [--epochs-digits 60] [--epochs-mnist 30]
        [--mnist-codes 8,32]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import ModelConfig  # noqa: E402
from trainer import data  # noqa: E402
from trainer.analysis import compression  # noqa: E402
from trainer.config import TrainConfig  # noqa: E402
from trainer.loop import Trainer  # noqa: E402

MNIST_5K = ROOT.parent / "shared" / "data" / "mnist-5k"


def _idx(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist_5k(folder: Path = MNIST_5K) -> data.Dataset:
    """The 5,000 digits split 4,000 / 1,000, stratified by label, seed 0."""
    from sklearn.model_selection import train_test_split

    images = _idx(folder / "images-idx3-ubyte.gz")
    labels = _idx(folder / "labels-idx1-ubyte.gz").astype(np.int64)
    train, test = train_test_split(
        np.arange(len(labels)), test_size=1000, random_state=0, stratify=labels
    )
    x = torch.from_numpy(images.copy()).float().div_(255).unsqueeze(1)
    y = torch.from_numpy(labels)
    classes = [str(d) for d in range(10)]
    return data.Dataset("mnist-5k", x[train], x[test], y[train], y[test], classes)


def train(dataset: data.Dataset, epochs: int, code: int) -> tuple[torch.nn.Module, float]:
    config = ModelConfig("conv", "ae", dataset.shape, code, [32, 64], loss="bce")
    settings = TrainConfig(dataset=dataset.name, epochs=epochs, batch_size=64, lr=3e-3,
                           device="cpu", seed=0)  # fmt: skip
    trainer = Trainer(config, settings, dataset)
    start = time.perf_counter()
    progress = list(trainer.run())
    assert progress[-1].done and not progress[-1].error, progress[-1].error
    return trainer.model.eval(), time.perf_counter() - start


def _first_win(rows: list[dict], key: str) -> dict:
    for row in rows:
        if row[key] > row["jpeg_psnr_db"]:
            return {
                "bytes": row["bytes_per_image"],
                "bits_per_dim": row["bits_per_dim"],
                "margin_db": row[key] - row["jpeg_psnr_db"],
                "jpeg_bytes": row["jpeg_bytes"],
                "jpeg_quality": row["jpeg_quality"],
            }
    return {"bytes": None, "margin_db": None}


def measure(dataset: data.Dataset, epochs: int, code: int = 8) -> dict:
    model, seconds = train(dataset, epochs, code)
    table = compression.rate_distortion(
        model, dataset, bits=range(2, 17), qualities=range(1, 96), max_images=len(dataset.test_x)
    )
    rows, sweep = table["rows"], table["jpeg"]
    best = max(r["psnr_db"] for r in rows)
    enough = [s for s in sweep if s["psnr_db"] >= best]
    ae, pca = _first_win(rows, "psnr_db"), _first_win(rows, "pca_psnr_db")
    return {
        "code_size": code,
        "train": {"epochs": epochs, "seconds": seconds, "images": len(dataset.train_x)},
        "test_images": table["images"],
        "ae_psnr_db": table["psnr_db"],
        "pca_psnr_db": table["pca_psnr_db"],
        "ae_beats_jpeg_at_bytes": ae["bytes"],
        "ae_margin_db": ae["margin_db"],
        "ae_first_win": ae,
        "pca_beats_jpeg_at_bytes": pca["bytes"],
        "pca_margin_db": pca["margin_db"],
        "pca_first_win": pca,
        "ae_over_pca_db": {r["bytes_per_image"]: r["psnr_db"] - r["pca_psnr_db"] for r in rows},
        "ae_best_psnr_db": best,
        "jpeg_bytes_to_match_ae": min((s["bytes"] for s in enough), default=None),
        "jpeg_bare_bytes_to_match_ae": min((s["bare_bytes"] for s in enough), default=None),
        "jpeg_smallest": min(sweep, key=lambda s: s["bytes"]),
        "png": table["png"],
        "rows": rows,
    }


def _finite(value):
    """JSON-ready: inf and nan (an exact PNG's PSNR) become None."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--epochs-digits", type=int, default=60)
    parser.add_argument("--epochs-mnist", type=int, default=30)
    parser.add_argument("--mnist-codes", default="8,32", help="code sizes tried on mnist-5k")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    result = {"model": "conv ae, hidden 32,64, code 8, bce, batch 64, lr 3e-3, seed 0",
              "header_bytes": compression.HEADER_BYTES, "torch": torch.__version__}  # fmt: skip
    result["digits"] = measure(data.load("digits"), args.epochs_digits)
    if MNIST_5K.is_dir():
        mnist = mnist_5k()
        for code in (int(c) for c in args.mnist_codes.split(",")):
            key = "mnist-5k" if code == 8 else f"mnist-5k-code{code}"
            result[key] = measure(mnist, args.epochs_mnist, code)
    print(json.dumps(_finite(result)))


if __name__ == "__main__":
    main()
