"""Training settings: the command line's flags that are not part of the model."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

DEVICES = ("auto", "cpu", "cuda", "mps")
SCHEDULES = ("onecycle", "cosine", "constant")  # see trainer/schedules.py


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class TrainConfig:
    """How to train. Fields added after the first release keep defaults that old checkpoints
    (which lack them) take when loaded; the command line and form start from trainer.recipes.

    `schedule`: the learning-rate schedule over the run (`lr` is its peak). `patience`: stop
    when the validation loss has not improved for this many epochs and keep the best
    epoch's weights (0: train every epoch, keep the last). `clip`: the largest gradient norm
    (0: no clipping). `kl_warmup`: epochs over which the weights of the objective's warm-up
    terms (the VAE's kl) rise from 0 to their value (at most half the run's epochs).
    `val_fraction`: the share of the training split held out for validation and early
    stopping (0: none; the loss plot then shows the test split and early stopping is off).
    `weight_decay`: AdamW's decoupled weight decay.
    """

    dataset: str = "digits"
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    device: str = "auto"
    seed: int = 0
    schedule: str = "onecycle"
    patience: int = 20
    clip: float = 0.0
    kl_warmup: int = 0
    val_fraction: float = 0.1
    weight_decay: float = 0.0

    def validate(self) -> None:
        """Raise ValueError with a sentence naming the field and what is allowed."""
        if not _is_int(self.epochs) or not 1 <= self.epochs <= 100_000:
            raise ValueError(
                f"epochs must be a whole number from 1 to 100000, not {self.epochs!r}."
            )
        if not _is_int(self.batch_size) or not 1 <= self.batch_size <= 1_000_000:
            raise ValueError(
                f"batch_size must be a whole number from 1 to 1000000, not {self.batch_size!r}."
            )
        # No upper bound: a huge rate is the user's call and the loop stops cleanly if it diverges.
        if not _is_number(self.lr) or not self.lr > 0:
            raise ValueError(f"lr must be a finite number above 0, not {self.lr!r}.")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}.")
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0, not {self.seed!r}.")
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}."
            )
        for name in ("patience", "kl_warmup"):
            value = getattr(self, name)
            if not _is_int(value) or not 0 <= value <= 100_000:
                raise ValueError(f"{name} must be a whole number from 0 to 100000, not {value!r}.")
        for name in ("clip", "weight_decay"):
            value = getattr(self, name)
            if not _is_number(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, not {value!r}.")
        if not _is_number(self.val_fraction) or not 0 <= self.val_fraction <= 0.5:
            raise ValueError(
                f"val_fraction must be a number from 0 to 0.5, not {self.val_fraction!r}."
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """The inverse of `to_dict`; missing keys take their defaults, unknown keys are refused."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}.")
        return cls(**data)
