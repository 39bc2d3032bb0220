"""What a run reports: `Progress` (yielded by `Trainer.run()`, sent by the training child)
and the history of loss terms it keeps (plain lists, saved in checkpoints)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Progress:
    step: int
    epoch: int
    epochs: int
    fraction: float
    samples_per_s: float
    eta_s: float
    terms: dict[str, float]
    val_terms: dict[str, float] | None = None
    weights: dict[str, torch.Tensor] | None = None
    done: bool = False
    stopped: bool = False
    error: str | None = None
    lr: float = 0.0  # the learning rate of the latest step
    best_epoch: int = 0  # early stopping: the epoch whose weights the run keeps (0: none yet)
    paused: bool = False  # the run is about to wait in a pause (its last Progress before it)


def empty_history(names: list[str]) -> dict:
    """{"train": {step, <terms>, lr}, "val": {step, epoch, <terms>}}, every column empty;
    objectives' extra validation figures go to "figures" (see trainer.validation)."""
    return {
        "train": {"step": [], **{n: [] for n in names}, "lr": []},
        "val": {"step": [], "epoch": [], **{n: [] for n in names}},
    }


def record_figures(history: dict, step: int, epoch: int, figures: dict[str, float]) -> None:
    """Append an epoch's extra validation figures (e.g. colour_psnr_db) to history["figures"],
    apart from the loss terms the curves plot."""
    if figures:
        columns = history.setdefault("figures", {"step": [], "epoch": []})
        columns["step"].append(step)
        columns["epoch"].append(epoch)
        for k, v in figures.items():
            columns.setdefault(k, []).append(v)
