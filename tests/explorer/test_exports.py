"""Exports: a name without its extension gets one, the status bar says where the file went,
dialogs start on a suggested name, and a failure is one sentence."""

from __future__ import annotations

import csv
from pathlib import Path

from PIL import Image

from explorer.widgets.exports import error_text, suggested, tell_saved, with_suffix


def test_a_name_gets_its_extension_once():
    assert with_suffix("a/strip", ".png") == Path("a/strip.png")
    assert with_suffix("a/strip.PNG", ".png") == Path("a/strip.PNG")
    assert with_suffix("a/run.v2", ".csv") == Path("a/run.v2.csv")
    assert with_suffix("a/strip.png", ".gif") == Path("a/strip.png.gif")


def test_png_gif_and_csv_without_extension_are_written_with_it(window, tmp_path):
    interpolation = window.panel("interpolation")
    interpolation.set_endpoints(1, 30)
    gif = interpolation.export_gif(tmp_path / "morph")
    png = interpolation.export_png(tmp_path / "strip")
    samples = window.panel("samples").save(tmp_path / "gallery")
    assert (gif.name, png.name, samples.name) == ("morph.gif", "strip.png", "gallery.png")
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == interpolation.frames_spin.value()
    for path in (png, samples):
        with Image.open(path) as im:
            assert im.format == "PNG"
    loss = window.loss.plot.export_csv(tmp_path / "loss")
    assert loss.name == "loss.csv"
    rows = list(csv.reader(loss.open()))
    assert rows[0][:2] == ["split", "step"] and len(rows) > 10
    assert not (tmp_path / "morph").exists() and not (tmp_path / "loss").exists()


def test_the_status_bar_says_where_and_the_next_dialog_starts_there(window, tmp_path):
    path = window.loss.plot.export_csv(tmp_path / "curves")
    text = tell_saved(window.panel("samples"), path)  # from inside a panel: its window's bar
    assert window.statusBar().currentMessage() == text
    assert text == f"Saved curves.csv to {tmp_path.resolve()}"
    assert suggested("samples.png") == str(tmp_path.resolve() / "samples.png")


def test_a_failed_export_is_one_sentence(window, tmp_path):
    interpolation = window.panel("interpolation")
    interpolation.set_endpoints(1, 2)
    target = tmp_path / "no-such-folder" / "strip"
    try:
        interpolation.export_png(target)
    except OSError as error:
        text = error_text(with_suffix(target, ".png"), error)
    else:
        raise AssertionError("a PNG was written into a folder that does not exist")
    assert text.startswith("Could not save strip.png (") and text.endswith("or name.")
    assert "\n" not in text and "Errno" not in text
