"""A run on several ranks started the app's way (trainer/relay.py): the training child
launches the ranks and relays rank 0. The app's "all GPUs" runs take this path; here two
gloo ranks on the CPU stand in for the GPUs (relay.CPU_RANKS)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
import torch
from children import children_of, gone, shared_block_exists

from models import ModelConfig
from trainer import distributed, relay, runner
from trainer.config import TrainConfig
from trainer.data import load
from trainer.loop import Trainer

LONG_S = 120.0  # generous: a hang fails, slowness does not


def _configs(epochs: int) -> tuple[ModelConfig, TrainConfig]:
    model = ModelConfig(backbone="mlp", hidden=[32], code_size=4)
    return model, TrainConfig(epochs=epochs, batch_size=64, device="cpu", seed=3)


def _finish(run: runner.Run, until=None) -> list:
    seen: list = []
    end = time.monotonic() + LONG_S
    while not run.exited() and time.monotonic() < end:
        messages = run.poll()
        seen += messages
        if until is not None and any(until(m) for m in messages):
            until = None
            run.stop()
        time.sleep(0.01)
    seen += run.poll()
    assert run.exited(), "the child did not end"
    run.cleanup()
    assert gone(run.pid) and not shared_block_exists(run.shm_name)
    return seen


@pytest.fixture
def two_ranks(monkeypatch):
    monkeypatch.setenv(relay.CPU_RANKS, "2")


def test_the_child_relays_two_ranks_that_train_as_one_process(two_ranks):
    mc, tc = _configs(epochs=2)
    run = runner.start(mc, tc, threads=1)
    seen = _finish(run)
    assert not [m for m in seen if isinstance(m, runner.Failed)], seen
    done = run.outcome
    assert isinstance(done, runner.Done) and done.began and not done.error, done
    updates = [m for m in seen if isinstance(m, runner.Update)]
    assert updates and updates[-1].progress.done and updates[-1].progress.epoch == 2
    assert runner.history_digest(run.history) == done.history_digest
    state = run.final_state
    assert state is not None
    single = Trainer(mc, tc, load("digits"))
    for _ in single.run():
        pass
    for key, value in single.model.state_dict().items():
        torch.testing.assert_close(state[key], value, rtol=1e-4, atol=1e-5)
    assert run.history["val"]["loss"][-1] == pytest.approx(
        single.history["val"]["loss"][-1], rel=1e-5
    )


def test_stop_ends_every_rank_together(two_ranks):
    mc, tc = _configs(epochs=2000)
    run = runner.start(mc, tc, threads=1)
    seen = _finish(run, until=lambda m: isinstance(m, runner.Update) and m.progress.step > 20)
    done = run.outcome
    assert isinstance(done, runner.Done) and done.stopped and not done.error, done
    assert run.final_state is not None and run.step < 2000 * 20
    last = [m for m in seen if isinstance(m, runner.Update)][-1]
    assert last.progress.stopped and last.progress.step == run.step


def test_a_rank_that_dies_ends_the_relayed_run_with_one_sentence(two_ranks, monkeypatch):
    monkeypatch.setenv(distributed.DIE, "1:5")
    mc, tc = _configs(epochs=50)
    run = runner.start(mc, tc, threads=1)
    _finish(run)
    done = run.outcome
    assert isinstance(done, runner.Done) and done.error, done
    assert done.error.startswith("Training failed: rank 1 of 2 exited with status 3")
    assert "\n" not in done.error


def _ended(pid: int) -> bool:
    """Gone, or a zombie waiting for whoever adopted it: it runs no more."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ranks die with it on Linux")
def test_ranks_end_when_the_training_child_is_killed(two_ranks):
    mc, tc = _configs(epochs=2000)
    run = runner.start(mc, tc, threads=1)
    end = time.monotonic() + LONG_S
    while time.monotonic() < end and not any(
        isinstance(m, runner.Update) for m in run.poll()
    ):  # fmt: skip
        time.sleep(0.01)
    ranks = children_of(run.pid)
    assert len(ranks) == 2, ranks  # the elastic agent runs in the child: the ranks are its own
    os.kill(run.pid, signal.SIGKILL)
    end = time.monotonic() + 30
    while time.monotonic() < end and not all(_ended(pid) for pid in ranks):
        time.sleep(0.05)
    assert all(_ended(pid) for pid in ranks)
    run.close()
