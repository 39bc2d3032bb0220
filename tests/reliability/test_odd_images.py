"""Images of every odd size and mode, and folders that hold none, through the folder dataset
and the denoise panel's Open: read correctly, or refused in one sentence."""

from __future__ import annotations

import os

import numpy as np
import oddimages
import pytest
import torch
from support import assert_sentence, bounded

from trainer import data
from trainer.data import DatasetError


def torch_cat(ds) -> torch.Tensor:
    """Every image of ds as floats in [0, 1] (they are stored as uint8)."""
    assert ds.train_x.dtype == torch.uint8
    return data.as_float(torch.cat([ds.train_x, ds.test_x]))


@pytest.mark.parametrize("grey", [True, False])
def test_every_mode_and_size_is_read_by_the_folder_dataset(tmp_path, grey):
    paths = oddimages.write_all(tmp_path / "odd")
    ds = data.load(f"folder:{tmp_path / 'odd'}", size=8, grey=grey)
    x = torch_cat(ds)
    assert ds.skipped == 0 and len(x) == len(paths)
    assert ds.shape == ((1, 8, 8) if grey else (3, 8, 8))
    assert bool(x.isfinite().all()) and float(x.min()) >= 0 and float(x.max()) <= 1


def test_wide_grey_images_use_their_range_instead_of_saturating(tmp_path):
    """16-bit and 32-bit grey are scaled to [0, 1], not clipped at 255 into a white square."""
    folder = tmp_path / "wide"
    folder.mkdir()
    for mode in ("I;16", "I", "F", "L"):
        name = f"{mode.replace(';', '_')}.{oddimages.MODES[mode]}"
        oddimages.make(mode, (40, 40), seed=1).save(folder / name)
    ds = data.load(f"folder:{folder}", size=8, grey=True)
    means = torch_cat(ds).mean(dim=(1, 2, 3))
    assert bool(((means > 0.3) & (means < 0.7)).all()), means  # uniform noise averages to 1/2


def test_awkward_content_is_finite(tmp_path):
    oddimages.write_special(tmp_path / "special")
    oddimages.make("L", (8, 8)).save(tmp_path / "special" / "plain.png")
    ds = data.load(f"folder:{tmp_path / 'special'}", size=8)
    x = torch_cat(ds)
    assert ds.skipped == 0 and bool(x.isfinite().all()) and 0 <= float(x.min()) <= 1


def test_folders_without_usable_images_are_one_sentence(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    oddimages.write_junk(tmp_path / "junk")
    loop = tmp_path / "loop"
    loop.mkdir()
    (loop / "again").symlink_to(loop, target_is_directory=True)  # a folder that contains itself
    (loop / "file.png").write_bytes(b"junk")
    fifo = tmp_path / "pipe"
    fifo.mkdir()
    os.mkfifo(fifo / "image.png")  # reading it would wait for a writer forever
    for folder, expected in [
        (empty, "0 readable images"),
        (tmp_path / "junk", "0 readable images (5 unreadable files)"),
        (loop, "0 readable images"),
        (fifo, "0 readable images"),
        (tmp_path / "nowhere", "is not an existing folder"),
        (tmp_path / "junk" / "notes.txt", "is not an existing folder"),
    ]:
        _, error = bounded(data.load, f"folder:{folder}")
        assert isinstance(error, DatasetError), f"{folder.name}: {error!r}"
        assert expected in str(error) and "digits or shapes" in str(error)
        assert_sentence(str(error))


def test_unknown_dataset_names_are_one_sentence():
    for name in ["mnits", "", "DIGITS", "folder", "../digits", "digits\0"]:
        _, error = bounded(data.load, name)
        assert isinstance(error, DatasetError), f"{name!r}: {error!r}"
        assert_sentence(str(error))


def test_denoise_panel_opens_every_odd_image_or_says_why(window, tmp_path):
    panel = window.panel("denoise")
    window.tabs.setCurrentWidget(panel)
    odd = oddimages.write_all(tmp_path / "odd") + list(
        oddimages.write_special(tmp_path / "special").values()
    )
    for path in odd:
        assert panel.open_image(path), f"{path.name}: {panel.message.text()}"
        for image in (panel.canvas.clean, panel.corrupted(), panel.denoised()):
            assert image.shape[:2] == (8, 8), path.name
            assert bool(np.isfinite(image).all()) and image.min() >= 0 and image.max() <= 1
    before = panel.canvas.clean.copy()
    junk = oddimages.write_junk(tmp_path / "junk") + [tmp_path / "missing.png", tmp_path]
    for path in junk:
        assert not panel.open_image(path), path.name
        text = panel.message.text()
        assert path.name in text and text.rstrip("</span>").rstrip().endswith("."), text
        assert np.array_equal(panel.canvas.clean, before)
