"""The dataset catalogue on real data: bundled sets, MNIST files on disk, folders of images."""

import struct

import numpy as np
import pytest
import torch
import torchvision.datasets
from PIL import Image

from models.colour import luminance
from trainer import data
from trainer.data import DatasetError, builtin, downloaded, shapes


def _check_dataset(ds, shape, n_classes):
    for x in (ds.train_x, ds.test_x):
        assert x.dtype == torch.uint8 and tuple(x.shape[1:]) == shape  # stored as pixels
        assert x.is_contiguous()
        floats = data.as_float(x[:64])
        assert (
            floats.dtype == torch.float32
            and 0.0 <= float(floats.min()) <= float(floats.max()) <= 1.0
        )
    for y, x in ((ds.train_y, ds.train_x), (ds.test_y, ds.test_x)):
        assert y.dtype == torch.int64 and len(y) == len(x)
        assert int(y.min()) >= 0 and int(y.max()) < n_classes
    assert ds.shape == shape and len(ds.classes) == n_classes


def test_names_list_the_catalogue():
    assert data.names() == [
        "digits", "shapes", "shapes-colour", "mnist", "fashion-mnist", "kmnist", "cifar10",
    ]  # fmt: skip


def test_each_dataset_is_registered_with_the_shape_and_size_it_loads_with():
    for source in data.SOURCES.values():
        assert data.shape_and_size(source.name) == (source.shape, source.train_count)
        if source.offline:  # the downloaded ones are checked against torchvision's sizes
            loaded = data.load(source.name)
            assert (loaded.shape, len(loaded.train_x)) == (source.shape, source.train_count)
    assert [s.name for s in data.SOURCES.values() if s.offline] == ["digits", "shapes",
                                                                    "shapes-colour"]  # fmt: skip
    assert data.shape_and_size("folder:/anywhere") == ((1, 32, 32), None)


def test_a_registered_dataset_is_loaded_like_the_others(monkeypatch):
    tiny = data.Dataset("tiny", torch.rand(6, 1, 4, 4), torch.rand(2, 1, 4, 4),
                        torch.zeros(6, dtype=torch.int64), torch.zeros(2, dtype=torch.int64),
                        ["all"])  # fmt: skip
    monkeypatch.setitem(data.SOURCES, "tiny", data.base.Source("tiny", lambda root: tiny,
                                                               (1, 4, 4), 6, True))  # fmt: skip
    assert "tiny" in data.names() and data.load("tiny") is data.load("tiny")
    assert data.load("tiny").train_x is tiny.train_x
    assert data.load("tiny", size=8).shape == (1, 8, 8)
    data.clear_cache()


def test_digits_are_sklearn_digits_over_16_with_a_stratified_split():
    from sklearn.datasets import load_digits

    ds = data.load("digits")
    _check_dataset(ds, (1, 8, 8), 10)
    assert ds.classes == [str(d) for d in range(10)]
    assert len(ds.train_x) + len(ds.test_x) == 1797
    assert len(ds.test_x) == 359
    assert ds.test_y.bincount().min() >= 35  # every digit is in the test split
    # Each test image is a real digit from sklearn, divided by 16 (within half a pixel step).
    raw = torch.from_numpy(load_digits().images / 16.0).float().flatten(1)
    first = data.as_float(ds.test_x[0]).flatten()
    assert ((raw - first).abs() <= 0.5 / 255 + 1e-7).all(dim=1).any()


def test_load_is_cached_and_adapts_size_and_channels():
    assert data.load("digits") is data.load("digits")
    # Asking for what a dataset already is shares its tensors instead of copying them.
    assert data.load("digits", size=8, grey=True).train_x is data.load("digits").train_x
    colour = data.load("digits", size=16, grey=False)
    _check_dataset(colour, (3, 16, 16), 10)
    assert torch.equal(colour.test_x[:, 0], colour.test_x[:, 2])
    assert torch.equal(colour.test_y, data.load("digits").test_y)


def test_shapes_have_factors_that_describe_the_images():
    ds = data.load("shapes")
    _check_dataset(ds, (1, 32, 32), 4)
    assert ds.classes == ["square", "ellipse", "heart", "triangle"]
    assert (len(ds.train_x), len(ds.test_x)) == (6000, 1000)
    assert set(ds.factors) == {"shape", "scale", "rotation", "x", "y"}
    assert torch.equal(ds.factors["shape"], ds.test_y)
    assert torch.equal(ds.train_factors["shape"], ds.train_y)
    # Every shape occurs, and squares and ellipses are centred on their x, y factors.
    assert ds.test_y.bincount(minlength=4).min() > 150
    grid = (torch.arange(32) + 0.5) / 32 * 2 - 1
    x = data.as_float(ds.test_x)
    mass = x[:, 0].sum(dim=(1, 2))
    cx = (x[:, 0].sum(1) * grid).sum(1) / mass
    cy = (x[:, 0].sum(2) * grid).sum(1) / mass
    symmetric = ds.test_y <= 1
    assert (cx - ds.factors["x"])[symmetric].abs().max() < 1 / 32
    assert (cy - ds.factors["y"])[symmetric].abs().max() < 1 / 32
    # Area grows as scale squared: mass / scale^2 is nearly constant within a shape.
    for k in range(4):
        ratio = (mass / ds.factors["scale"].square())[ds.test_y == k]
        assert ratio.std() / ratio.mean() < 0.05


def test_shapes_are_deterministic_for_a_seed():
    a, fa = shapes.generate(64, seed=3)
    b, fb = shapes.generate(64, seed=3)
    c, _ = shapes.generate(64, seed=4)
    assert torch.equal(a, b) and all(torch.equal(fa[k], fb[k]) for k in fa)
    assert not torch.equal(a, c)


def test_colour_shapes_are_deterministic_for_a_seed():
    a, fa = shapes.generate_colour(64, seed=3)
    b, fb = shapes.generate_colour(64, seed=3)
    c, _ = shapes.generate_colour(64, seed=4)
    assert a.shape == (64, 3, 32, 32)
    assert torch.equal(a, b) and all(torch.equal(fa[k], fb[k]) for k in fa)
    assert not torch.equal(a, c)


def test_colour_shapes_keep_the_factors_and_take_their_colours_from_the_shape():
    grey, colour = data.load("shapes"), data.load("shapes-colour")
    _check_dataset(colour, (3, 32, 32), 4)
    step = 1 / 255  # the images are stored as uint8: every pixel within half a step
    grey_x, colour_x = data.as_float(grey.test_x), data.as_float(colour.test_x)
    assert colour.classes == grey.classes and torch.equal(colour.test_y, grey.test_y)
    assert set(colour.factors) == set(grey.factors) == set(shapes.FACTORS)
    assert all(torch.equal(colour.factors[k], grey.factors[k]) for k in shapes.FACTORS)
    # The same sprites: the luminance is the grey sprite between two fixed levels.
    luma = luminance(colour_x)
    low, high = shapes.BACKGROUND_LUMA, shapes.SPRITE_LUMA
    torch.testing.assert_close(luma, low + (high - low) * grey_x, atol=2e-3 + step, rtol=0)
    # Each shape has its own colour: the brightest pixel of every square has the same RGB.
    brightest = colour_x.flatten(2).gather(
        2, luma.flatten(2).argmax(2, keepdim=True).expand(-1, 3, -1)
    )[..., 0]
    covered = grey_x.flatten(1).max(1).values > 0.999
    for k in range(4):
        rows = brightest[(colour.test_y == k) & covered]
        colours = shapes.SPRITE_COLOURS[k].expand_as(rows)
        torch.testing.assert_close(rows, colours, atol=step / 2 + 1e-6, rtol=0)
    assert len({tuple(c.tolist()) for c in shapes.SPRITE_COLOURS}) == 4
    # The background is the same sky-to-ground gradient in every image.
    corners = colour_x[:, :, [0, -1], 0]
    torch.testing.assert_close(corners, corners[:1].expand_as(corners))
    assert (corners[0, :, 0] - corners[0, :, 1]).abs().max() > 0.2


def _write_idx(path, array):
    """An IDX file as MNIST ships it: big-endian magic (uint8, ndim), dims, then bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.tobytes())


@pytest.fixture
def no_network(monkeypatch):
    """Point every torchvision mirror at a closed local port: a real, instant download failure."""
    for cls in (torchvision.datasets.MNIST, torchvision.datasets.KMNIST):
        monkeypatch.setattr(cls, "mirrors", ["http://127.0.0.1:9/"])
    monkeypatch.setattr(downloaded, "DOWNLOAD_TIMEOUT_S", 2.0)


def test_mnist_loads_from_idx_files_on_disk(tmp_path, no_network):
    rng = np.random.default_rng(0)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = {
        "train": rng.integers(0, 256, (40, 28, 28)),
        "t10k": rng.integers(0, 256, (12, 28, 28)),
    }
    labels = {"train": rng.integers(0, 10, 40), "t10k": rng.integers(0, 10, 12)}
    for split in ("train", "t10k"):
        _write_idx(raw / f"{split}-images-idx3-ubyte", images[split])
        _write_idx(raw / f"{split}-labels-idx1-ubyte", labels[split])

    ds = data.load("mnist", root=tmp_path)

    _check_dataset(ds, (1, 28, 28), 10)
    assert ds.name == "mnist" and ds.classes == [str(d) for d in range(10)]
    expected = torch.from_numpy(images["train"].astype(np.uint8)).unsqueeze(1)
    assert torch.equal(ds.train_x, expected)  # the pixels as they are in the file
    assert ds.train_y.tolist() == labels["train"].tolist()
    assert ds.test_y.tolist() == labels["t10k"].tolist()
    assert data.load("mnist", root=tmp_path, size=14).shape == (1, 14, 14)


def test_a_damaged_mnist_file_is_a_dataset_error(tmp_path, no_network):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (raw / name).write_bytes(b"not an idx file at all")
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).write_bytes(b"")
    with pytest.raises(DatasetError, match=r"^mnist in .* is incomplete or damaged .*digits"):
        data.load("mnist", root=tmp_path)


@pytest.mark.parametrize("name", ["mnist", "kmnist"])
def test_offline_download_is_one_sentence(tmp_path, no_network, name):
    with pytest.raises(DatasetError) as caught:
        data.load(name, root=tmp_path / "empty")
    message = str(caught.value)
    assert message.startswith(f"{name} could not be downloaded (no network?)")
    assert "digits or shapes" in message and "\n" not in message and message.endswith(".")


def test_unwritable_download_folder_is_a_dataset_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DatasetError, match=r"^fashion-mnist could not be saved in .*digits"):
        data.load("fashion-mnist", root=blocker / "data")


def test_unknown_names_and_bad_sizes_are_dataset_errors():
    with pytest.raises(DatasetError, match="no dataset called 'mnits'.*folder:PATH"):
        data.load("mnits")
    with pytest.raises(DatasetError, match="size must be a whole number"):
        data.load("digits", size=0)
    assert issubclass(DatasetError, ValueError)


def _png(path, colour, size=(20, 12)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def test_folder_with_subfolders_gives_labels_and_skips_unreadable_files(tmp_path):
    root = tmp_path / "pets"
    for i in range(6):
        _png(root / "cats" / f"c{i}.png", (200, 30, 30))
        _png(root / "dogs" / f"d{i}.png", (30, 30, 200))
    good = (root / "cats" / "c0.png").read_bytes()
    (root / "cats" / "broken.png").write_bytes(good[: len(good) // 2])  # truncated PNG
    (root / "dogs" / "notes.txt").write_text("not an image")
    (root / ".hidden.png").write_bytes(good)  # hidden files are not looked at

    ds = data.load(f"folder:{root}")

    assert ds.name == f"folder:{root.resolve()}"
    _check_dataset(ds, (1, 32, 32), 2)
    assert ds.classes == ["cats", "dogs"] and ds.skipped == 2
    assert len(ds.train_x) + len(ds.test_x) == 12
    # Grey value of each image follows its class: red cats are brighter than blue dogs.
    x = data.as_float(torch.cat([ds.train_x, ds.test_x])).mean(dim=(1, 2, 3))
    y = torch.cat([ds.train_y, ds.test_y])
    assert x[y == 0].min() > x[y == 1].max()
    again = data.load(f"folder:{root}")
    assert torch.equal(again.test_y, ds.test_y)  # the split is fixed


def test_folder_without_subfolders_is_one_class_in_colour(tmp_path):
    root = tmp_path / "flat"
    for i in range(5):
        _png(root / f"{i}.png", (10 * i, 100, 250), size=(40, 40))
    ds = data.load(f"folder:{root}", size=28, grey=False)
    _check_dataset(ds, (3, 28, 28), 1)
    assert ds.classes == ["flat"] and ds.skipped == 0
    assert abs(float(data.as_float(ds.test_x[:, 2]).mean()) - 250 / 255) < 1e-6


def test_missing_or_empty_folders_are_dataset_errors(tmp_path):
    with pytest.raises(DatasetError, match=r"is not an existing folder.*digits or shapes"):
        data.load(f"folder:{tmp_path / 'nowhere'}")
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.png").write_bytes(b"\x89PNG garbage")
    (junk / "b.txt").write_text("text")
    with pytest.raises(DatasetError, match=r"has 0 readable images \(2 unreadable files\)"):
        data.load(f"folder:{junk}")


def test_shipped_digits_are_scikit_learns_digits_and_split(tmp_path):
    """The app reads digits from resources/ (no scikit-learn at start); it must not drift."""
    from sklearn.datasets import load_digits

    rebuilt = tmp_path / "digits.npz"
    builtin.write_digits_file(rebuilt)
    with np.load(rebuilt) as new, np.load(builtin.DIGITS_FILE) as shipped:
        for key in ("images", "target", "train", "test"):
            assert np.array_equal(new[key], shipped[key]), key
    digits = data.load("digits")
    sk = load_digits()
    expected = torch.from_numpy(sk.images / 16.0).float().unsqueeze(1)
    assert len(digits.train_x) + len(digits.test_x) == len(expected)
    with np.load(builtin.DIGITS_FILE) as shipped:
        expected = expected[torch.from_numpy(shipped["test"])]
        assert torch.equal(digits.test_x, data.to_pixels(expected))
        assert torch.equal(digits.test_y, torch.from_numpy(sk.target[shipped["test"]]).long())
