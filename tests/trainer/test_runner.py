"""The training process: real children training small real models on digits, and the shared
weights block they publish into."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import torch
from children import gone, shared_block_exists

from models import ModelConfig
from trainer import runner
from trainer.config import TrainConfig
from trainer.data import load
from trainer.loop import Trainer
from trainer.shared_weights import SharedWeights, digest, layout_of

LONG_S = 60.0  # generous bound for a shared, slow CPU; a hang fails, slowness does not


def _configs(epochs: int = 2, **train) -> tuple[ModelConfig, TrainConfig]:
    model = ModelConfig(backbone="mlp", objective="vae", loss="bce", hidden=[16])
    settings = {"epochs": epochs, "batch_size": 32, "lr": 3e-3, "device": "cpu", "seed": 3}
    return model, TrainConfig(**{**settings, **train})


def _until(run: runner.Run, done, seen: list | None = None) -> list:
    """Poll `run` until done(message) holds for a message (or the run ended)."""
    seen = [] if seen is None else seen
    end = time.monotonic() + LONG_S
    while time.monotonic() < end:
        messages = run.poll()
        for message in messages:
            seen.append(message)
            if done(message):
                return seen
        if not messages and run.exited():
            break
        time.sleep(0.005)
    raise AssertionError(f"no such message: the child {run.exit_reason()}")


def _finish(run: runner.Run) -> list:
    """Poll until the child ended, then clean up; returns every message."""
    seen: list = []
    end = time.monotonic() + LONG_S
    while not run.exited() and time.monotonic() < end:
        seen += run.poll()
        time.sleep(0.005)
    seen += run.poll()
    assert run.exited(), "the child did not end"
    run.cleanup()
    assert gone(run.pid) and not shared_block_exists(run.shm_name)
    return seen


def _updates(seen) -> list[runner.Update]:
    return [m for m in seen if isinstance(m, runner.Update)]


def test_a_run_reports_progress_and_ends_with_the_childs_exact_weights_and_history():
    import PySide6.QtCore  # noqa: F401  (the app has Qt loaded; the child must not)

    mc, tc = _configs(epochs=3)
    run = runner.start(mc, tc, load="children:digits_without_qt", threads=1)
    seen = _finish(run)
    assert not [m for m in seen if isinstance(m, runner.Failed)], seen
    ready = next(m for m in seen if isinstance(m, runner.Ready))
    assert ready.input_shape == (1, 8, 8) and ready.names == ["loss", "recon", "kl"]
    updates = _updates(seen)
    assert updates and all(u.progress.weights is None for u in updates)
    steps = [u.progress.step for u in updates]
    assert steps == sorted(steps) and updates[-1].progress.done
    done = run.outcome
    assert isinstance(done, runner.Done) and done.began and not done.stopped and not done.error
    assert run.version == done.version  # the final weights were read ...
    assert run.final_state is not None and digest(run.final_state) == done.digest  # ... whole

    # The same seeded run in this process gives the same weights and history, bit for bit.
    data = load("digits")
    mc.input_shape = data.shape
    here = Trainer(mc, tc, data)
    for _ in here.run():
        pass
    state = here.model.state_dict()
    assert all(torch.equal(run.final_state[k], state[k]) for k in state)
    # The history rebuilt from the rows is the child trainer's own (its train rows fall at
    # timed sync points, so only the validation rows repeat across runs).
    assert runner.history_digest(run.history) == done.history_digest
    assert run.history["val"] == here.history["val"]
    assert done.rows == {"train": len(run.history["train"]["step"]), "val": 3}


def test_pause_holds_resume_continues_and_stop_ends_the_run():
    run = runner.start(*_configs(epochs=500), threads=1)
    seen = _until(run, lambda m: isinstance(m, runner.Update) and m.progress.step > 20)
    run.pause()
    seen = _until(run, lambda m: isinstance(m, runner.Update) and m.paused, seen)
    held = run.step
    weights = run.read_weights(timeout=LONG_S)  # published as the pause began
    assert weights is not None and weights[0] == seen[-1].version
    time.sleep(0.3)
    assert all(u.progress.step == held for u in _updates(run.poll()))  # nothing moved
    assert run.alive()
    run.resume()
    _until(run, lambda m: isinstance(m, runner.Update) and m.progress.step > held)
    stopped_at = time.monotonic()
    run.stop()
    _finish(run)
    print(f"\nstop to exit: {1000 * (time.monotonic() - stopped_at):.0f} ms")
    assert isinstance(run.outcome, runner.Done) and run.outcome.stopped
    assert digest(run.final_state) == run.outcome.digest
    assert run.exit_reason() == "exited with code 0"


def test_weights_arrive_while_training_and_never_torn():
    run = runner.start(*_configs(epochs=500), threads=1)
    versions = []
    end = time.monotonic() + LONG_S
    while len(versions) < 4 and time.monotonic() < end:
        run.poll()
        got = run.read_weights()
        if got is not None:
            versions.append(got[0])
            assert all(torch.isfinite(t).all() for t in got[1].values())
        time.sleep(0.01)
    run.close()
    assert gone(run.pid) and not shared_block_exists(run.shm_name)
    assert len(versions) == 4 and versions == sorted(set(versions))


def test_kill_9_mid_run_gives_one_sentence_and_keeps_the_last_weights():
    run = runner.start(*_configs(epochs=500), threads=1)
    _until(run, lambda m: isinstance(m, runner.Update) and m.version > 1)
    kept = run.read_weights(timeout=LONG_S)
    assert kept is not None
    os.kill(run.pid, signal.SIGKILL)
    _finish(run)
    assert run.outcome is None
    text = run.death_sentence()
    assert "killed by signal 9 (SIGKILL)" in text and text.endswith(".") and "\n" not in text
    assert f"pid {run.pid}" in text and all(torch.isfinite(t).all() for t in kept[1].values())
    again = runner.start(*_configs(epochs=1), threads=1)  # the next run works
    _finish(again)
    assert isinstance(again.outcome, runner.Done) and again.outcome.error is None


@pytest.mark.parametrize(
    ("load", "expected"),
    [
        ("children:raising", "Training failed in its process (RuntimeError: the loader broke"),
        ("children:exiting", "exited with code 3"),
        ("children:segfaulting", "killed by signal 11 (SIGSEGV)"),
    ],
)
def test_a_child_that_dies_ends_the_run_with_a_sentence(load, expected):
    run = runner.start(*_configs(), load=load, threads=1)
    _finish(run)
    text = run.outcome.text if isinstance(run.outcome, runner.Failed) else run.death_sentence()
    assert expected in text and text.endswith(".")


def test_a_dataset_that_cannot_be_had_is_one_sentence(tmp_path):
    run = runner.start(*_configs(dataset=f"folder:{tmp_path}"), threads=1)
    _finish(run)
    assert isinstance(run.outcome, runner.Failed) and "digits or shapes" in run.outcome.text


def test_stop_while_loading_ends_before_training():
    run = runner.start(*_configs(), load="children:slow_digits", threads=1)
    run.stop()
    _finish(run)
    assert isinstance(run.outcome, runner.Done) and not run.outcome.began


def test_close_ends_a_child_that_ignores_stop():
    run = runner.start(*_configs(), load="children:slow_digits", threads=1)
    os.kill(run.pid, signal.SIGSTOP)  # frozen: it can read no stop and no SIGTERM
    run.close(grace_s=0.2)
    assert gone(run.pid) and not shared_block_exists(run.shm_name)
    assert "was killed by signal 9 (SIGKILL)" in run.exit_reason()


# -- the shared block on its own ---------------------------------------------------------------
def _locks():
    ctx = runner.context()
    return ctx.Lock(), ctx.Lock()


def test_shared_weights_round_trip_and_versions():
    state = {"w": torch.randn(3, 5), "b": torch.zeros(5), "n": torch.tensor(7), "e": torch.ones(0)}
    locks = _locks()
    writer = SharedWeights("le_test_rt", layout_of(state), locks, create=True)
    reader = SharedWeights("le_test_rt", layout_of(state), locks)
    try:
        assert reader.read() is None and writer.version == 0
        assert writer.publish(state) == 1
        version, got = reader.read()
        assert version == 1 and all(torch.equal(got[k], state[k]) for k in state)
        assert reader.read(since=1) is None
        with locks[0]:  # version 2 goes to slot 0: busy, so the reader gets nothing and waits not
            writer_thread = threading.Thread(target=writer.publish, args=(state,))
            writer_thread.start()
            time.sleep(0.05)
            assert reader.version == 1 and reader.read(since=1) is None
        writer_thread.join()
        assert reader.read(since=1)[0] == 2
    finally:
        reader.close()
        writer.close()
        writer.unlink()
    assert not shared_block_exists("le_test_rt")


def test_a_reader_never_sees_two_versions_mixed():
    state = {f"t{i}": torch.zeros(20_000) for i in range(8)}
    locks = _locks()
    writer = SharedWeights("le_test_mix", layout_of(state), locks, create=True)
    reader = SharedWeights("le_test_mix", layout_of(state), locks)
    stop = threading.Event()

    def write() -> None:
        value = 0.0
        while not stop.is_set():
            value += 1
            writer.publish({k: torch.full_like(v, value) for k, v in state.items()})

    thread = threading.Thread(target=write)
    thread.start()
    reads = 0
    try:
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            got = reader.read()
            if got is not None:
                values = {float(t.min()) for t in got[1].values()} | {
                    float(t.max()) for t in got[1].values()
                }
                assert len(values) == 1 and values == {float(got[0])}
                reads += 1
    finally:
        stop.set()
        thread.join()
        reader.close()
        writer.close()
        writer.unlink()
    assert reads > 10
