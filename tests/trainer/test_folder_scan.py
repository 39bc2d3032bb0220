"""`folder.scan` says what a folder holds from the files' headers: count, sizes, colour."""

from __future__ import annotations

import pytest
from PIL import Image

from trainer.data import DatasetError
from trainer.data.folder import scan


def _save(path, mode, size, colour):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)


def test_scan_counts_images_sizes_and_colour(tmp_path):
    root = tmp_path / "pets"
    for i in range(3):
        _save(root / "cats" / f"{i}.png", "RGB", (28, 28), (200, 30, 30))
        _save(root / "dogs" / f"{i}.jpg", "RGB", (28, 28), (30, 30, 200))
    (root / "dogs" / "notes.txt").write_text("not an image")
    _save(root / ".hidden" / "x.png", "RGB", (5, 5), 0)
    found = scan(root)
    assert (found.images, found.unreadable, found.colour) == (6, 1, 6)
    assert found.classes == ["cats", "dogs"]
    dot = " \u00b7 "
    assert found.describe() == dot.join(
        ["6 images", "28x28", "colour", "2 classes", "1 other file skipped"]
    )


def test_scan_reads_headers_only_and_tells_grey_palettes_from_colour(tmp_path):
    _save(tmp_path / "a.png", "L", (40, 30), 128)
    grey_palette = Image.new("L", (40, 30), 10).convert("P")  # a palette of greys
    grey_palette.save(tmp_path / "b.png")
    colour_palette = Image.new("RGB", (8, 8), (250, 0, 0)).convert("P", palette=Image.ADAPTIVE)
    colour_palette.save(tmp_path / "c.png")
    whole = (tmp_path / "a.png").read_bytes()
    (tmp_path / "d.png").write_bytes(whole[: len(whole) // 2])  # pixels cut off, header kept
    found = scan(tmp_path)
    assert found.images == 4  # the cut-off file's header is whole: its pixels are not decoded
    assert found.colour == 1 and found.colour_text() == "1 colour, the rest grey"
    assert found.sizes[(40, 30)] == 3 and found.size_text() == "sizes from 8x8 to 40x30, most 40x30"


def test_scan_of_a_missing_folder_says_so(tmp_path):
    with pytest.raises(DatasetError, match="is not an existing folder"):
        scan(tmp_path / "nowhere")
    reports = []
    assert scan(tmp_path, reports.append).images == 0 and reports == []
