"""What the loss plot draws from: growable point buffers, TensorBoard's smoothing, epochs.

`Series` keeps the raw points (never changed) and their smoothed values, extended only by
the points added since the last call, so a long live run smooths in O(new points).
`ema` is TensorBoard's smoothing: an exponential moving average debiased like Adam's
moments (so the first points are not pulled towards 0), non-finite values passed through.
`EpochMap` turns steps into epochs from the validation rows (the step at each epoch end),
extrapolating past the last known end with the steps per epoch seen so far; `epoch_map`
builds one from a history. `write_csv` writes the buffers out (File > Export loss history).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np


def ema(values, weight: float, last: float = 0.0, count: int = 0):
    """(smoothed values, last, count): TensorBoard's debiased exponential moving average of
    `values`, continued from the state (last, count) of the values before them."""
    out = np.empty(len(values))
    for i, value in enumerate(values):
        value = float(value)
        if not math.isfinite(value):
            out[i] = value
            continue
        last = last * weight + (1.0 - weight) * value
        count += 1
        out[i] = last / (1.0 - weight**count)
    return out, last, count


class Series:
    """x, y float buffers that double when full, and the smoothed y."""

    def __init__(self) -> None:
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.dirty = False
        self._s = np.empty(256)
        self._smoothed = 0  # points smoothed so far, with `_weight`
        self._weight = 0.0
        self._state = (0.0, 0)

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.resize(self.x, 2 * self.n)
            self.y = np.resize(self.y, 2 * self.n)
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1
        self.dirty = True

    def raw(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]

    def smoothed(self, weight: float) -> np.ndarray:
        """The y values smoothed with `weight` in [0, 1): the raw ones for 0."""
        if weight <= 0:
            return self.y[: self.n]
        if weight != self._weight:
            self._weight, self._smoothed, self._state = weight, 0, (0.0, 0)
        if len(self._s) < len(self.y):
            self._s = np.resize(self._s, len(self.y))
        if self._smoothed < self.n:
            part, *state = ema(self.y[self._smoothed : self.n], weight, *self._state)
            self._s[self._smoothed : self.n] = part
            self._state, self._smoothed = tuple(state), self.n
        return self._s[: self.n]


class EpochMap:
    """Steps to epochs: the validation rows' (step, epoch) pairs, else an estimate."""

    def __init__(self) -> None:
        self.steps: list[float] = []
        self.epochs: list[float] = []
        self.per_epoch: float | None = None  # steps per epoch estimated from the progress

    def add(self, step: float, epoch: float) -> bool:
        """Note an epoch end; True when it was new."""
        if self.steps and step <= self.steps[-1]:
            return False
        self.steps.append(float(step))
        self.epochs.append(float(epoch))
        return True

    def known(self) -> bool:
        return bool(self.steps) or bool(self.per_epoch)

    def to_epochs(self, steps: np.ndarray) -> np.ndarray:
        """Epochs (fractional) at `steps`; the steps themselves when nothing is known."""
        steps = np.asarray(steps, dtype=float)
        if not self.steps:
            return steps / self.per_epoch if self.per_epoch else steps
        xp = np.array([0.0, *self.steps])
        fp = np.array([0.0, *self.epochs])
        rate = self.per_epoch or (xp[-1] / fp[-1] if fp[-1] > 0 else 1.0)
        out = np.interp(steps, xp, fp)
        beyond = steps > xp[-1]
        out[beyond] = fp[-1] + (steps[beyond] - xp[-1]) / max(rate, 1e-12)
        return out


def epoch_map(history: dict | None) -> EpochMap:
    """The epoch ends of a history's validation rows."""
    epochs = EpochMap()
    val = (history or {}).get("val") or {}
    for step, epoch in zip(val.get("step") or [], val.get("epoch") or []):
        epochs.add(step, epoch)
    return epochs


def write_csv(series: dict[tuple[str, str], Series], path: str | Path) -> Path:
    """One row per (split, step): split, step, then every term of the (split, term) buffers
    (raw values; ".csv" added)."""
    names = sorted({name for _, name in series})
    rows: dict[tuple[str, float], dict[str, float]] = {}
    for (split, name), points in series.items():
        for x, y in zip(*points.raw()):
            rows.setdefault((split, x), {})[name] = y
    path = Path(path)
    path = path if path.suffix.lower() == ".csv" else path.with_name(path.name + ".csv")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["split", "step", *names])
        for (split, step), values in sorted(rows.items()):
            writer.writerow([split, int(step), *(values.get(n, "") for n in names)])
    return path
