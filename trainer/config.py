"""Training settings: the command line's flags that are not part of the model."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass
class TrainConfig:
    dataset: str = "digits"
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    device: str = "auto"
    seed: int = 0

    def validate(self) -> None:
        """Raise ValueError with a sentence naming the field and what is allowed."""
        if not isinstance(self.epochs, int) or not 1 <= self.epochs <= 100_000:
            raise ValueError(
                f"epochs must be a whole number from 1 to 100000, not {self.epochs!r}."
            )
        if not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= 1_000_000:
            raise ValueError(
                f"batch_size must be a whole number from 1 to 1000000, not {self.batch_size!r}."
            )
        # No upper bound: a huge rate is the user's call and the loop stops cleanly if it diverges.
        if not isinstance(self.lr, (int, float)) or not 0 < self.lr < math.inf:
            raise ValueError(f"lr must be a finite number above 0, not {self.lr!r}.")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}.")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0, not {self.seed!r}.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}.")
        return cls(**data)
