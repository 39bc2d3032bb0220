"""Small images shown large: sharp square pixels by default, smooth ones with the View
menu's "Smooth image scaling" (kept between starts), never on the canvas a person paints
on; each view's tooltip gives the images' true size."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from explorer.widgets.image_view import ImageView, PixelView, scaling
from explorer.widgets.plotting import image_label

FAST, SMOOTH = Qt.TransformationMode.FastTransformation, Qt.TransformationMode.SmoothTransformation
CHECKER = (np.indices((8, 8)).sum(0) % 2).astype(np.float32)  # black and white pixels


@pytest.fixture(autouse=True)
def _sharp_after():
    yield
    scaling().set_smooth(False)  # one Scaling for the app: the next test starts sharp


def _greys(widget, qtbot) -> int:
    """How many grey levels the widget draws (sharp pixels of a checkerboard: few)."""
    qtbot.wait(5)
    image = widget.grab().toImage()
    w, h = image.width(), image.height()
    centre = image.copy(w // 4, h // 4, w // 2, h // 2)  # inside the image, no frame
    values = {centre.pixelColor(x, y).red() for x in range(centre.width())
              for y in range(centre.height())}  # fmt: skip
    return len(values)


def test_the_view_toggle_switches_the_displays_but_not_the_canvas(window, qtbot):
    toggle = window.actions_by_name["smooth"]
    assert toggle.isCheckable() and not toggle.isChecked()
    assert toggle in window.menuBar().actions()[2].menu().actions()  # the View menu
    samples = window.panel("samples")
    denoise = window.panel("denoise")
    views = [samples.view, denoise.clean_view]
    assert all(v.transformation_mode() == FAST for v in views)
    assert denoise.canvas.transformation_mode() == FAST
    toggle.trigger()
    assert toggle.isChecked() and scaling().smooth
    assert all(v.transformation_mode() == SMOOTH for v in views)
    assert denoise.canvas.transformation_mode() == FAST  # pixels a person paints stay sharp
    toggle.trigger()
    assert all(v.transformation_mode() == FAST for v in views)


def test_smooth_scaling_really_blends_the_pixels(qtbot):
    view, pixels = ImageView(min_side=160), PixelView(side=160)
    for widget in (view, pixels):
        qtbot.addWidget(widget)
        widget.resize(160, 160)
        widget.show()
        widget.set_image(CHECKER)
    label = image_label(CHECKER, 64)
    qtbot.addWidget(label)
    sharp = [_greys(view, qtbot), _greys(pixels, qtbot)]
    sharp_label = label.pixmap().toImage()
    assert max(sharp) <= 3, sharp
    scaling().set_smooth(True)
    smooth = [_greys(view, qtbot), _greys(pixels, qtbot)]
    assert min(smooth) > 10, smooth  # in-between greys where black meets white
    assert label.pixmap().toImage() != sharp_label  # the label redrew itself
    assert label.pixmap().size() == sharp_label.size()


def test_the_choice_is_kept_between_starts(window, make_window):
    window.actions_by_name["smooth"].setChecked(True)
    window.close()
    scaling().set_smooth(False)
    again = make_window(show=False)
    assert again.actions_by_name["smooth"].isChecked() and scaling().smooth


def test_views_say_the_true_size_of_their_images(window):
    samples = window.panel("samples")
    samples.refresh()
    assert "Each image is 8 x 8 px, grey" in samples.view.toolTip()
    denoise = window.panel("denoise")
    assert "8 x 8 px" in denoise.clean_view.toolTip()
    view = ImageView()
    view.set_image(np.zeros((16, 12, 3), np.float32))
    assert view.toolTip().startswith("The image is 12 x 16 px, colour")
