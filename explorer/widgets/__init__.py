"""Widgets and image helpers the panels and the training dock share; they know no panel.

`images` (arrays to images, tiles, PNG/GIF), `image_view` (the two image views), `canvas`
(the damage canvas), `plotting` (class colours, scatter maps, image labels), `job_status`
(a background job's status line), `spin_boxes` (numbers that span decades), `image_io`
(any image file as a model input).
"""

from explorer.widgets.spin_boxes import ScientificSpinBox  # what explorer.training.form imports

__all__ = ["ScientificSpinBox"]
