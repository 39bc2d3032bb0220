"""The denoise panel's widgets and layout: banner, images, and Image/Paint/Noise/Output boxes
(the Noise box is a widget of its own, `noise.NoiseBox`), built as the Colourise panel's are.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
)

from explorer.panels.denoise.noise import NoiseBox
from explorer.widgets.canvas import TOOLS, DamageCanvas
from explorer.widgets.image_view import PixelView
from explorer.widgets.layouts import banner_frame, button


def slider(low: int, high: int, value: int, name: str) -> QSlider:
    widget = QSlider(Qt.Orientation.Horizontal, objectName=name)
    widget.setRange(low, high)
    widget.setValue(value)
    return widget


def labelled(widget: QSlider, text) -> QHBoxLayout:
    """The slider with its value, as text(value), to its right."""
    label = QLabel(text(widget.value()), minimumWidth=56)
    widget.valueChanged.connect(lambda v: label.setText(text(v)))
    row = QHBoxLayout()
    row.addWidget(widget, 1)
    row.addWidget(label)
    return row


def banner(panel) -> QFrame:
    """Shown for a model not trained to denoise: what that means and what to do."""
    frame = panel.banner = banner_frame("denoiseBanner")
    panel.banner_text = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
    panel.bundled_check = QCheckBox("Repair with the bundled denoiser", objectName="bundledCheck")
    panel.bundled_check.setToolTip("Show what a denoising autoencoder trained on this data does")
    panel.bundled_check.toggled.connect(panel.use_bundled)
    panel.train_button = button(
        "Train a denoising model like this one",
        panel.train_denoising,
        "Same shape and settings, objective denoising, this noise",
    )
    row = QHBoxLayout(frame)
    row.addWidget(panel.banner_text, 1)
    row.addWidget(panel.bundled_check)
    row.addWidget(panel.train_button)
    return frame


def source_box(panel) -> QGroupBox:
    box = QGroupBox("Image")
    panel.index_spin = QSpinBox(objectName="denoiseIndex", prefix="test image ")
    panel.index_spin.setToolTip("Which test image to damage and repair")
    panel.index_spin.valueChanged.connect(panel.show_test_image)
    grid = QGridLayout(box)
    grid.addWidget(panel.index_spin, 0, 0, 1, 2)
    buttons = [
        ("Next", panel.next_image, "The next test image"),
        ("Random", panel.random_image, "A random test image"),
        ("Open…", panel.open_dialog, "Open an image file (or drop one on the canvas)"),
        ("Blank", panel.blank, "Start from a black image and paint your own"),
        ("Invert", panel.invert, "Swap dark and light (digits are light on dark)"),
    ]
    for i, (text, slot, tip) in enumerate(buttons):
        grid.addWidget(button(text, slot, tip), 1 + i // 2, i % 2)
    grid.setRowStretch(4, 1)
    return box


def paint_box(panel) -> QGroupBox:
    box = QGroupBox("Paint and stamp")
    canvas = panel.canvas  # made by images()
    tools = QHBoxLayout()
    panel.tool_group = QButtonGroup(panel)
    for i, tool in enumerate(TOOLS):
        tool_button = QToolButton(text=tool.capitalize(), checkable=True, checked=i == 0)
        tool_button.setToolTip(
            (
                "Paint with the ink",
                "Rub the damage off: back to clean",
                "Click the canvas to stamp the text there",
            )[i]
        )
        panel.tool_group.addButton(tool_button, i)
        tools.addWidget(tool_button)
    panel.tool_group.idClicked.connect(lambda i: panel.set_tool(TOOLS[i]))
    panel.size_slider = slider(1, 4, 1, "brushSizeSlider")
    panel.size_slider.setToolTip("The brush's diameter in image pixels")
    panel.size_slider.valueChanged.connect(lambda v: setattr(canvas, "brush_size", float(v)))
    panel.ink_slider = slider(0, 100, 100, "inkSlider")
    panel.ink_slider.setToolTip("The brush's brightness: 0 % black, 100 % white")
    panel.ink_slider.valueChanged.connect(lambda v: panel.set_ink([v / 100]))
    panel.colour_button = button("Colour…", panel.pick_colour, "The brush and stamp colour")
    panel.text_edit = QLineEdit("AE", objectName="watermarkText", placeholderText="watermark")
    panel.text_edit.setToolTip("The text the Stamp button and the Text tool put on the image")
    panel.text_edit.textChanged.connect(lambda text: setattr(canvas, "text", text))
    panel.opacity_slider = slider(0, 100, 70, "watermarkOpacity")
    panel.opacity_slider.setToolTip("How opaque the stamped text is")
    panel.opacity_slider.valueChanged.connect(lambda v: setattr(canvas, "text_opacity", v / 100))
    stamp = QHBoxLayout()
    stamp.addWidget(panel.text_edit)
    stamp.addWidget(
        button(
            "Stamp",
            lambda: canvas.stamp_text(),
            "Stamp the text in the middle (or pick Text and click the canvas)",
        )
    )
    edit = QHBoxLayout()
    panel.undo_button = button("Undo", canvas.undo, "Undo the last stroke or stamp (Ctrl+Z)")
    edit.addWidget(panel.undo_button)
    edit.addWidget(button("Clear", canvas.clear, "Remove every stroke and stamp"))
    form = QFormLayout(box)
    form.addRow(tools)
    form.addRow("Size", labelled(panel.size_slider, lambda v: f"{v} px"))
    panel.ink_row = labelled(panel.ink_slider, lambda v: f"{v} %")
    form.addRow("Ink", panel.ink_row)
    form.addRow("Ink", panel.colour_button)
    form.addRow("Text", stamp)
    form.addRow("Opacity", labelled(panel.opacity_slider, lambda v: f"{v} %"))
    form.addRow(edit)
    panel.paint_form = form
    return box


def output_box(panel) -> QGroupBox:
    box = QGroupBox("Output")
    panel.diff_check = QCheckBox("Show difference", objectName="differenceCheck")
    panel.diff_check.setToolTip("Show where the repaired image differs from the clean one")
    panel.diff_check.toggled.connect(panel.show_difference)
    column = QVBoxLayout(box)
    column.addWidget(panel.diff_check)
    for kind in ("repaired", "damaged"):
        column.addWidget(
            button(f"Save {kind}…", lambda k=kind: panel.save_dialog(k), f"Save the {kind} image")
        )
    column.addStretch(1)
    return box


def images(panel) -> QGridLayout:
    """Clean, damaged (the canvas), repaired and difference, each with a title and a caption."""
    panel.clean_view, panel.out_view, panel.diff_view = PixelView(), PixelView(), PixelView()
    panel.canvas = DamageCanvas()
    panel.canvas.setToolTip("Paint, erase or stamp with the mouse; drop an image file to use it")
    panel.noisy_psnr, panel.out_psnr, panel.out_title = QLabel(), QLabel(), QLabel()
    grid = QGridLayout()
    columns = [
        (QLabel("Clean"), panel.clean_view, QLabel()),
        (QLabel("Damaged (paint here)"), panel.canvas, panel.noisy_psnr),
        (panel.out_title, panel.out_view, panel.out_psnr),
        (QLabel("Difference |repaired − clean|"), panel.diff_view, QLabel()),
    ]
    for col, widgets in enumerate(columns):
        grid.setColumnStretch(col, 1)
        for row, widget in enumerate(widgets):
            grid.addWidget(widget, row, col)
            if isinstance(widget, QLabel):
                widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
                widget.setWordWrap(True)
                widget.setStyleSheet("font-weight: bold;" if row == 0 else "")
    panel.diff_widgets = columns[3]
    panel.source_label = QLabel(wordWrap=True, objectName="denoiseSource")
    panel.message = QLabel(wordWrap=True, objectName="denoiseMessage")
    grid.addWidget(panel.source_label, 3, 0, 1, 4)
    grid.addWidget(panel.message, 4, 0, 1, 4)
    grid.setRowStretch(1, 1)  # the images take the spare height
    return grid


def layout(panel) -> None:
    """The banner on top, the images, then the boxes of controls in a row."""
    column = QVBoxLayout(panel)
    column.setContentsMargins(6, 4, 6, 4)  # fits its tab at 1280x800
    column.addWidget(banner(panel))
    column.addLayout(images(panel), 1)
    boxes = QHBoxLayout()
    panel.noise_box = NoiseBox()
    for box in (source_box(panel), paint_box(panel), panel.noise_box, output_box(panel)):
        boxes.addWidget(box)
    column.addLayout(boxes)
