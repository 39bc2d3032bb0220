"""Training faults end the run with a sentence, keep finite weights and leave the next run
working: through trainer.loop.Trainer, the TrainingWorker thread and the main window."""

from __future__ import annotations

import faults
import pytest
import torch
from PySide6.QtWidgets import QMessageBox
from support import GRID, LONG_MS, assert_sentence, bounded

import trainer.worker
from models.objectives import OBJECTIVES
from trainer.loop import Trainer
from trainer.worker import TrainingWorker

# fault -> (dataset, objective, train-config changes, what the message must say)
FAULTS = {
    "divergence": (faults.digits, "ae", {"lr": 1e30}, "lower the learning rate"),
    "nan-data": (faults.nan_digits, "ae", {}, "NaN or infinite values"),
    "flaky-data": (faults.flaky_digits, "ae", {}, "OSError"),
    "loss-term": (faults.digits, "faulty", {}, "ZeroDivisionError"),
    "out-of-memory": (faults.huge_images, "ae", {"batch_size": faults.HUGE_N}, "Out of memory"),
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


@pytest.mark.parametrize("name", list(FAULTS))
def test_worker_thread_reports_the_fault_and_the_next_run_works(qtbot, monkeypatch, name):
    data, cfg, tc, expected = _prepare(name)
    monkeypatch.setattr(trainer.worker, "load", lambda _name: data)
    failed: list[str] = []
    worker = TrainingWorker(cfg, tc)
    worker.failed.connect(failed.append)
    with qtbot.waitSignal(worker.finished, timeout=LONG_MS) as blocker:
        worker.start()
    result = blocker.args[0]
    assert worker.wait(LONG_MS) and not worker.is_running()
    assert not failed and result.error and expected in result.error
    assert_sentence(result.error)
    assert _finite(result.state)

    monkeypatch.undo()
    again = TrainingWorker(faults.config(faults.digits()), faults.train_config(None, epochs=1))
    with qtbot.waitSignal(again.finished, timeout=LONG_MS) as blocker:
        again.start()
    assert again.wait(LONG_MS) and blocker.args[0].error is None


@pytest.mark.parametrize("name", ["divergence", "loss-term"])
def test_window_shows_the_fault_keeps_the_model_and_trains_again(window, qtbot, choose, name):
    _, cfg, tc, expected = _prepare(name)
    assert window.controller.start(cfg, tc)
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG_MS)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and not boxes[-1].isModal() and expected in boxes[-1].text()
    session = window.session
    assert _finite(session.model.state_dict())
    kept = session.decode(GRID)
    assert kept.shape == (9, 8, 8) and bool((kept >= 0).all() and (kept <= 1).all())
    assert window.training.train_button.isEnabled()

    choose(window, epochs=1)
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG_MS)
    assert window.controller.worker is None
    assert "Finished" in window.training.progress.format()
    assert _finite(session.model.state_dict())
