"""The model configuration: one dataclass whose fields match the command-line flags."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

from models.backbones import ACTIVATIONS, BACKBONES, NORMS
from models.corruption import parse_noise
from models.objectives import OBJECTIVES

LOSSES = ("mse", "bce")
CHANNELS = (1, 3)
MAX_SIZE = 100_000  # upper bound on code_size and hidden widths: a typo guard
MAX_SIDE = 4096  # upper bound on H and W
MAX_DEPTH = 8  # upper bound on convolutions per conv stage


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _one_of(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}.")


@dataclass
class ModelConfig:
    """What to build: a backbone crossed with an objective, and their settings.

    `hidden` is the list of layer widths for `mlp` and of channels per stride-2 stage
    for `conv`; the `linear` backbone ignores it (and `activation` and `norm`, the
    normalisation layer after each hidden layer: none, batch or group). `depth` is the
    number of convolutions per stage of the `conv` backbone and `dense` the width of its
    fully connected layer before the code (0: none); the others ignore both.
    """

    backbone: str = "mlp"
    objective: str = "ae"
    input_shape: tuple[int, int, int] = (1, 8, 8)
    code_size: int = 2
    hidden: list[int] = field(default_factory=lambda: [64, 32])
    activation: str = "relu"
    loss: str = "mse"
    noise: str = "gaussian:0.5"
    sparsity: float = 1e-3
    rho: float = 0.05
    contractive: float = 1e-3
    beta: float = 1.0
    norm: str = "none"
    depth: int = 1
    dense: int = 0

    def __post_init__(self) -> None:
        # JSON gives lists; keep the documented types so configs compare equal.
        if isinstance(self.input_shape, list):
            self.input_shape = tuple(self.input_shape)
        if isinstance(self.hidden, tuple):
            self.hidden = list(self.hidden)

    def validate(self) -> None:
        """Raise ValueError with one sentence naming the field and the allowed values."""
        _one_of("backbone", self.backbone, tuple(BACKBONES))
        _one_of("objective", self.objective, tuple(OBJECTIVES))
        shape = self.input_shape
        if (
            not isinstance(shape, tuple)
            or len(shape) != 3
            or not all(_is_int(n) and 1 <= n <= MAX_SIDE for n in shape)
            or shape[0] not in CHANNELS
        ):
            raise ValueError(
                f"input_shape must be (C, H, W) with C 1 or 3 and H, W whole numbers from 1 to "
                f"{MAX_SIDE}, not {shape!r}."
            )
        if not _is_int(self.code_size) or not 1 <= self.code_size <= MAX_SIZE:
            raise ValueError(
                f"code_size must be a whole number from 1 to {MAX_SIZE}, not {self.code_size!r}."
            )
        if not isinstance(self.hidden, list) or not all(
            _is_int(n) and 1 <= n <= MAX_SIZE for n in self.hidden
        ):
            raise ValueError(
                f"hidden must be a list of whole numbers from 1 to {MAX_SIZE}, not {self.hidden!r}."
            )
        _one_of("activation", self.activation, tuple(ACTIVATIONS))
        _one_of("loss", self.loss, LOSSES)
        _one_of("norm", self.norm, NORMS)
        if not _is_int(self.depth) or not 1 <= self.depth <= MAX_DEPTH:
            raise ValueError(
                f"depth must be a whole number from 1 to {MAX_DEPTH}, not {self.depth!r}."
            )
        try:
            parse_noise(self.noise)
        except ValueError as error:
            raise ValueError(f"noise is not valid: {error}") from None
        for name in ("sparsity", "contractive", "beta"):
            value = getattr(self, name)
            if not _is_number(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, not {value!r}.")
        if not _is_number(self.rho) or not 0 < self.rho < 1:
            raise ValueError(f"rho must be a number strictly between 0 and 1, not {self.rho!r}.")
        if not _is_int(self.dense) or not 0 <= self.dense <= MAX_SIZE:
            raise ValueError(
                f"dense must be a whole number from 0 to {MAX_SIZE}, not {self.dense!r}."
            )
        BACKBONES[self.backbone].check_config(self)
        OBJECTIVES[self.objective].check_config(self)

    def to_dict(self) -> dict:
        """Plain JSON-ready values (input_shape becomes a list)."""
        data = asdict(self)
        data["input_shape"] = list(self.input_shape)
        data["hidden"] = list(self.hidden)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        """The inverse of `to_dict`; missing keys take their defaults, unknown keys are refused."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(
                f"unknown model settings: {', '.join(sorted(unknown))} "
                f"(known: {', '.join(f.name for f in fields(cls))})."
            )
        return cls(**data)

    def copy(self) -> ModelConfig:
        """An independent copy (hidden is a fresh list)."""
        return replace(self, hidden=list(self.hidden))
