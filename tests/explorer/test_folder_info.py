"""After a folder is chosen, the form says what it holds and what training reads it as."""

from __future__ import annotations

from PIL import Image

LONG = 20_000


def _folder(root, n, mode, size, colour):
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new(mode, size, colour).save(root / f"{i}.png")
    return root


def test_a_colour_folder_is_described_with_what_training_uses(window, qtbot, tmp_path):
    form = window.form
    root = _folder(tmp_path / "faces", 5, "RGB", (28, 28), (200, 100, 0))
    form.set_dataset(f"folder:{root}")
    info = form.folder_info
    qtbot.waitUntil(lambda: info.found is not None, timeout=LONG)
    assert info.isVisible() and info.toolTip()
    text = info.text()
    assert text.startswith("Found 5 images \u00b7 28x28 \u00b7 colour.")
    assert "Training reads them as 32x32 grey" in text and "not as found" in text
    assert "on 32x32 images" in form.note.text()  # the recipe is for what is read, too
    form.set_dataset("digits")
    assert not info.isVisible()


def test_a_folder_as_training_reads_it_says_so_and_an_empty_one_what_to_do(window, qtbot, tmp_path):
    form, info = window.form, window.form.folder_info
    same = _folder(tmp_path / "grey32", 3, "L", (32, 32), 90)
    form.set_dataset(f"folder:{same}")
    qtbot.waitUntil(lambda: info.found is not None, timeout=LONG)
    assert info.text() == (
        "Found 3 images \u00b7 32x32 \u00b7 grey. Training reads them as they are (32x32 grey)."
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    form.set_dataset(f"folder:{empty}")
    qtbot.waitUntil(lambda: info.found is not None, timeout=LONG)
    assert info.text().startswith("Found 0 images.") and "Add PNG or JPEG" in info.text()
    gone = tmp_path / "gone"
    form.set_dataset(f"folder:{gone}")
    qtbot.waitUntil(lambda: "is not an existing folder" in info.text(), timeout=LONG)
