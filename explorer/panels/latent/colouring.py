"""What the latent map's colours mean, its "Colour by" choice: the test labels, k-means
clusters of the codes (the Clusters tab's when it shared them, else the map's own), or bins
of the reconstruction error. The map's key names what is shown. Qt-free but for the colours.
"""

from __future__ import annotations

import numpy as np

from explorer.widgets.plotting import colour_ramp

MODES = (  # (data, the combo's text, its tooltip)
    ("label", "label", "Each dot in the colour of its test example's label"),
    ("cluster", "k-means cluster",
     "Clusters of the codes: the Clusters tab's (its k) once it ran, else k-means with one "
     "cluster per label, computed here"),
    ("error", "reconstruction error",
     "How badly the model reconstructs each example (MSE per pixel), in six equal-count bins "
     "from dark (small) to light (large)"),
)  # fmt: skip
ERROR_BINS = 6


class Colouring:
    """The chosen colouring and what it needs: cluster ids and errors are kept with the codes
    version they were computed for; a stale one is shown until the new one arrives."""

    def __init__(self) -> None:
        self.mode = "label"
        self.shared = None  # cluster ids from the Clusters tab (session.clustersChanged)
        self._own = self._errors = None  # (codes version, values)

    def reset(self) -> None:
        """A new model: nothing computed fits it."""
        self.shared = self._own = self._errors = None

    def needs(self, version: int) -> str | None:
        """What a job must compute for this colouring at codes `version`: "clusters",
        "errors" or None."""
        if self.mode == "cluster" and self.shared is None:
            return None if self._own and self._own[0] >= version else "clusters"
        if self.mode == "error":
            return None if self._errors and self._errors[0] >= version else "errors"
        return None

    def store(self, kind: str, version: int, values: np.ndarray) -> None:
        if kind == "clusters":
            self._own = (version, np.asarray(values))
        else:
            self._errors = (version, np.asarray(values, np.float64))

    def scheme(self, labels: np.ndarray, classes) -> tuple:
        """(ids per dot, names by id, colours by id or None for the palette, the key's title)."""
        if self.mode == "cluster":
            ids = self.shared if self.shared is not None else self._own and self._own[1]
            if ids is not None:
                source = "the Clusters tab" if self.shared is not None else "k-means here"
                names = {v: f"cluster {v}" for v in np.unique(ids)}
                return ids, names, None, f"Colour = cluster ({source}, k = {len(names)}):"
        if self.mode == "error" and self._errors is not None:
            return error_bins(self._errors[1])
        waiting = "" if self.mode == "label" else " (computing the " + self.mode + "s…)"
        return labels, classes, None, f"Colour = label{waiting}:"


def error_bins(errors: np.ndarray) -> tuple:
    """Six bins of equal count (fewer when errors tie), named by their error ranges."""
    edges = np.unique(np.quantile(errors, np.linspace(0, 1, ERROR_BINS + 1)))
    if len(edges) < 2:
        edges = np.array([edges[0], edges[0]])
    ids = np.clip(np.searchsorted(edges[1:-1], errors, side="right"), 0, len(edges) - 2)
    names = [f"{lo:.2g}–{hi:.2g}" for lo, hi in zip(edges[:-1], edges[1:])]
    return ids, names, colour_ramp(len(names)), "Colour = reconstruction error (MSE per pixel):"
