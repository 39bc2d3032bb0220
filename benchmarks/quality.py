"""Default settings' test error against PCA's at the same code size, on digits and real MNIST.

Prints one JSON object. Every model is trained with the recipe defaults exactly as
`latent-explorer train` would take them when given only the dataset, backbone, objective
and code size (trainer.cli.configs on the parsed flags); early stopping uses the
validation split held out from the training split, and every figure is on the test split.
The reference is PCA fitted on the same training split with as many components as the
code (the `ratio` is test MSE / PCA's). Also: the VAE's test negative ELBO (nats, bce) at
code 2 and 16 against the old defaults' (mlp 64,32, 10 epochs, constant lr 1e-3, batch 128:
the form's bce and the command line's mse), the denoising autoencoder's PSNR gain at
Gaussian noise 0.5, and every model's training time.

MNIST: the 5,000 real digits of ../shared/data/mnist-5k (or --mnist DIR) are split 4,000 /
1,000 (stratified, seed 0) and written as the IDX files torchvision's MNIST reads from
ROOT/MNIST/raw, so the product's own loader (trainer.data.load("mnist", root=ROOT)) reads
them.

    python benchmarks/quality.py [--mnist DIR] [--only digits|mnist] [--threads N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import ModelConfig  # noqa: E402
from trainer import analysis, cli, data  # noqa: E402
from trainer.config import TrainConfig  # noqa: E402
from trainer.data import as_float  # noqa: E402
from trainer.loop import Trainer  # noqa: E402

MNIST_DEFAULT = ROOT.parent / "shared" / "data" / "mnist-5k"
CODES = (2, 8, 30)
VAE_CODES = (2, 16)
DENOISING = ("gaussian:0.5", 16)  # noise, code size
BUDGET = {
    "digits": {"linear": (1.02, 1.02), "mlp": (0.5, 0.35), "conv": (0.5, 0.35)},  # code 2, 8
    "mnist": {"linear": 1.02, "conv_2": 0.7, "conv_30": 0.30, "denoising_gain_db": 8.0},
}
OLD_VAE = dict(hidden=[64, 32], norm="none", depth=1)  # the defaults before the recipes
OLD_TRAIN = dict(epochs=10, batch_size=128, lr=1e-3, schedule="constant", patience=0,
                 kl_warmup=0, val_fraction=0.0, weight_decay=0.0)  # fmt: skip


def write_mnist_root(source: Path, root: Path, n_test: int = 1000) -> None:
    """The 5k IDX files split stratified (seed 0) into torchvision's train/t10k files."""
    from sklearn.model_selection import train_test_split

    with gzip.open(source / "images-idx3-ubyte.gz") as f:
        raw = f.read()
    count, rows, cols = struct.unpack(">III", raw[4:16])
    images = np.frombuffer(raw, np.uint8, offset=16).reshape(count, rows, cols)
    with gzip.open(source / "labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    train, test = train_test_split(
        np.arange(count), test_size=n_test, random_state=0, stratify=labels
    )
    out = root / "MNIST" / "raw"
    out.mkdir(parents=True, exist_ok=True)
    for prefix, index in (("train", train), ("t10k", test)):
        with open(out / f"{prefix}-images-idx3-ubyte", "wb") as f:
            f.write(struct.pack(">IIII", 2051, len(index), rows, cols) + images[index].tobytes())
        with open(out / f"{prefix}-labels-idx1-ubyte", "wb") as f:
            f.write(struct.pack(">II", 2049, len(index)) + labels[index].tobytes())


def default_configs(dataset, backbone: str, objective: str, code_size: int, *extra):
    """The configs `train` builds from these flags alone (the recipe fills the rest)."""
    flags = ["--dataset", dataset.name, "--backbone", backbone, "--objective", objective,
             "--code-size", str(code_size), *extra, "--out", "unused.safetensors"]  # fmt: skip
    parser = argparse.ArgumentParser()
    cli.add_train_arguments(parser)
    args = parser.parse_args(flags)
    model, train = cli.configs(args, dataset.shape, len(dataset.train_x))
    return model, train


def train(dataset, model_config: ModelConfig, train_config: TrainConfig) -> tuple:
    trainer = Trainer(model_config, train_config, dataset)
    start = time.perf_counter()
    progress = list(trainer.run())
    last = progress[-1] if progress else None
    seconds = time.perf_counter() - start
    if last is None or last.error:
        raise RuntimeError(last.error if last else "no progress")
    run = {"train_s": round(seconds, 1), "epochs": train_config.epochs,
           "epochs_run": last.epoch, "best_epoch": last.best_epoch}  # fmt: skip
    return trainer.model.eval(), run


def ae_row(dataset, backbone: str, code_size: int) -> dict:
    model, run = train(dataset, *default_configs(dataset, backbone, "ae", code_size))
    ours = analysis.test_mse(model, dataset)
    pca = analysis.pca_test_mse(dataset, code_size)
    return {"test_mse": round(ours, 6), "pca_test_mse": round(pca, 6),
            "ratio": round(ours / pca, 3), **run}  # fmt: skip


def vae_row(dataset, model_config: ModelConfig, train_config: TrainConfig) -> dict:
    model, run = train(dataset, model_config, train_config)
    with torch.no_grad():
        kl = model(as_float(dataset.test_x)).terms["kl"].item()
        samples = model.decode(torch.randn(64, model.code_size, generator=torch.Generator()
                                           .manual_seed(0))).flatten(1)  # fmt: skip
    spread = torch.pdist(samples).mean().item() / samples.shape[1] ** 0.5  # RMS per pixel
    return {"loss": model_config.loss, "test_neg_elbo": round(analysis.neg_elbo(model, dataset), 3),
            "kl_per_dim": round(kl / model.code_size, 3), "sample_rms_distance": round(spread, 4),
            "test_mse": round(analysis.test_mse(model, dataset), 6), **run}  # fmt: skip


def measure(dataset) -> dict:
    result: dict = {"train_images": len(dataset.train_x), "test_images": len(dataset.test_x)}
    result["ae"] = {
        b: {str(k): ae_row(dataset, b, k) for k in CODES} for b in ("linear", "mlp", "conv")
    }
    result["vae"] = {str(k): vae_row(dataset, *default_configs(dataset, "mlp", "vae", k))
                     for k in VAE_CODES}  # fmt: skip
    for loss in ("bce", "mse"):
        old_model, _ = default_configs(dataset, "mlp", "vae", 2, "--loss", loss)
        old_model = ModelConfig(**{**old_model.to_dict(), **OLD_VAE})
        old_train = TrainConfig(dataset=dataset.name, **OLD_TRAIN)
        result[f"vae_old_default_{loss}"] = vae_row(dataset, old_model, old_train)
    noise, code = DENOISING
    model, run = train(
        dataset, *default_configs(dataset, "conv", "denoising", code, "--noise", noise)
    )
    noisy, denoised = analysis.denoise_psnr(model, dataset)
    result["denoising"] = {"backbone": "conv", "noise": noise, "code_size": code,
                           "noisy_psnr_db": round(noisy, 2), "denoised_psnr_db": round(denoised, 2),
                           "gain_db": round(denoised - noisy, 2), **run}  # fmt: skip
    return result


def checks(result: dict) -> dict:
    """Each budget row: measured figure, budget, met."""
    out = {}
    digits = result.get("digits")
    if digits:
        for backbone, (at2, at8) in BUDGET["digits"].items():
            for code, limit in (("2", at2), ("8", at8)):
                ratio = digits["ae"][backbone][code]["ratio"]
                out[f"digits_{backbone}_{code}"] = [ratio, limit, ratio <= limit]
    mnist = result.get("mnist")
    if mnist:
        b = BUDGET["mnist"]
        for key, figure, limit in (
            ("mnist_linear_2", mnist["ae"]["linear"]["2"]["ratio"], b["linear"]),
            ("mnist_conv_2", mnist["ae"]["conv"]["2"]["ratio"], b["conv_2"]),
            ("mnist_conv_30", mnist["ae"]["conv"]["30"]["ratio"], b["conv_30"]),
        ):
            out[key] = [figure, limit, figure <= limit]
        gain = mnist["denoising"]["gain_db"]
        out["mnist_denoising_gain_db"] = [
            gain,
            b["denoising_gain_db"],
            gain >= b["denoising_gain_db"],
        ]
        new, old = mnist["vae"]["2"]["test_neg_elbo"], mnist["vae_old_default_bce"]["test_neg_elbo"]
        out["mnist_vae_2_neg_elbo_vs_old_bce"] = [new, old, new < old]
    return out


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, default=MNIST_DEFAULT, help="the mnist-5k folder")
    parser.add_argument("--only", choices=["digits", "mnist"], help="measure one dataset")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    result: dict = {}
    started = time.perf_counter()
    if args.only in (None, "digits"):
        result["digits"] = measure(data.load("digits"))
    if args.only in (None, "mnist"):
        if not (args.mnist / "images-idx3-ubyte.gz").is_file():
            result["mnist"] = None
            result["mnist_missing"] = f"no mnist-5k files in {args.mnist}"
        else:
            with tempfile.TemporaryDirectory() as root:
                write_mnist_root(args.mnist, Path(root))
                result["mnist"] = measure(data.load("mnist", root=root))
    result["checks"] = checks(result)
    result["reference"] = "PCA with as many components as the code, fitted on the training split"
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["threads"] = torch.get_num_threads()
    result["torch"] = torch.__version__
    result["load_average"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(result))


if __name__ == "__main__":
    main_()
