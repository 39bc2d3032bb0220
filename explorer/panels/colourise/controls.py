"""The Colourise panel's widgets and layout: the banner, the three images, the controls.

Each builder makes widgets, keeps them on the panel under plain names and wires them to the
panel's methods, so the buttons and the Python methods share one code path.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
)

from explorer.widgets.image_view import PixelView
from explorer.widgets.layouts import banner_frame, button

RED, GREEN = "#b00020", "#1b7f3b"
TITLES = ("Grey input (what the model sees)", "The model's colours", "Truth")


def banner(panel) -> QFrame:
    """Shown for a model that was not trained to colourise: what that means and what to do."""
    frame = panel.banner = banner_frame("colouriseBanner")
    panel.banner_text = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
    panel.bundled_check = QCheckBox(
        "Colour with the bundled colouriser", objectName="bundledColouriserCheck"
    )
    panel.bundled_check.setToolTip(
        "Show what a conv colouriser trained on the colour shapes does (on its own test images)"
    )
    panel.bundled_check.toggled.connect(panel.use_bundled)
    panel.train_button = button(
        "Train a colouriser", panel.train_colouriser, "", objectName="trainColouriserButton"
    )
    panel.open_bundled_button = button(
        "Open the bundled colouriser",
        panel.open_bundled,
        "Make the bundled colouriser the current model (every panel shows it)",
        objectName="openColouriserButton",
    )
    row = QHBoxLayout(frame)
    row.addWidget(panel.banner_text, 1)
    column = QVBoxLayout()
    column.addWidget(panel.bundled_check)
    buttons = QHBoxLayout()
    buttons.addWidget(panel.train_button)
    buttons.addWidget(panel.open_bundled_button)
    column.addLayout(buttons)
    row.addLayout(column)
    return frame


def images(panel) -> QGridLayout:
    """Grey input, the model's colours and the truth, each with a title and a caption."""
    panel.views = [PixelView(side=260) for _ in TITLES]
    panel.titles = [QLabel(text) for text in TITLES]
    panel.captions = [QLabel() for _ in TITLES]
    grid = QGridLayout()
    for col, (title, view, caption) in enumerate(zip(panel.titles, panel.views, panel.captions)):
        grid.setColumnStretch(col, 1)
        for row, widget in enumerate((title, view, caption)):
            grid.addWidget(widget, row, col)
        for label in (title, caption):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        title.setStyleSheet("font-weight: bold;")
    panel.views[1].setToolTip("Drop an image file here (or anywhere on the panel) to colour it")
    panel.source_label = QLabel(wordWrap=True, objectName="colouriseSource")
    panel.message = QLabel(wordWrap=True, objectName="colouriseMessage")
    grid.addWidget(panel.source_label, 3, 0, 1, 3)
    grid.addWidget(panel.message, 4, 0, 1, 3)
    grid.setRowStretch(1, 1)
    return grid


def source_box(panel) -> QGroupBox:
    box = QGroupBox("Image")
    panel.index_spin = QSpinBox(objectName="colouriseIndex", prefix="test image ")
    panel.index_spin.setToolTip("Which image of the test split to colour")
    panel.index_spin.valueChanged.connect(panel.show_test)
    row = QHBoxLayout(box)
    row.addWidget(panel.index_spin)
    for text, slot, tip in (
        ("Previous", panel.previous_image, "The previous test image"),
        ("Next", panel.next_image, "The next test image"),
        ("Random", panel.random_image, "A random test image"),
        ("Open image…", panel.open_dialog, "Colour an image file of any size (or drop one)"),
    ):
        row.addWidget(button(text, slot, tip))
    return box


def output_box(panel) -> QGroupBox:
    box = QGroupBox("Result")
    panel.save_button = button(
        "Save colours as PNG…", panel.save_dialog, "The model's colours at the model's size"
    )
    row = QHBoxLayout(box)
    row.addWidget(panel.save_button)
    return box


def layout(panel) -> None:
    """The banner and the job line on top, the images, then the controls in a row."""
    column = QVBoxLayout(panel)
    column.addWidget(banner(panel))
    column.addWidget(panel.job)
    column.addLayout(images(panel), 1)
    boxes = QHBoxLayout()
    boxes.addWidget(source_box(panel), 3)
    boxes.addWidget(output_box(panel), 1)
    column.addLayout(boxes)


def _db(value: float) -> str:
    return "identical" if value == float("inf") else f"{value:.1f} dB"


def show_psnrs(panel, p: dict, known: bool) -> None:
    """The captions: each image's PSNR against the truth (none when it is unknown)."""
    if not p:
        panel.captions[0].setText("")
        panel.captions[1].setText("")
        panel.captions[2].setText("" if known else "No true colours: the image is grey.")
        return
    gain = p["colour_psnr_db"] - p["grey_psnr_db"]
    colour = GREEN if gain > 0 else RED
    panel.captions[0].setText(
        f"PSNR vs truth: <b>{_db(p['grey_psnr_db'])}</b> (the baseline), "
        f"chroma {_db(p['grey_chroma_psnr_db'])}"
    )
    panel.captions[1].setText(
        f"PSNR vs truth: <b>{_db(p['colour_psnr_db'])}</b> <span style='color:{colour}'>"
        f"({gain:+.1f} dB over grey)</span>, chroma {_db(p['chroma_psnr_db'])}"
    )
    panel.captions[2].setText("The colour image the grey input was made from")
