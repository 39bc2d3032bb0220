"""A model's latent map in standard units, so two runs' maps share one region (no Qt).

Codes are standardised per dimension by the test codes' mean and standard deviation (as
trainer.analysis.regularity measures), u = (z - mean) / std. A 2-d code's map is u itself;
a 1-d code is the x axis; a larger one is projected on the top two principal directions of
u (numpy's SVD), the other directions held at the mean. So the point (1, 0) is "one
standard deviation along the first axis" in either run, whatever the scale of its codes.
"""

from __future__ import annotations

import numpy as np
import torch

from trainer.analysis.probes import encode_all

MIN_STD = 1e-8
MAX_DOTS = 2000  # test codes drawn per map


class Frame:
    """Map coordinates <-> codes of one model."""

    def __init__(self, codes: np.ndarray) -> None:
        codes = np.asarray(codes, dtype=np.float64)
        self.size = codes.shape[1]
        self.mean = codes.mean(0)
        self.std = np.maximum(codes.std(0), MIN_STD)
        u = (codes - self.mean) / self.std
        if self.size > 2:
            _, _, vt = np.linalg.svd(u - u.mean(0), full_matrices=False)
            self.basis = vt[:2]
        else:
            self.basis = np.eye(self.size)  # 1-d: the x axis (see to_map); 2-d: u itself
        self.xy = self.to_map(codes)

    def to_map(self, codes: np.ndarray) -> np.ndarray:
        u = (np.atleast_2d(codes) - self.mean) / self.std
        if self.size == 1:
            return np.column_stack([u[:, 0], np.zeros(len(u))])
        return u @ self.basis.T

    def lift(self, xy: np.ndarray) -> np.ndarray:
        """Codes [N, D] (float32) at map points [N, 2]."""
        xy = np.atleast_2d(np.asarray(xy, dtype=np.float64))
        u = xy[:, :1] if self.size == 1 else xy @ self.basis
        return (self.mean + self.std * u).astype(np.float32)


def map_of(model, dataset, seed: int = 0) -> dict:
    """What one map draws: the frame, up to MAX_DOTS dots and their labels (off the GUI
    thread)."""
    with torch.no_grad():
        codes = encode_all(model, model.inputs_for(dataset.test_x))
    frame = Frame(codes)
    n = len(codes)
    keep = np.arange(n)
    if n > MAX_DOTS:
        keep = np.sort(np.random.default_rng(seed).choice(n, MAX_DOTS, replace=False))
    return {"frame": frame, "xy": frame.xy[keep], "ids": dataset.test_y.numpy()[keep]}


def grid_codes(frame: Frame, view_range, n: int) -> tuple[np.ndarray, int, int]:
    """Codes at the centres of an n x m grid of cells over `view_range` ((x0, x1), (y0, y1)),
    bottom row first; (codes, rows, columns)."""
    (x0, x1), (y0, y1) = view_range
    cols, rows = n, n
    xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
    ys = y0 + (np.arange(rows) + 0.5) * (y1 - y0) / rows
    gx, gy = np.meshgrid(xs, ys)
    return frame.lift(np.column_stack([gx.ravel(), gy.ravel()])), rows, cols


def mosaic(images: np.ndarray, rows: int, cols: int, fill: float = 0.35) -> np.ndarray:
    """Decoded cells [rows * cols, H, W(, C)], bottom row first, as one row-major image whose
    row 0 is drawn lowest (pyqtgraph's y-up view): each cell flipped upright, a 1 px grey line
    above and to its right so the cells read apart."""
    images = np.asarray(images)[:, ::-1]
    extra = [(0, 0)] * (images.ndim - 3)
    images = np.pad(images, [(0, 0), (0, 1), (0, 1), *extra], constant_values=fill)
    h, w = images.shape[1:3]
    grid = images.reshape(rows, cols, h, w, *images.shape[3:])
    grid = np.moveaxis(grid, 2, 1)  # rows, h, cols, w, ...
    return grid.reshape(rows * h, cols * w, *images.shape[3:])
