"""The latent map's maths, plain numpy and torch (no Qt): the map's place in the code space
(`MapSpace`), and the heavy part a background job runs: encode the test split, fit the map's
axes, decode the grid.

The PCA is numpy's SVD of the centred codes (what scikit-learn's PCA computes), so the map
never imports scikit-learn and SciPy (900 modules) into the window.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from explorer.session import model_from, to_images
from explorer.widgets.images import tile
from trainer.data.base import as_float

ENCODE_CHUNK = 1024  # test examples per batch (and per cancellation check)


@dataclass
class Axes:
    """The map's affine view of the code space: xy = (z - center) @ basis.T."""

    center: np.ndarray  # [D]
    basis: np.ndarray  # [2, D], orthonormal rows
    labels: tuple[str, str]
    variance: np.ndarray | None = None  # PCA: the share of variance along each axis


def project(codes: np.ndarray, pca: bool, dims: tuple[int, int], previous=None) -> Axes:
    """The identity for 2-d codes (a 1-d code is the x axis, y = 0); else the top two
    principal directions of `codes` (signs kept towards `previous`, so the map doesn't flip
    as training goes on), or two chosen code dimensions (0-based `dims`)."""
    size = codes.shape[1]
    if size <= 2:
        return Axes(np.zeros(size, np.float32), plane(size), ("z1", "z2" if size == 2 else ""))
    if not pca:
        i, j = dims
        basis = np.eye(size, dtype=np.float32)[[i, j]]
        return Axes(np.zeros(size, np.float32), basis, (f"z{i + 1}", f"z{j + 1}"))
    center = codes.mean(0).astype(np.float32)
    _, s, vt = np.linalg.svd(codes - center, full_matrices=False)
    basis = vt[:2].astype(np.float32)
    if previous is not None and previous.shape == basis.shape:
        basis *= np.where((basis * previous).sum(1) < 0, -1, 1)[:, None]
    total = float((s**2).sum()) or 1.0
    variance = (s[:2] ** 2) / total
    labels = tuple(f"PC{k + 1} ({v:.0%} of variance)" for k, v in enumerate(variance))
    return Axes(center, basis, labels, variance)


def plane(size: int) -> np.ndarray:
    """The map's first two code axes [2, size]: for a 1-d code, the code and nothing."""
    return np.eye(2, size, dtype=np.float32)


class MapSpace:
    """Where the map lies in the code space: the test codes and their map positions, the axes
    (an orthonormal `basis` through `center`) and the held code. The map's plane goes through
    `origin`, the held code minus its in-plane part: `xy = (z - origin) @ basis.T` and a map
    point lifts back as `z = origin + xy @ basis`, the other directions held."""

    def __init__(self, size: int) -> None:
        self.codes: np.ndarray | None = None  # [N_test, D]
        self.xy: np.ndarray | None = None  # [N_test, 2]
        self.components = self.variance = None  # the last PCA axes (signs kept across refits)
        self.center = np.zeros(size, np.float32)
        self.basis = plane(size)
        self.hold(np.zeros(size, np.float32), "zero")

    @property
    def size(self) -> int:
        return self.basis.shape[1]

    def hold(self, z: np.ndarray, name: str) -> None:
        """Hold the directions off the map at `z` (called `name` in the description)."""
        self.held, self.held_name = z.astype(np.float32), name
        self.origin = self.held - ((self.held - self.center) @ self.basis.T) @ self.basis

    def set_axes(self, axes: Axes, xy: np.ndarray | None = None) -> None:
        """View the codes through `axes` (xy: their map positions, if already computed)."""
        self.center, self.basis = axes.center, axes.basis
        if axes.variance is not None:
            self.components, self.variance = axes.basis, axes.variance
        self.hold(self.held, self.held_name)
        self.xy = (self.codes - self.center) @ self.basis.T if xy is None else xy

    def to_map(self, z: np.ndarray) -> np.ndarray:
        return (z - self.origin) @ self.basis.T

    def lift(self, xy) -> np.ndarray:
        return self.origin + np.asarray(xy, np.float32) @ self.basis

    def describe(self, pca: bool) -> str:
        """What the map's axes are and where the other directions are held."""
        size, name = self.size, self.held_name
        if self.codes is None:
            return "Encoding the test split…"
        if size == 1:
            return "The x axis is the 1-d code itself; y means nothing (every dot is at 0)."
        if size == 2:
            return "The axes are the 2-d code itself: every position on the map is a code."
        if pca:
            return (
                f"PCA projection of the {size}-d codes (the axes keep "
                f"{self.variance.sum():.0%} of their variance). The point is lifted back into "
                f"the code space with the inverse PCA; the other {size - 2} directions are "
                f"held at {name}."
            )
        return f"Two of the {size} code dimensions; the other {size - 2} are held at {name}."


class Replica:
    """A model of the job's own, so the GUI's display copy is never read while it changes:
    built once per architecture, then given each snapshot's weights."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # a replaced job may still be finishing on another thread
        self._config = self._model = None

    def run(self, config, state: dict, fn):
        """fn(model) with `state` loaded into this replica."""
        with self._lock, torch.no_grad():
            if self._model is None or self._config != config:
                self._model, self._config = model_from(config, state), config
            else:
                self._model.load_state_dict(state)
            return fn(self._model)


def encode(model, x: torch.Tensor, report) -> np.ndarray:
    """Codes of `x` [N, D] float32, a chunk at a time; report(fraction) between chunks."""
    parts = []
    for i in range(0, len(x), ENCODE_CHUNK):
        report(i / max(len(x), 1))
        batch = as_float(torch.as_tensor(x[i : i + ENCODE_CHUNK]))  # uint8 pixels: floats
        parts.append(model.encode(batch).numpy())
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, model.code_size))


def grid_codes(view, size_px, n: int, origin: np.ndarray, basis: np.ndarray):
    """Codes of a grid of square cells (n along the shorter side) over the visible `view`
    ((x0, x1), (y0, y1)) of a `size_px` (w, h) plot, top row first: (codes, columns)."""
    (x0, x1), (y0, y1) = view
    w, h = max(size_px[0], 1.0), max(size_px[1], 1.0)
    cell = min(w, h) / n
    nx, ny = max(1, round(w / cell)), max(1, round(h / cell))
    xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    ys = y1 - (np.arange(ny) + 0.5) * (y1 - y0) / ny
    xy = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2).astype(np.float32)
    return origin + xy @ basis, nx


def grid_mosaic(model, codes: np.ndarray, columns: int) -> np.ndarray:
    """The decoded grid as one image, row 0 at the bottom (the map's y points up)."""
    images = to_images(model.decode(torch.as_tensor(codes, dtype=torch.float32)))
    return np.ascontiguousarray(tile(images, cols=columns, pad=1, fill=0.2)[::-1])


def errors(model, x: torch.Tensor, codes: np.ndarray, report) -> np.ndarray:
    """Reconstruction error of each example, MSE per pixel of decode(code) against x [N]."""
    out = []
    for i in range(0, len(x), ENCODE_CHUNK):
        report(i / max(len(x), 1))
        batch = as_float(torch.as_tensor(x[i : i + ENCODE_CHUNK]))
        recon = model.decode(torch.as_tensor(codes[i : i + ENCODE_CHUNK]))
        out.append((recon - batch).pow(2).flatten(1).mean(1).numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)
