"""The dataset catalogue: each dataset as in-memory float tensors with labels and class names."""

from __future__ import annotations

import contextlib
import functools
import socket
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.error import URLError

import numpy as np
import torch
import torch.nn.functional as F

from trainer import paths, shapes

SPLIT_SEED = 0
TEST_FRACTION = 0.2
SHAPES_TRAIN, SHAPES_TEST = 6000, 1000
FOLDER_SIZE = 32  # default side of folder images
SIZES = (4, 512)  # allowed range of `size`
DOWNLOAD_TIMEOUT_S = 30.0  # per network operation, so a dead network fails instead of hanging
OFFLINE = ("digits", "shapes", "shapes-colour")
DIGITS_FILE = Path(__file__).resolve().parents[1] / "resources" / "digits.npz"
# Catalogue name -> (torchvision class, class names to use instead of torchvision's, if any).
DOWNLOADED = {
    "mnist": ("MNIST", [str(d) for d in range(10)]),
    "fashion-mnist": ("FashionMNIST", None),
    "kmnist": ("KMNIST", None),
    "cifar10": ("CIFAR10", None),
}
INSTEAD = "use digits or shapes, which ship with the app"


@dataclass
class Dataset:
    """Train and test images (float32 [N, C, H, W] in [0, 1], CPU) with int64 labels."""

    name: str
    train_x: torch.Tensor
    test_x: torch.Tensor
    train_y: torch.Tensor
    test_y: torch.Tensor
    classes: list[str]
    factors: dict[str, torch.Tensor] | None = None  # known generative factors, test split
    skipped: int = 0  # unreadable files in a folder dataset
    train_factors: dict[str, torch.Tensor] | None = None  # the same for the train split

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])


class DatasetError(ValueError):
    """A dataset that can't be had; the message says which, why and what to use instead."""


def names() -> list[str]:
    """The catalogue (a folder of images is `folder:PATH` on top of these)."""
    return [*OFFLINE, *DOWNLOADED]


def load(name: str, root=None, size: int | None = None, grey: bool | None = None) -> Dataset:
    """The dataset `name`, loaded once and then served from memory (do not modify its tensors).

    `root` is the download folder of torchvision datasets (default: the per-user cache).
    `size` resizes images to size x size and `grey` turns them grey (True) or colour (False);
    None keeps a dataset's own, except folders, which default to 32 x 32 grey.
    """
    if size is not None and (
        not isinstance(size, int) or isinstance(size, bool) or not SIZES[0] <= size <= SIZES[1]
    ):
        raise DatasetError(
            f"size must be a whole number from {SIZES[0]} to {SIZES[1]}, not {size!r}."
        )
    if isinstance(name, str) and name.startswith("folder:"):
        path = Path(name.removeprefix("folder:")).expanduser().resolve()
        grey = True if grey is None else bool(grey)
        return _cached(f"folder:{path}", None, size or FOLDER_SIZE, grey)
    if name not in names():
        raise DatasetError(
            f"There is no dataset called {name!r}: use one of {', '.join(names())}, "
            "or folder:PATH for a folder of images."
        )
    return _cached(name, None if root is None else str(root), size, grey)


def load_for(name: str, input_shape) -> Dataset:
    """The dataset `name` at a model's (C, H, W): how a checkpoint's data is reopened.

    A folder is read at the model's size and channels; a built-in dataset must already match.
    """
    channels, height, _ = (int(v) for v in input_shape)
    if name.startswith("folder:"):
        return load(name, size=height, grey=channels == 1)
    data = load(name)
    if tuple(data.shape) != (channels, height, int(input_shape[2])):
        raise DatasetError(
            f"The model takes {channels}x{height}x{input_shape[2]} images but {name} has "
            f"{'x'.join(map(str, data.shape))} images: it was not trained on {name}."
        )
    return data


@functools.lru_cache(maxsize=8)
def _cached(name: str, root: str | None, size: int | None, grey: bool | None) -> Dataset:
    if name.startswith("folder:"):
        return _folder(Path(name.removeprefix("folder:")), size, grey)
    return _adapt(_raw(name, root), size, grey)  # shares the raw tensors when nothing changes


@functools.lru_cache(maxsize=4)
def _raw(name: str, root: str | None) -> Dataset:
    if name == "digits":
        return _digits()
    if name in ("shapes", "shapes-colour"):
        return _shapes(name)
    return _torchvision(name, Path(root) if root else paths.data_dir())


def _adapt(data: Dataset, size: int | None, grey: bool | None) -> Dataset:
    """Resize and convert channels as asked; unchanged when nothing is asked."""

    def convert(x: torch.Tensor) -> torch.Tensor:
        if grey is True and x.shape[1] == 3:
            weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
            x = (x * weights).sum(1, keepdim=True)
        elif grey is False and x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        if size is not None and tuple(x.shape[2:]) != (size, size):
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
            x = x.clamp_(0, 1)
        return x.contiguous()

    return replace(data, train_x=convert(data.train_x), test_x=convert(data.test_x))


def _split(x: torch.Tensor, y: torch.Tensor, classes: list[str], name: str) -> Dataset:
    """A fixed train/test split, stratified by label where every class has two examples."""
    counts = torch.bincount(y, minlength=len(classes))
    n_test = max(1, round(len(y) * TEST_FRACTION))
    fits = counts.min() >= 2 and min(n_test, len(y) - n_test) >= len(classes)
    stratify = y.numpy() if fits else None
    from sklearn.model_selection import train_test_split  # here: scikit-learn is slow to import

    train, test = train_test_split(
        np.arange(len(y)), test_size=n_test, random_state=SPLIT_SEED, stratify=stratify
    )
    train, test = torch.from_numpy(train), torch.from_numpy(test)
    return Dataset(name, x[train], x[test], y[train], y[test], classes)


def _digits() -> Dataset:
    """scikit-learn's digits /16 and their split, read from the copy the app ships."""
    with np.load(DIGITS_FILE) as f:
        x = torch.from_numpy(f["images"] / 16.0).float().unsqueeze(1)
        y = torch.from_numpy(f["target"]).long()
        train, test = torch.from_numpy(f["train"]), torch.from_numpy(f["test"])
    return Dataset("digits", x[train], x[test], y[train], y[test], [str(d) for d in range(10)])


def write_digits_file(path: Path = DIGITS_FILE) -> None:
    """Build the shipped digits file from scikit-learn (the app starts without importing it)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    y = torch.from_numpy(digits.target).long()
    split = _split(torch.arange(len(y)).view(-1, 1), y, [str(d) for d in range(10)], "digits")
    np.savez_compressed(
        path,
        images=digits.images.astype(np.uint8),
        target=digits.target.astype(np.uint8),
        train=split.train_x.view(-1).numpy(),
        test=split.test_x.view(-1).numpy(),
    )


def _shapes(name: str = "shapes") -> Dataset:
    """The sprites and their factors; shapes-colour paints the same sprites in colour."""
    make = shapes.generate_colour if name == "shapes-colour" else shapes.generate
    x, factors = make(SHAPES_TRAIN + SHAPES_TEST, seed=SPLIT_SEED)
    y = factors["shape"]
    n = SHAPES_TRAIN
    return Dataset(
        name,
        x[:n],
        x[n:],
        y[:n],
        y[n:],
        list(shapes.SHAPES),
        factors={k: v[n:] for k, v in factors.items()},
        train_factors={k: v[:n] for k, v in factors.items()},
    )


@contextlib.contextmanager
def _network_timeout():
    """Give downloads a socket timeout (urllib waits forever by default)."""
    old = socket.getdefaulttimeout()
    if old is None:
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _torchvision(name: str, root: Path) -> Dataset:
    import torchvision.datasets

    cls_name, classes = DOWNLOADED[name]
    cls = getattr(torchvision.datasets, cls_name)
    try:
        # torchvision prints download progress; keep stdout clean for `eval --json`.
        with _network_timeout(), contextlib.redirect_stdout(sys.stderr):
            parts = [cls(str(root), train=train, download=True) for train in (True, False)]
    except Exception as error:  # torchvision raises RuntimeError, URLError, OSError, asserts
        raise DatasetError(_why(name, root, error)) from error
    xs, ys = [], []
    for part in parts:
        data = torch.as_tensor(np.asarray(part.data))
        data = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)
        xs.append(data.float().div_(255).contiguous())
        ys.append(torch.as_tensor(part.targets, dtype=torch.int64))
    return Dataset(name, xs[0], xs[1], ys[0], ys[1], list(classes or parts[0].classes))


def _why(name: str, root: Path, error: Exception) -> str:
    """One sentence for a torchvision failure: offline, unwritable or damaged."""
    text = str(error)
    if isinstance(error, (URLError, TimeoutError)) or "Error downloading" in text:
        return (
            f"{name} could not be downloaded (no network?): {INSTEAD}, or copy its files to {root}."
        )
    if isinstance(error, OSError):
        reason = error.strerror or text
        return f"{name} could not be saved in {root} ({reason}): {INSTEAD}, or free that folder."
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return (
        f"{name} in {root} is incomplete or damaged ({first.rstrip('.')}): delete its folder "
        f"there so it downloads again, or {INSTEAD}."
    )


def _read_image(path: Path, size: int, grey: bool) -> np.ndarray:
    """One image as uint8 [H, W] or [H, W, 3], centre-cropped to a square and resized."""
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("I", "F") or image.mode.startswith("I;16"):
            image = _wide_to_l(image)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            image = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
            image.alpha_composite(rgba)
        image = image.convert("L" if grey else "RGB")
        image = ImageOps.fit(image, (size, size), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


def _wide_to_l(image):
    """16-bit grey over its full range, 32-bit and float grey over their own: 8-bit grey
    (Pillow's own conversion clips them at 255, turning most images white)."""
    from PIL import Image

    array = np.nan_to_num(np.asarray(image, dtype=np.float64), posinf=0.0, neginf=0.0)
    low, top = (0.0, 65535.0) if image.mode.startswith("I;16") else (array.min(), array.max())
    scaled = (array - low) * (255.0 / max(top - low, 1e-12))
    return Image.fromarray(np.clip(np.round(scaled), 0, 255).astype(np.uint8))


def _folder(root: Path, size: int, grey: bool) -> Dataset:
    """Every readable image under `root`; top-level subfolders are the classes."""
    from PIL import Image

    name = f"folder:{root}"
    if not root.is_dir():
        raise DatasetError(f"{name} is not an existing folder: check the path, or {INSTEAD}.")
    files = sorted(
        p
        for p in root.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(root).parts) and p.is_file()
    )
    images, labels, skipped = [], [], 0
    for path in files:
        try:
            images.append(_read_image(path, size, grey))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            skipped += 1
            continue
        parts = path.relative_to(root).parts
        labels.append(parts[0] if len(parts) > 1 else root.name)
    if len(images) < 2:
        raise DatasetError(
            f"{name} has {len(images)} readable images ({skipped} unreadable files), "
            f"at least 2 are needed: add PNG or JPEG files, or {INSTEAD}."
        )
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    x = torch.from_numpy(np.stack(images)).float().div_(255)
    x = x.unsqueeze(1) if grey else x.permute(0, 3, 1, 2)
    y = torch.tensor([index[c] for c in labels], dtype=torch.int64)
    data = _split(x.contiguous(), y, classes, name)
    return replace(data, skipped=skipped)
