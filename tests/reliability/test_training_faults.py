"""Training faults end the run with a sentence, keep finite weights and leave the next run
working: through trainer.loop.Trainer, the training process (trainer.runner) and the window."""

from __future__ import annotations

import time

import faults
import pytest
import torch
from children import gone, shared_block_exists
from PySide6.QtWidgets import QMessageBox
from support import GRID, LONG_MS, LONG_S, assert_sentence, bounded

from models.objectives import OBJECTIVES
from trainer import runner
from trainer.loop import Trainer
from trainer.shared_weights import digest

# fault -> (dataset, objective, train-config changes, what the message must say)
FAULTS = {
    "divergence": (faults.digits, "ae", {"lr": 1e30}, "lower the learning rate"),
    "nan-data": (faults.nan_digits, "ae", {}, "NaN or infinite values"),
    "flaky-data": (faults.flaky_digits, "ae", {}, "OSError"),
    "loss-term": (faults.digits, "faulty", {}, "ZeroDivisionError"),
    "out-of-memory": (faults.huge_images, "ae", {"batch_size": faults.HUGE_N}, "Out of memory"),
}
# the same datasets, loaded by the training process itself
LOADERS = {
    "divergence": "faults:load_digits",
    "nan-data": "faults:load_nan_digits",
    "flaky-data": "faults:load_flaky_digits",
    "loss-term": "faults:load_with_faulty_term",
    "out-of-memory": "faults:load_huge_images",
}


@pytest.fixture(autouse=True)
def faulty_objective(monkeypatch):
    """Register the objective whose loss term fails, with a fresh budget of good batches."""
    monkeypatch.setitem(OBJECTIVES, "faulty", faults.FaultyTerm)
    faults.FaultyTerm.budget = 25


def _finite(state: dict[str, torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(v).all()) for v in state.values())


def _healthy_run(model=None, history=None):
    """A short, healthy run; the proof that whatever failed before left nothing broken."""
    data = faults.digits()
    cfg = model.config if model is not None else faults.config(data)
    run = Trainer(cfg, faults.train_config(data, epochs=1), data, model=model, history=history)
    progress, error = bounded(lambda: list(run.run()))
    assert error is None and progress[-1].done and progress[-1].error is None
    assert _finite(run.model.state_dict())
    return run


def _prepare(name: str):
    make, objective, changes, expected = FAULTS[name]
    if name == "out-of-memory":
        faults.skip_unless_allocations_can_fail()
    data = make()
    return data, faults.config(data, objective), faults.train_config(data, **changes), expected


@pytest.mark.parametrize("name", [*FAULTS, "forward-hook"])
def test_trainer_ends_the_run_with_a_sentence_and_keeps_good_weights(name):
    if name == "forward-hook":
        data = faults.digits()
        cfg, tc, expected = faults.config(data), faults.train_config(data), "forward hook failed"
        model = faults.raising_hook_model(cfg)
    else:
        data, cfg, tc, expected = _prepare(name)
        model = None
    run = Trainer(cfg, tc, data, model=model)
    progress, error = bounded(lambda: list(run.run()))
    assert error is None, f"an exception escaped the run: {error!r}"
    last = progress[-1]
    assert last.error and expected in last.error and not last.done
    assert_sentence(last.error)
    state = run.model.state_dict()
    assert _finite(state)
    assert all(torch.equal(state[k], last.weights[k]) for k in state)  # what the GUI was sent
    if name in ("divergence", "nan-data", "flaky-data"):  # the kept model trains on
        _healthy_run(run.model, run.history)
    else:
        _healthy_run()


def _finish(run: runner.Run) -> None:
    end = time.monotonic() + LONG_S
    while not run.exited() and time.monotonic() < end:
        run.poll()
        time.sleep(0.01)
    run.poll()
    assert run.exited(), "the training process did not end"
    run.cleanup()
    assert gone(run.pid) and not shared_block_exists(run.shm_name)


@pytest.mark.parametrize("name", list(FAULTS))
def test_training_process_reports_the_fault_and_the_next_run_works(name):
    _, cfg, tc, expected = _prepare(name)
    run = runner.start(cfg, tc, load=LOADERS[name], threads=1)
    _finish(run)
    done = run.outcome
    assert isinstance(done, runner.Done), f"the run did not report its end: {done!r}"
    assert done.error and expected in done.error
    assert_sentence(done.error)
    assert run.exit_reason() == "exited with code 0"  # the fault ended the run, not the process
    assert digest(run.final_state) == done.digest and _finite(run.final_state)

    again = runner.start(faults.config(faults.digits()), faults.train_config(None, epochs=1))
    _finish(again)
    assert isinstance(again.outcome, runner.Done) and again.outcome.error is None


@pytest.mark.parametrize("name", ["divergence", "loss-term"])
def test_window_shows_the_fault_keeps_the_model_and_trains_again(window, qtbot, choose, name):
    _, cfg, tc, expected = _prepare(name)
    window.run.load = LOADERS[name]  # the objective that fails exists in the child too
    assert window.run.start(cfg, tc)
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG_MS)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and not boxes[-1].isModal() and expected in boxes[-1].text()
    session = window.session
    assert _finite(session.model.state_dict())
    kept = session.decode(GRID)
    assert kept.shape == (9, 8, 8) and bool((kept >= 0).all() and (kept <= 1).all())
    assert window.training.train_button.isEnabled()

    choose(window, epochs=1)
    window.run.load = runner.DEFAULT_LOAD
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG_MS)
    assert window.run.child is None
    assert "Finished" in window.training.progress.format()
    assert _finite(session.model.state_dict())
