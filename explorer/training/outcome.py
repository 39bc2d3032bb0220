"""How a training run ended: the `RunResult` a TrainingRun's `finished` carries, the line
the progress bar shows for it, and `ending()`: all the window says once the child is gone."""

from __future__ import annotations

from dataclasses import dataclass

from models import ModelConfig
from trainer import runner
from trainer.config import TrainConfig
from trainer.shared_weights import digest


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


@dataclass
class Ending:
    """What the window says about a run whose process has gone."""

    idle: str  # the progress bar's line
    line: str | None = None  # a status-bar line
    result: RunResult | None = None  # for `finished`: the run trained
    failure: str | None = None  # for `failed`: one sentence


def ending(run: runner.Run, wanted: str, step: int, configs, last, history, ours) -> Ending:
    """How the reaped child `run` (its messages all read) ended, before its cleanup: `wanted`
    is what the person asked for last, `configs` the run's (ModelConfig, TrainConfig), `last`
    its newest Progress; `ours`: the session still has the run's model (then the final
    weights are checked and `history` goes into the result)."""
    outcome = run.outcome
    final = run.final_state if isinstance(outcome, runner.Done) and ours else None
    if final is not None and digest(final) != outcome.digest:
        outcome.error = "The final weights arrived damaged: the last whole ones are kept."
    mc, tc = configs
    if isinstance(outcome, runner.Done) and outcome.began:
        text = end_text(outcome, step, tc, last)
        history = history if ours else None
        result = RunResult(mc, tc, step, outcome.stopped, outcome.error, history, outcome.seconds)
        return Ending(text, text + ".", result)
    if isinstance(outcome, runner.Done) or isinstance(outcome, runner.Failed) and wanted == "stop":
        return Ending("Stopped before training began", "Stopped before training began.")
    if isinstance(outcome, runner.Failed):
        return Ending("Training could not run", failure=outcome.text)
    if wanted == "stop":  # ended by us (terminate or kill) after a Stop
        return Ending(f"Stopped at step {step} (model kept)")
    return Ending("The training process ended unexpectedly", failure=run.death_sentence())
