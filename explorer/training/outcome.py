"""How a training run ended: the `RunResult` a TrainingRun's `finished` carries, and the line
the progress bar shows for it."""

from __future__ import annotations

from dataclasses import dataclass

from models import ModelConfig
from trainer.config import TrainConfig


@dataclass
class RunResult:
    """How a run that trained ended (`finished`): the weights are in the session already."""

    model_config: ModelConfig
    train_config: TrainConfig
    steps: int
    stopped: bool = False
    error: str | None = None  # divergence, bad data, out of memory ... one sentence
    history: dict | None = None
    seconds: float = 0.0  # from the first step to the end, timed in the training process


def end_text(done, step: int, train_config: TrainConfig, last) -> str:
    """The progress bar's line for a run that trained and ended with runner.Done `done` at
    `step`; `last` is its newest trainer Progress (None if none arrived)."""
    if done.error:
        return "Stopped by a problem: kept the last good weights"
    if done.stopped:
        return f"Stopped at step {step} (model kept)"
    if last and last.epoch < last.epochs:
        return (
            f"Stopped early at epoch {last.epoch} of {last.epochs} (no better validation "
            f"loss for {train_config.patience} epochs); kept epoch {last.best_epoch}"
        )
    return f"Finished: {train_config.epochs} epochs, {step} steps"
